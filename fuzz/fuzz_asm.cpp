// libFuzzer harness: the assembler (isa::assemble), then what `npusim asm`
// does with its program (isa::verify) and the disassembler. Every input is
// either assembled or refused with IsaError / ProgramError / ParamError
// naming the line; anything else is a finding. A program that assembles
// disassembles to text that assembles to the same bytes.
#include <cstdint>
#include <string>

#include "npusim/isa/assembler.hpp"
#include "npusim/isa/hw_params.hpp"
#include "npusim/isa/instruction.hpp"
#include "npusim/isa/program.hpp"
#include "npusim/isa/verifier.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace npusim::isa;
  const std::string text(reinterpret_cast<const char*>(data), size);
  Program p;
  try {
    p = assemble(text, "fuzz.s");
  } catch (const IsaError&) {
    return 0;
  } catch (const ProgramError&) {
    return 0;
  } catch (const ParamError&) {
    return 0;
  }
  (void)verify(p, p.hw);
  const std::string listing = disassemble(p);
  if (serialize(assemble(listing, "fuzz.s (disassembled)")) != serialize(p)) __builtin_trap();
  return 0;
}
