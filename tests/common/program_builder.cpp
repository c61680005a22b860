#include "common/program_builder.hpp"

#include <algorithm>
#include <random>

namespace npusim::testing {

ProgramBuilder::ProgramBuilder(isa::Mode mode, isa::HwParams hw) {
  program_.mode = mode;
  program_.hw = hw;
  segment_.name = "npu0";
}

ProgramBuilder& ProgramBuilder::emit(isa::Engine engine, const isa::Instruction& in, int slot) {
  code_[slot][static_cast<int>(engine)].push_back(in);
  return *this;
}

uint64_t ProgramBuilder::add_weights(const std::vector<uint8_t>& bytes) {
  const uint64_t offset = segment_.weights.size();
  segment_.weights.insert(segment_.weights.end(), bytes.begin(), bytes.end());
  segment_.weights.resize((segment_.weights.size() + 63) / 64 * 64);  // keep later items aligned
  return offset;
}

ProgramBuilder& ProgramBuilder::scratch(uint64_t bytes) {
  segment_.scratch_bytes = bytes;
  return *this;
}

namespace {
isa::TensorInfo tensor(const std::string& name, std::vector<int64_t> shape, uint64_t offset,
                       const std::string& dtype) {
  isa::TensorInfo t;
  t.name = name;
  t.shape = std::move(shape);
  t.dtype = dtype;
  t.io_offset = offset;
  return t;
}
}  // namespace

ProgramBuilder& ProgramBuilder::input(const std::string& name, std::vector<int64_t> shape,
                                      uint64_t offset, const std::string& dtype) {
  program_.inputs.push_back(tensor(name, std::move(shape), offset, dtype));
  segment_.inputs.push_back(name);
  segment_.io_bytes = std::max(segment_.io_bytes, offset + program_.inputs.back().bytes());
  return *this;
}

ProgramBuilder& ProgramBuilder::output(const std::string& name, std::vector<int64_t> shape,
                                       uint64_t offset, const std::string& dtype) {
  program_.outputs.push_back(tensor(name, std::move(shape), offset, dtype));
  segment_.outputs.push_back(name);
  segment_.io_bytes = std::max(segment_.io_bytes, offset + program_.outputs.back().bytes());
  return *this;
}

isa::Program ProgramBuilder::build() {
  for (int slot = 0; slot < 2; ++slot)
    for (int e = 0; e < isa::kNumEngines; ++e) {
      auto code = code_[slot][e];
      if (code.empty()) continue;
      code.push_back(isa::make(isa::Opcode::kEnd, {}));
      segment_.streams[slot][e] = isa::encode(code);
    }
  isa::Program p = program_;
  p.tensors = p.inputs;
  p.tensors.insert(p.tensors.end(), p.outputs.begin(), p.outputs.end());
  p.segments.push_back(segment_);
  return p;
}

std::vector<uint8_t> random_bytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<uint8_t> v(n);
  for (auto& b : v) b = static_cast<uint8_t>(rng());
  return v;
}

}  // namespace npusim::testing
