// The register file (docs/registers.md). Unmapped reads return all ones, as
// on PCIe; any bad access latches kBadRegister and raises the error interrupt.
#include "platform.hpp"

namespace npusim::sim {

namespace reg = isa::reg;

uint32_t Platform::split64(uint64_t v, bool high) {
  latched_hi_ = static_cast<uint32_t>(v >> 32);
  return high ? latched_hi_ : static_cast<uint32_t>(v);
}

uint32_t Platform::read_register(uint32_t offset) {
  const uint64_t now = ctx.to_cycles(sc_core::sc_time_stamp());
  switch (offset) {
    case reg::kDeviceId:
      return reg::kDeviceIdValue;
    case reg::kVersion:
      return isa::kIsaVersion;
    case reg::kNumPes:
      return static_cast<uint32_t>(ctx.hw.num_pes);
    case reg::kStatus: {
      bool busy = false;
      for (auto& pe : pes) busy = busy || pe->busy;
      return 1u | (error_.code != reg::ErrorCode::kNone ? 2u : 0u) | (busy ? 4u : 0u);
    }
    case reg::kIrqStatus:
      return irq_status_;
    case reg::kIrqMask:
      return irq_mask_;
    case reg::kErrorCode:
      return static_cast<uint32_t>(error_.code);
    case reg::kErrorInfo:
      return error_.info;
    case reg::kErrorSource:
      return uint32_t(error_.pe & 0xFF) | uint32_t(error_.engine & 0xFF) << 8 |
             uint32_t(error_queue_ & 0xFF) << 16;
    case reg::kErrorAddrLo:
      return static_cast<uint32_t>(error_.address);
    case reg::kErrorAddrHi:
      return static_cast<uint32_t>(error_.address >> 32);
    case reg::kUserIrqCode:
      return user_irq_code_;
    case reg::kClockMhz:
      return static_cast<uint32_t>(ctx.hw.clock_hz / 1'000'000);
    case reg::kSramKib:
      return static_cast<uint32_t>(ctx.hw.sram_per_pe >> 10);
    case reg::kArrayRows:
      return static_cast<uint32_t>(ctx.hw.array_rows);
    case reg::kArrayCols:
      return static_cast<uint32_t>(ctx.hw.array_cols);
    case reg::kDramMib:
      return static_cast<uint32_t>(ctx.hw.dram_size >> 20);
    case reg::kInjectKind:
      return static_cast<uint32_t>(injector.armed());
    case reg::kInjectAfterLo:
      return static_cast<uint32_t>(injector.after());
    case reg::kInjectAfterHi:
      return static_cast<uint32_t>(injector.after() >> 32);
    case reg::kTimeLo:
      return split64(now, false);
    case reg::kTimeHi:
      return latched_hi_;
  }
  bool ok = false;
  uint32_t value = 0;
  if (trace.read(offset, value)) return value;
  if (offset >= reg::kEngineStateBase && offset < reg::kEngineStateEnd) {
    const uint32_t at = offset - reg::kEngineStateBase;
    if (at / 8 < error_.engines.size() && at % 4 == 0) {
      const EngineSnapshot& e = error_.engines[at / 8];
      return at % 8 == 0 ? e.index : uint32_t(e.state) | uint32_t(e.semaphore) << 8;
    }
  }
  if (offset >= reg::kQueueBase && offset < reg::kQueueBase + reg::kMaxQueues * reg::kQueueStride)
    value = read_queue_register((offset - reg::kQueueBase) / reg::kQueueStride,
                                (offset - reg::kQueueBase) % reg::kQueueStride, ok);
  else if (offset >= reg::kPeBase && offset < reg::kRegSpaceEnd)
    value = read_pe_register((offset - reg::kPeBase) / reg::kPeStride,
                             (offset - reg::kPeBase) % reg::kPeStride, ok);
  if (ok) return value;
  bad_register(offset);
  return 0xFFFFFFFFu;
}

uint32_t Platform::read_queue_register(int q, uint32_t r, bool& ok) {
  const QueueState& s = cp->queues[q];
  ok = true;
  switch (r) {
    case reg::kQRingLo:
      return static_cast<uint32_t>(s.ring);
    case reg::kQRingHi:
      return static_cast<uint32_t>(s.ring >> 32);
    case reg::kQRingSize:
      return s.ring_size;
    case reg::kQHead:
      return s.head;
    case reg::kQTail:
      return s.tail;
    case reg::kQCplLo:
      return static_cast<uint32_t>(s.completions);
    case reg::kQCplHi:
      return static_cast<uint32_t>(s.completions >> 32);
    case reg::kQCplSize:
      return s.cpl_size;
    case reg::kQCplTail:
      return s.cpl_tail;
    case reg::kQCplHead:
      return s.cpl_head;
    case reg::kQPeMask:
      return s.pe_mask;
    case reg::kQEnable:
      return s.enabled;
    case reg::kQDone:
      return s.done;
  }
  ok = false;
  return 0;
}

uint32_t Platform::read_pe_register(int p, uint32_t r, bool& ok) {
  ok = p < ctx.hw.num_pes;
  if (!ok) return 0;
  const Pe& pe = *pes[p];
  const CounterValues c = pe.counters.read(sc_core::sc_time_stamp(), cycle_ps(ctx.hw));
  switch (r) {
    case reg::kPeState:
      return pe.busy ? 1u : 0u;
    case reg::kPeCyclesLo:
      return split64(c.cycles, false);
    case reg::kPeTaskCyclesLo:
      return split64(c.task_cycles, false);
    case reg::kPeTensorCyclesLo:
      return split64(c.tensor_cycles, false);
    case reg::kPeDmaBytesLo:
      return split64(c.dma_bytes, false);
    case reg::kPeDmaBusyLo:
      return split64(c.dma_busy_cycles, false);
    case reg::kPeSramBytesLo:
      return split64(c.sram_bytes, false);
    case reg::kPeCyclesLo + 4:
    case reg::kPeTaskCyclesLo + 4:
    case reg::kPeTensorCyclesLo + 4:
    case reg::kPeDmaBytesLo + 4:
    case reg::kPeDmaBusyLo + 4:
    case reg::kPeSramBytesLo + 4:
      return latched_hi_;
  }
  ok = false;
  return 0;
}

void Platform::write_register(uint32_t offset, uint32_t value) {
  switch (offset) {
    case reg::kReset:
      if (value & 1) reset();
      return;
    case reg::kIrqMask:
      irq_mask_ = value;
      return;
    case reg::kErrorInject:
      cp->inject_fault(static_cast<reg::ErrorCode>(value & 0xFF));
      return;
    case reg::kInjectKind:
      if (value > uint32_t(reg::FaultKind::kHostLinkError)) break;  // unknown kind
      injector.arm(static_cast<reg::FaultKind>(value));
      return;
    case reg::kInjectAfterLo:
      injector.set_after((injector.after() & ~0xFFFFFFFFull) | value);
      return;
    case reg::kInjectAfterHi:
      injector.set_after((injector.after() & 0xFFFFFFFFull) | uint64_t(value) << 32);
      return;
    case reg::kIrqAck:
      irq_status_ &= ~value;
      if (value & kIrqError) error_ = TaskError{};  // acknowledging the error clears the latch
      return;
  }
  if (trace.write(offset, value)) return;
  if (offset >= reg::kQueueBase && offset < reg::kQueueBase + reg::kMaxQueues * reg::kQueueStride &&
      write_queue_register((offset - reg::kQueueBase) / reg::kQueueStride,
                           (offset - reg::kQueueBase) % reg::kQueueStride, value))
    return;
  bad_register(offset);
}

bool Platform::write_queue_register(int q, uint32_t r, uint32_t value) {
  QueueState& s = cp->queues[q];
  auto low = [](uint64_t& v, uint32_t x) { v = (v & ~0xFFFFFFFFull) | x; };
  auto high = [](uint64_t& v, uint32_t x) { v = (v & 0xFFFFFFFFull) | uint64_t(x) << 32; };
  switch (r) {
    case reg::kQRingLo:
      low(s.ring, value);
      return true;
    case reg::kQRingHi:
      high(s.ring, value);
      return true;
    case reg::kQRingSize:
      s.ring_size = value;
      return true;
    case reg::kQTail:
      s.tail = value;
      break;
    case reg::kQCplLo:
      low(s.completions, value);
      return true;
    case reg::kQCplHi:
      high(s.completions, value);
      return true;
    case reg::kQCplSize:
      s.cpl_size = value;
      return true;
    case reg::kQCplHead:
      s.cpl_head = value;
      break;
    case reg::kQPeMask:
      s.pe_mask = value;
      return true;
    case reg::kQEnable:
      s.enabled = value & 1;
      if (!s.enabled) s.head = s.tail = s.cpl_tail = s.cpl_head = s.done = 0;
      break;
    default:
      return false;
  }
  cp->doorbell(q);
  return true;
}

}  // namespace npusim::sim
