// What a runner's session measured over its lifetime, from the simulated
// timeline and the device's counters.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "npusim/driver/device.hpp"
#include "npusim/runtime/request.hpp"

namespace npusim::runtime {

// One interval of the simulated timeline, for traces: a host lane, or a
// device's H2D / RUN / D2H command.
struct TimelineEvent {
  std::string lane;  // "host 0", "npu0pe0 h2d", "npu0pe0 run", "npu0pe0 d2h"
  std::string name;  // "request 3: cpu0", ...
  uint64_t start_ps = 0, end_ps = 0;
  uint64_t request = 0;
};

// One layer's work on one engine of one PE within a request, from the
// device's instruction trace (RunnerOptions::device_trace).
struct LayerEvent {
  uint64_t request = 0;
  size_t segment = 0;  // index in Program::segments
  size_t layer = 0;    // index in that segment's layer table
  std::string name, op;
  std::string pe;                                  // npu0pe0
  std::string engine;                              // load, compute, store
  uint64_t start_ps = 0, end_ps = 0, busy_ps = 0;  // first start, last end, sum of instructions
  uint64_t instructions = 0, macs = 0, dma_bytes = 0;
};

// A PE's counters over the session (npu_percent() etc. give NPU%, Comp%, I/O%).
struct PeUtilisation : driver::Counters {
  std::string pe;  // npu0pe0
};

struct SessionStats {
  uint64_t requests = 0, failed = 0, device_resets = 0;
  // Retries after device faults (RunnerOptions::retries): attempts made
  // again, and requests that succeeded after at least one.
  uint64_t retried = 0, recovered = 0;
  uint64_t first_start_ps = 0, last_end_ps = 0;  // span of the requests
  std::vector<RequestTiming> timings;            // per finished request, in finishing order
  std::vector<TimelineEvent> timeline;
  std::vector<PeUtilisation> pes;  // counter deltas over the session
  // Device DRAM the session holds: weights, code, tables, scratch, I/O slots, rings.
  uint64_t dram_bytes = 0;
  // With RunnerOptions::device_trace: per request, layer and engine.
  std::vector<LayerEvent> layer_events;
  uint64_t trace_records_lost = 0;  // overwritten in the ring or dropped by a reset
  uint64_t span_ps() const { return last_end_ps - first_start_ps; }
};

}  // namespace npusim::runtime
