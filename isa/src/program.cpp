// Program-level helpers of the container model: tensor sizes, mode names,
// the hardware-compatibility check, and each layer's DRAM traffic.
#include "npusim/isa/program.hpp"

#include "npusim/isa/cost_model.hpp"

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

std::vector<uint64_t> layer_dma_bytes(const NpuSegment& segment) {
  const auto& layers = segment.layers;
  std::vector<uint64_t> bytes(layers.size(), 0);
  for (int slot = 0; slot < 2; ++slot)
    for (const Engine e : {Engine::kLoad, Engine::kStore}) {
      const auto& words = segment.streams[slot][int(e)];
      if (words.empty()) continue;
      const std::vector<Instruction> code = decode(words);
      for (size_t i = 0; i < layers.size(); ++i) {
        const size_t from = layers[i].first[slot][int(e)],
                     to = i + 1 < layers.size() ? layers[i + 1].first[slot][int(e)] : code.size();
        for (size_t k = from; k < to && k < code.size(); ++k) bytes[i] += dma_bytes(code[k]);
      }
    }
  return bytes;
}

}  // namespace npusim::isa
