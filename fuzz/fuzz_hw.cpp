// libFuzzer harness: the hardware parameter parser (docs/params.md) behind
// `--hw FILE` (isa::parse_params_text) and `--set KEY=VALUE`
// (isa::apply_assignment, one per input line). Every input is either
// accepted or refused with ParamError; anything else is a finding. Accepted
// parameters written as text (isa::to_text) read back equal, as programs
// store their hardware that way.
#include <cstdint>
#include <sstream>
#include <string>

#include "npusim/isa/hw_params.hpp"

namespace {

using namespace npusim::isa;

void round_trip(const HwParams& hw) {
  if (!(parse_params_text(to_text(hw), "fuzz (rewritten)") == hw)) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    round_trip(parse_params_text(text, "fuzz.hw"));
  } catch (const ParamError&) {
  }
  HwParams hw = preset("warboy");
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    try {
      apply_assignment(hw, line);
    } catch (const ParamError&) {
    }
  }
  round_trip(hw);
  return 0;
}
