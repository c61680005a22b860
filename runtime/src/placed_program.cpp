#include "placed_program.hpp"

#include <algorithm>

namespace npusim::runtime {

namespace reg = isa::reg;

std::vector<isa::TensorInfo> segment_tensors(const isa::Program& p, const isa::NpuSegment& segment,
                                             const std::vector<std::string>& names) {
  std::vector<isa::TensorInfo> out;
  for (const auto& name : names) {
    auto it = std::find_if(p.tensors.begin(), p.tensors.end(),
                           [&](const isa::TensorInfo& t) { return t.name == name; });
    if (it == p.tensors.end())
      throw isa::ProgramError("NPU segment tensor \"" + name +
                              "\" is missing from the tensor table");
    // Checked here as well as by the verifier: the host copies these bytes
    // even when a caller skips verification (exec --no-verify).
    const uint64_t bytes = it->bytes();
    if (it->io_offset > segment.io_bytes || bytes > segment.io_bytes - it->io_offset)
      throw isa::ProgramError("NPU segment '" + segment.name + "' tensor '" + name + "' at [" +
                              std::to_string(it->io_offset) + ", +" + std::to_string(bytes) +
                              ") lies outside its I/O area of " + std::to_string(segment.io_bytes) +
                              " bytes (io_bytes)");
    out.push_back(*it);
  }
  return out;
}

PlacedProgram::PlacedProgram(driver::Device& device, const isa::Program& program)
    : device_(device), program_(program) {
  try {
    for (size_t i = 0; i < program.segments.size(); ++i) {
      const auto* npu = std::get_if<isa::NpuSegment>(&program.segments[i]);
      if (!npu) continue;
      PlacedSegment& s = segments_[i];
      s.npu = npu;
      s.inputs = segment_tensors(program, *npu, npu->inputs);
      s.outputs = segment_tensors(program, *npu, npu->outputs);
      s.weights = allocate(npu->weights.size());
      auto& streams = stream_addresses_[i];
      for (const auto& slot : npu->streams)
        for (const auto& words : slot) streams.push_back(allocate(words.size() * 4));
      s.table = allocate(sizeof(reg::ProgramTable));
      write_segment(i);
    }
  } catch (...) {
    for (uint64_t a : allocations_) device_.release(a);
    throw;
  }
}

PlacedProgram::~PlacedProgram() {
  for (uint64_t a : allocations_) {
    try {
      device_.release(a);
    } catch (...) {  // never throw from a destructor
    }
  }
}

uint64_t PlacedProgram::allocate(uint64_t bytes) {
  if (bytes == 0) return 0;
  const uint64_t addr = device_.allocate(bytes);
  allocations_.push_back(addr);
  bytes_ += bytes;
  return addr;
}

void PlacedProgram::write_segment(size_t index) {
  const PlacedSegment& s = segments_.at(index);
  if (!s.npu->weights.empty())
    device_.write_memory(s.weights, s.npu->weights.data(), s.npu->weights.size());
  reg::ProgramTable table{};
  table.magic = reg::kProgramTableMagic;
  table.num_slots = program_.mode == isa::Mode::kFused ? 2 : 1;
  const auto& addresses = stream_addresses_.at(index);
  for (uint32_t slot = 0; slot < 2; ++slot)
    for (int e = 0; e < isa::kNumEngines; ++e) {
      const auto& words = s.npu->streams[slot][e];
      const uint64_t addr = addresses[slot * isa::kNumEngines + e];
      if (words.empty()) continue;
      device_.write_memory(addr, words.data(), words.size() * 4);
      if (slot < table.num_slots)
        table.streams[slot][e] = {addr, static_cast<uint32_t>(words.size()), 0};
    }
  device_.write_memory(s.table, &table, sizeof table);
}

void PlacedProgram::reload() {
  for (const auto& [index, segment] : segments_) write_segment(index);
}

}  // namespace npusim::runtime
