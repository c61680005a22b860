// The per-layer table of one request (docs/profile.md): every layer of the
// program in execution order, the unit it ran on (NPU, or CPU with the
// compiler's reason), and for NPU layers the cycles from the device trace,
// MACs, matrix-unit utilisation and DMA bytes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "npusim/runtime/host_cost.hpp"
#include "npusim/runtime/model.hpp"
#include "npusim/runtime/session_stats.hpp"

namespace npusim::runtime {

struct LayerRow {
  std::string segment;  // npu0, cpu0, ...
  std::string name, op;
  std::string unit;     // "NPU" or "CPU"
  std::string reason;   // CPU: why the layer is not on the NPU
  uint64_t cycles = 0;  // NPU: device cycles from the layer's first instruction to its last
  double time_us = 0;   // NPU: cycles as time; CPU: the host cost model's estimate
  uint64_t macs = 0, dma_bytes = 0;   // NPU: from the device trace
  uint64_t planned_dma_bytes = 0;     // NPU: what the compiled code moves (isa::layer_dma_bytes)
  double utilisation = 0;             // MACs / (cycles x array MACs per cycle x PEs)
  uint64_t start_ps = 0, end_ps = 0;  // NPU: on the simulated timeline
};

// Rows for request `request` of a session that ran with device_trace.
std::vector<LayerRow> layer_table(const Model& model, const SessionStats& stats, uint64_t request,
                                  const HostCostModel& host);

// The table as CSV with a header row (fields with commas or quotes quoted).
std::string layer_csv(const std::vector<LayerRow>& rows);

}  // namespace npusim::runtime
