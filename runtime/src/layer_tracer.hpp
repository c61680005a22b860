// Turns the device's instruction trace into per-layer events: the records a
// RUN produced are matched to its segment's layer table (isa::LayerInfo) and
// summed per layer, PE and engine, with the MACs and DMA bytes their
// instructions encode.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <vector>

#include "npusim/driver/device_trace.hpp"
#include "npusim/runtime/session_stats.hpp"
#include "placed_program.hpp"

namespace npusim::runtime {

class LayerTracer {
 public:
  // `pes`: the PEs of the session's device lanes; records of other PEs (other
  // sessions on the same device) are dropped.
  LayerTracer(driver::Device& device, const isa::Program& program, const PlacedProgram& placed,
              uint32_t pes);

  // The layer events of request `request`'s RUN of NPU segment `segment` on
  // the PEs of `pe_mask` during [start_ps, end_ps].
  std::vector<LayerEvent> collect(uint64_t request, size_t segment, uint32_t pe_mask,
                                  uint64_t start_ps, uint64_t end_ps);
  uint64_t lost() const { return trace_.lost(); }

 private:
  // What one instruction of a stream contributes.
  struct Cost {
    uint64_t macs = 0, bytes = 0;
  };
  struct SegmentCode {
    const isa::NpuSegment* npu = nullptr;
    std::array<std::array<std::vector<Cost>, isa::kNumEngines>, 2> costs;
  };
  size_t layer_of(const isa::NpuSegment& s, int slot, int engine, uint32_t index) const;

  driver::Device& device_;
  driver::DeviceTrace trace_;
  uint32_t pes_ = 0;
  uint64_t clock_hz_ = 1;
  std::map<uint32_t, size_t> segment_by_table_;  // low 32 bits of the program table address
  std::map<size_t, SegmentCode> code_;
  std::vector<isa::reg::TraceRecord> pending_;  // records of RUNs not yet collected
};

}  // namespace npusim::runtime
