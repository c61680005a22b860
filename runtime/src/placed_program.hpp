// A program's NPU segments placed once in device DRAM (weights, code
// streams, program table), shared by every device the session runs on.
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "npusim/driver/device.hpp"
#include "npusim/isa/program.hpp"

namespace npusim::runtime {

struct PlacedSegment {
  const isa::NpuSegment* npu = nullptr;
  uint64_t table = 0, weights = 0;
  std::vector<isa::TensorInfo> inputs, outputs;  // placement in the segment's I/O area
};

class PlacedProgram {
 public:
  PlacedProgram(driver::Device& device, const isa::Program& program);
  ~PlacedProgram();
  PlacedProgram(const PlacedProgram&) = delete;
  PlacedProgram& operator=(const PlacedProgram&) = delete;

  // The NPU segment at `index` of program().segments.
  const PlacedSegment& segment(size_t index) const { return segments_.at(index); }
  const std::map<size_t, PlacedSegment>& segments() const { return segments_; }
  // Writes weights, code and tables again (after a fault may have corrupted them).
  void reload();
  uint64_t dram_bytes() const { return bytes_; }

 private:
  uint64_t allocate(uint64_t bytes);
  void write_segment(size_t index);

  driver::Device& device_;
  const isa::Program& program_;
  std::map<size_t, PlacedSegment> segments_;
  std::map<size_t, std::vector<uint64_t>> stream_addresses_;  // per segment: slot*engines+engine
  std::vector<uint64_t> allocations_;
  uint64_t bytes_ = 0;
};

// The named tensors of an NPU segment, from the program's tensor table;
// throws isa::ProgramError if one is missing or lies outside the segment's
// I/O area.
std::vector<isa::TensorInfo> segment_tensors(const isa::Program& p, const isa::NpuSegment& segment,
                                             const std::vector<std::string>& names);

}  // namespace npusim::runtime
