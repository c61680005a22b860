// A program placed in device memory: weights, code streams, the program
// table the RUN command points at, scratch DRAM and an I/O area.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include "npusim/driver/device.hpp"
#include "npusim/isa/program.hpp"

namespace npusim::runtime {

class PlacedProgram;

class LoadedProgram {
 public:
  // Loads the program's first NPU segment. Throws isa::ProgramError if it was
  // compiled for other hardware than `hw`, or fails verification (unless
  // `verify` is false: for testing how the device itself handles bad programs).
  LoadedProgram(driver::Device& device, const isa::Program& program, const isa::HwParams& hw,
                bool verify = true);
  ~LoadedProgram();
  LoadedProgram(const LoadedProgram&) = delete;
  LoadedProgram& operator=(const LoadedProgram&) = delete;

  const isa::Program& program() const { return program_; }
  driver::Device& device() const { return device_; }
  const isa::NpuSegment& segment() const { return *segment_; }
  uint64_t io_address() const { return io_; }
  uint64_t io_bytes() const { return segment_->io_bytes; }
  uint64_t dram_bytes() const;  // everything this program occupies in device DRAM
  // The NPU segment's input and output tensors (placement in its I/O area).
  const std::vector<isa::TensorInfo>& inputs() const { return inputs_; }
  const std::vector<isa::TensorInfo>& outputs() const { return outputs_; }

  // The RUN command with base registers: weights, scratch, I/O, and a spare
  // slot (base 3) the program may use for a host buffer IOVA.
  isa::reg::Command run_command(uint64_t host_base = 0) const;

 private:
  uint64_t allocate(uint64_t bytes);
  void release_all();

  driver::Device& device_;
  isa::Program program_;
  std::unique_ptr<PlacedProgram> placed_;  // weights, code, program table
  const isa::NpuSegment* segment_ = nullptr;
  std::vector<uint64_t> allocations_;  // scratch and I/O
  uint64_t scratch_ = 0, io_ = 0;
  std::vector<isa::TensorInfo> inputs_, outputs_;
};

}  // namespace npusim::runtime
