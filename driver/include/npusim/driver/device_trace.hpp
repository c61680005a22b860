// The device's instruction trace (docs/registers.md, "Trace"): a ring of
// isa::reg::TraceRecord in device DRAM that the device fills while enabled.
// A DeviceTrace owns the ring, arms the trace registers and reads the
// records written since its last drain. Profilers use it; it costs the
// device no simulated time.
#pragma once

#include <cstdint>
#include <vector>

#include "npusim/isa/regmap.hpp"

namespace npusim::driver {

class Device;

class DeviceTrace {
 public:
  // Allocates a ring of `records` entries (a power of two) and enables tracing.
  explicit DeviceTrace(Device& device, uint32_t records = 1u << 20);
  ~DeviceTrace();  // disables tracing and frees the ring
  DeviceTrace(const DeviceTrace&) = delete;
  DeviceTrace& operator=(const DeviceTrace&) = delete;

  // Records written since the last drain, oldest first. lost() counts the
  // records the ring overwrote before they were read, plus one for each
  // device reset (which clears the count, so how many it dropped is
  // unknown); after a reset the trace is armed again.
  std::vector<isa::reg::TraceRecord> drain();
  uint64_t lost() const { return lost_; }

 private:
  void arm();

  Device& device_;
  uint32_t records_;
  uint64_t ring_ = 0;
  uint32_t read_ = 0;  // TRACE_COUNT value up to which records were read
  uint64_t epoch_ = 0;
  uint64_t lost_ = 0;
};

}  // namespace npusim::driver
