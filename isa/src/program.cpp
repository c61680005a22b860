// Program-level helpers of the container model: tensor sizes, mode names,
// and the hardware-compatibility check.
#include "npusim/isa/program.hpp"

namespace npusim::isa {
namespace {

// Bytes per element, or 0 for an unknown dtype.
uint64_t dtype_bytes(const std::string& dtype) {
  static const std::pair<std::string_view, uint64_t> kSizes[] = {
      {"int8", 1},  {"uint8", 1},  {"bool", 1},    {"int16", 2}, {"uint16", 2}, {"float16", 2},
      {"int32", 4}, {"uint32", 4}, {"float32", 4}, {"int64", 8}, {"uint64", 8}, {"float64", 8}};
  for (const auto& [name, size] : kSizes)
    if (name == dtype) return size;
  return 0;
}

}  // namespace

uint64_t TensorInfo::bytes() const {
  uint64_t n = dtype_bytes(dtype);
  if (n == 0) throw ProgramError("tensor '" + name + "': unknown dtype '" + dtype + "'");
  for (int64_t d : shape) {
    if (d < 0) throw ProgramError("tensor '" + name + "': negative dimension " + std::to_string(d));
    if (d != 0 && n > UINT64_MAX / uint64_t(d))
      throw ProgramError("tensor '" + name + "': size overflows 64 bits");
    n *= uint64_t(d);
  }
  return n;
}

std::string_view mode_name(Mode m) {
  return m == Mode::kFused ? "fused" : "single";
}

void check_hardware(const Program& p, const HwParams& device) {
  const auto want = describe(p.hw), have = describe(device);
  for (size_t i = 0; i < want.size() && i < have.size(); ++i) {
    // The preset name is a label; the parameters themselves are compared.
    if (want[i].first == "preset") continue;
    // Host-side parameters shape the runtime's timeline, not the program.
    if (want[i].first == "host_cores" || want[i].first == "host_op") continue;
    if (want[i] == have[i]) continue;
    throw ProgramError("program compiled for " + want[i].first + "=" + want[i].second +
                       " but device has " + have[i].first + "=" + have[i].second);
  }
}

}  // namespace npusim::isa
