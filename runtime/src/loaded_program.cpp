#include "npusim/runtime/loaded_program.hpp"

#include "npusim/isa/verifier.hpp"
#include "placed_program.hpp"

namespace npusim::runtime {

namespace reg = isa::reg;

LoadedProgram::LoadedProgram(driver::Device& device, const isa::Program& program,
                             const isa::HwParams& hw, bool verify)
    : device_(device), program_(program) {
  isa::check_hardware(program_, hw);
  if (verify) isa::verify_or_throw(program_, hw);
  placed_ = std::make_unique<PlacedProgram>(device_, program_);
  if (placed_->segments().empty()) throw isa::ProgramError("program has no NPU segment");
  const PlacedSegment& first = placed_->segments().begin()->second;
  segment_ = first.npu;
  inputs_ = first.inputs;
  outputs_ = first.outputs;
  try {
    scratch_ = allocate(segment_->scratch_bytes);
    io_ = allocate(segment_->io_bytes);
  } catch (...) {
    release_all();
    throw;
  }
}

LoadedProgram::~LoadedProgram() {
  release_all();
}

uint64_t LoadedProgram::allocate(uint64_t bytes) {
  const uint64_t addr = device_.allocate(bytes);
  allocations_.push_back(addr);
  return addr;
}

void LoadedProgram::release_all() {
  for (uint64_t a : allocations_) {
    try {
      device_.release(a);
    } catch (...) {  // never throw from a destructor
    }
  }
  allocations_.clear();
}

uint64_t LoadedProgram::dram_bytes() const {
  return placed_->dram_bytes() + segment_->scratch_bytes + segment_->io_bytes;
}

reg::Command LoadedProgram::run_command(uint64_t host_base) const {
  const PlacedSegment& first = placed_->segments().begin()->second;
  reg::Command c{};
  c.op = static_cast<uint32_t>(reg::CommandOp::kRun);
  c.a = first.table;
  c.base[isa::kBaseWeights] = first.weights;
  c.base[isa::kBaseScratch] = scratch_;
  c.base[isa::kBaseIo] = io_;
  c.base[isa::kBaseSpare] = host_base;
  return c;
}

}  // namespace npusim::runtime
