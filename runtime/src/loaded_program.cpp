#include "npusim/runtime/loaded_program.hpp"

#include <algorithm>

#include "npusim/isa/verifier.hpp"
#include "placed_program.hpp"

namespace npusim::runtime {

namespace reg = isa::reg;

LoadedProgram::LoadedProgram(driver::Device& device, const isa::Program& program,
                             const isa::HwParams& hw, bool verify)
    : device_(device), program_(program) {
  isa::check_hardware(program_, hw);
  if (verify) isa::verify_or_throw(program_, hw);
  for (const auto& s : program_.segments)
    if (auto* npu = std::get_if<isa::NpuSegment>(&s)) {
      segment_ = npu;
      break;
    }
  if (!segment_) throw isa::ProgramError("program has no NPU segment");
  inputs_ = segment_tensors(program_, segment_->inputs);
  outputs_ = segment_tensors(program_, segment_->outputs);
  try {
    weights_ = place(segment_->weights.data(), segment_->weights.size());
    scratch_ = place(nullptr, segment_->scratch_bytes);
    io_ = place(nullptr, segment_->io_bytes);
    reg::ProgramTable table{};
    table.magic = reg::kProgramTableMagic;
    table.num_slots = program_.mode == isa::Mode::kFused ? 2 : 1;
    for (uint32_t slot = 0; slot < table.num_slots; ++slot)
      for (int e = 0; e < isa::kNumEngines; ++e) {
        const auto& words = segment_->streams[slot][e];
        if (words.empty()) continue;
        table.streams[slot][e] = {place(words.data(), words.size() * 4),
                                  static_cast<uint32_t>(words.size()), 0};
      }
    table_ = place(&table, sizeof table);
  } catch (...) {
    for (uint64_t a : allocations_) device_.release(a);
    throw;
  }
}

LoadedProgram::~LoadedProgram() {
  for (uint64_t a : allocations_) {
    try {
      device_.release(a);
    } catch (...) {  // never throw from a destructor
    }
  }
}

uint64_t LoadedProgram::place(const void* data, uint64_t bytes) {
  const uint64_t addr = device_.allocate(bytes);
  allocations_.push_back(addr);
  if (data && bytes) device_.write_memory(addr, data, bytes);
  return addr;
}

uint64_t LoadedProgram::dram_bytes() const {
  uint64_t total = segment_->weights.size() + segment_->scratch_bytes + segment_->io_bytes;
  for (int slot = 0; slot < 2; ++slot)
    for (int e = 0; e < isa::kNumEngines; ++e) total += segment_->streams[slot][e].size() * 4;
  return total;
}

reg::Command LoadedProgram::run_command(uint64_t host_base) const {
  reg::Command c{};
  c.op = static_cast<uint32_t>(reg::CommandOp::kRun);
  c.a = table_;
  c.base[isa::kBaseWeights] = weights_;
  c.base[isa::kBaseScratch] = scratch_;
  c.base[isa::kBaseIo] = io_;
  c.base[isa::kBaseSpare] = host_base;
  return c;
}

}  // namespace npusim::runtime
