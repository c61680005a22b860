// libFuzzer harness: ONNX import and compile (compiler::import_onnx_bytes
// with the checker and shape inference, then compiler::compile for the
// default hardware), as `npusim compile` and `npusim run MODEL.onnx` do.
// Every input is either compiled or refused with an error naming the file,
// node or field (CompileError, and the limit, program and parameter errors
// the compiler passes on); an "internal error" (a generated program the
// verifier rejects), a crash, a leak or another exception is a finding.
#include <cstdint>
#include <string>

#include "npusim/common/limits.hpp"
#include "npusim/compiler/compile.hpp"
#include "npusim/compiler/onnx_io.hpp"
#include "npusim/isa/hw_params.hpp"
#include "npusim/isa/instruction.hpp"
#include "npusim/isa/program.hpp"

namespace {

// The compiler's internal errors begin with "internal error:"; anywhere else
// the words may be an echoed name (the fuzzer wrote them into an op type).
void refused(const std::string& message) {
  if (message.rfind("internal error:", 0) == 0) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace npusim;
  static const isa::HwParams hw = isa::preset("warboy");
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  try {
    compiler::CompileOptions options;
    options.hw = hw;
    (void)compiler::compile(compiler::import_onnx_bytes(bytes, "fuzz.onnx", {}), options);
  } catch (const compiler::CompileError& e) {
    refused(e.what());
  } catch (const limits::LimitError& e) {
    refused(e.what());
  } catch (const isa::ProgramError& e) {
    refused(e.what());
  } catch (const isa::IsaError& e) {
    refused(e.what());
  } catch (const isa::ParamError& e) {
    refused(e.what());
  }
  return 0;
}
