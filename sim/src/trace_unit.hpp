// The trace unit: when enabled (TRACE_ENABLE), every DMA and compute
// instruction a PE retires is written as an isa::reg::TraceRecord into a ring
// in device DRAM that the host reads through the memory window. Records are
// written by the device's debug path, so tracing does not change timing.
#pragma once

#include <cstdint>

#include "npusim/isa/regmap.hpp"

namespace npusim::sim {

class Dram;

class TraceUnit {
 public:
  explicit TraceUnit(Dram& dram) : dram_(dram) {}

  void reset() {
    ring_ = 0;
    size_ = count_ = 0;
    enabled_ = false;
  }
  // Register access; false for an offset that is not a trace register (or a read-only write).
  bool read(uint32_t offset, uint32_t& value) const;
  bool write(uint32_t offset, uint32_t value);

  bool enabled() const { return enabled_ && size_ > 0; }
  void record(const isa::reg::TraceRecord& r);

 private:
  Dram& dram_;
  uint64_t ring_ = 0;
  uint32_t size_ = 0, count_ = 0;
  bool enabled_ = false;
};

}  // namespace npusim::sim
