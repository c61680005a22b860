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
  // Only what the code depends on: a program compiled for 33GB/s runs at 66GB/s.
  if (const auto d = program_difference(p.hw, device))
    throw ProgramError("program compiled for " + d->key + "=" + d->compiled + " but device has " +
                       d->key + "=" + d->device);
}

}  // namespace npusim::isa
