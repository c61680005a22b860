// Arming and draining the device's trace ring.
#include "npusim/driver/device_trace.hpp"

#include <algorithm>
#include <bit>

#include "npusim/driver/device.hpp"

namespace npusim::driver {

namespace reg = isa::reg;

DeviceTrace::DeviceTrace(Device& device, uint32_t records) : device_(device), records_(records) {
  if (records == 0 || !std::has_single_bit(records))
    throw DriverError(ErrorKind::kInvalidArgument,
                      "trace ring entries must be a power of two, got " + std::to_string(records));
  ring_ = device_.allocate(uint64_t{records} * sizeof(reg::TraceRecord));
  arm();
}

DeviceTrace::~DeviceTrace() {
  try {
    device_.write_register(reg::kTraceEnable, 0);
    device_.write_register(reg::kTraceSize, 0);
    device_.release(ring_);
  } catch (...) {  // a destructor must not throw; the device may be gone already
  }
}

void DeviceTrace::arm() {
  device_.write_register(reg::kTraceLo, static_cast<uint32_t>(ring_));
  device_.write_register(reg::kTraceHi, static_cast<uint32_t>(ring_ >> 32));
  device_.write_register(reg::kTraceSize, records_);  // also zeroes TRACE_COUNT
  device_.write_register(reg::kTraceEnable, 1);
  read_ = 0;
  epoch_ = device_.reset_count();
}

std::vector<reg::TraceRecord> DeviceTrace::drain() {
  if (device_.reset_count() != epoch_) {
    // The reset cleared the trace registers; what was written since the last
    // drain is gone with the work it described.
    lost_ += 1;
    arm();
    return {};
  }
  const uint32_t count = device_.read_register(reg::kTraceCount);
  uint32_t unread = count - read_;  // modulo 2^32, like the counter
  if (unread > records_) {
    lost_ += unread - records_;
    read_ = count - records_;
    unread = records_;
  }
  std::vector<reg::TraceRecord> out(unread);
  for (uint32_t i = 0; i < unread;) {
    const uint32_t slot = (read_ + i) % records_;
    const uint32_t run = std::min(unread - i, records_ - slot);  // up to the ring's end
    device_.read_memory(ring_ + uint64_t{slot} * sizeof(reg::TraceRecord), &out[i],
                        uint64_t{run} * sizeof(reg::TraceRecord));
    i += run;
  }
  read_ = count;
  return out;
}

}  // namespace npusim::driver
