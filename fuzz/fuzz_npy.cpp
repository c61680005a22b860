// libFuzzer harness: the .npy reader (compiler::parse_npy) behind `npusim
// run -i FILE.npy` (float64 refused) and calibration inputs (float64
// narrowed). Every input is either a tensor or refused with CompileError
// naming the file and field; anything else is a finding. A tensor read
// matches its header: as many bytes as its shape and type say.
#include <cstdint>
#include <string>

#include "npusim/compiler/calibration.hpp"
#include "npusim/compiler/graph.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace npusim::compiler;
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  for (NpyFloat64 f64 : {NpyFloat64::kNarrow, NpyFloat64::kRefuse}) {
    try {
      const Tensor t = parse_npy(bytes, "fuzz.npy", f64);
      if (t.bytes() > size) __builtin_trap();  // more data than the file holds
    } catch (const CompileError&) {
    }
  }
  return 0;
}
