// The trace unit's registers and ring writes (docs/registers.md, "Trace").
#include "trace_unit.hpp"

#include <bit>
#include <cstring>

#include "dram.hpp"

namespace npusim::sim {

namespace reg = isa::reg;

bool TraceUnit::read(uint32_t offset, uint32_t& value) const {
  switch (offset) {
    case reg::kTraceLo:
      value = static_cast<uint32_t>(ring_);
      return true;
    case reg::kTraceHi:
      value = static_cast<uint32_t>(ring_ >> 32);
      return true;
    case reg::kTraceSize:
      value = size_;
      return true;
    case reg::kTraceCount:
      value = count_;
      return true;
    case reg::kTraceEnable:
      value = enabled_ ? 1u : 0u;
      return true;
  }
  return false;
}

bool TraceUnit::write(uint32_t offset, uint32_t value) {
  switch (offset) {
    case reg::kTraceLo:
      ring_ = (ring_ & ~0xFFFFFFFFull) | value;
      return true;
    case reg::kTraceHi:
      ring_ = (ring_ & 0xFFFFFFFFull) | uint64_t{value} << 32;
      return true;
    case reg::kTraceSize:
      if (value != 0 && !std::has_single_bit(value)) return false;
      size_ = value;
      count_ = 0;
      return true;
    case reg::kTraceEnable:
      enabled_ = value & 1;
      return true;
  }
  return false;
}

void TraceUnit::record(const reg::TraceRecord& r) {
  if (!enabled()) return;
  const uint64_t at = ring_ + uint64_t{count_ % size_} * sizeof r;
  // A ring outside DRAM records nothing (the count still tells the host).
  if (at <= dram_.size() && sizeof r <= dram_.size() - at)
    std::memcpy(dram_.data() + at, &r, sizeof r);
  ++count_;
}

}  // namespace npusim::sim
