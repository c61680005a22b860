// What each instruction does on a PE, and how long it takes (docs/timing.md).
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdlib>

#include "kernel_check.hpp"
#include "npusim/isa/kernels.hpp"
#include "npusim/isa/verifier.hpp"
#include "pe.hpp"
#include "watchdog.hpp"

namespace npusim::sim {

using isa::Field;
using isa::Opcode;
using isa::reg::ErrorCode;

namespace {
bool is_compute(Opcode op) {
  return (static_cast<uint8_t>(op) & 0xF0) == 0x10 || (static_cast<uint8_t>(op) & 0xF0) == 0x20;
}
bool is_dma(Opcode op) {
  return static_cast<uint8_t>(op) >= 0x01 && static_cast<uint8_t>(op) <= 0x04;
}
// Optional operands (bias without bias_en, a multiplier table without
// per_channel) are not addresses at all and must not be relocated.
bool operand_used(const isa::Instruction& in, Field f) {
  if (f == Field::kBias) return in[Field::kBiasEn] != 0;
  if (f == Field::kParams) return in[Field::kPerChannel] != 0;
  return true;
}
}  // namespace

bool Pe::execute_one(Task& t, int slot, isa::Engine e, const isa::Instruction& in, uint32_t index) {
  TaskError err{ErrorCode::kNone, index, index_, static_cast<int>(e), 0};
  if (injector_) {
    const bool host = in.op == Opcode::kDmaH2D || in.op == Opcode::kDmaD2H;
    const isa::reg::FaultKind fault = injector_->at_instruction(t, is_dma(in.op), host);
    if (fault != isa::reg::FaultKind::kNone) return inject(t, slot, e, fault, err);
  }
  const isa::OpcodeInfo* info = isa::find_opcode(static_cast<uint8_t>(in.op));
  if (!info || !(info->engines & (1u << static_cast<int>(e)))) {
    err.code = ErrorCode::kIllegalInstruction;
    t.fail(err);
    return false;
  }
  bool ok = true;
  if (in.op == Opcode::kEnd) return false;
  if (in.op == Opcode::kIrq) {
    if (user_irq_) user_irq_(static_cast<uint32_t>(in.u(Field::kCode)));
  } else if (in.op == Opcode::kSemWait) {
    const auto sem = in.u(Field::kSem);
    if (sem >= semaphores_.size()) {
      err.code = ErrorCode::kIllegalInstruction;
      ok = false;
    } else {
      return semaphore_wait(t, t.progress[slot][static_cast<int>(e)], static_cast<int>(sem));
    }
  } else if (in.op == Opcode::kSemSignal) {
    ok = semaphore_signal(t, slot, static_cast<int>(in.u(Field::kSem)),
                          static_cast<int>(in.u(Field::kTarget)), err);
  } else if (is_dma(in.op) || is_compute(in.op)) {
    const sc_core::sc_time start = sc_core::sc_time_stamp();
    ok = is_dma(in.op) ? dma(t, e, in, err) : compute(t, slot, in, err);
    if (ok) trace(t, slot, e, in, index, start);
  }
  if (!ok && err.code != ErrorCode::kNone) t.fail(err);
  return ok && !t.abort.raised;
}

// An injected fault at this instruction (docs/registers.md, "Fault injection").
bool Pe::inject(Task& t, int slot, isa::Engine e, isa::reg::FaultKind fault, TaskError& err) {
  using isa::reg::FaultKind;
  switch (fault) {
    case FaultKind::kDmaError:
      err.code = ErrorCode::kDmaError;
      break;
    case FaultKind::kHostLinkError:
      err.code = ErrorCode::kHostLinkError;
      break;
    case FaultKind::kWatchdog:
      t.fail(watchdog_error(t, ErrorCode::kWatchdogTimeout));
      return false;
    case FaultKind::kStuckEngine: {  // stops here; the watchdog finds it
      EngineProgress& progress = t.progress[slot][static_cast<int>(e)];
      progress.stuck = true;
      ++t.blocked;
      while (!t.abort.raised) sc_core::wait(t.abort.event);
      --t.blocked;
      return false;
    }
    default:
      err.code = ErrorCode::kIllegalInstruction;
      break;
  }
  t.fail(err);
  return false;
}

void Pe::trace(const Task& t, int slot, isa::Engine e, const isa::Instruction& in, uint32_t index,
               const sc_core::sc_time& start) {
  if (!trace_ || !trace_->enabled()) return;
  trace_->record({ctx_.to_cycles(start), ctx_.to_cycles(sc_core::sc_time_stamp()),
                  static_cast<uint32_t>(t.program), index, static_cast<uint8_t>(index_),
                  static_cast<uint8_t>(e), static_cast<uint8_t>(slot), static_cast<uint8_t>(in.op),
                  t.tag});
}

bool Pe::semaphore_wait(Task& t, EngineProgress& progress, int sem) {
  while (semaphores_[sem] == 0) {
    ++t.blocked;
    progress.semaphore = sem;
    sc_core::wait(semaphore_changed_ | t.abort.event);
    progress.semaphore = -1;
    --t.blocked;
    if (t.abort.raised) return false;
  }
  --semaphores_[sem];
  return true;
}

bool Pe::semaphore_signal(Task& t, int slot, int sem, int target, TaskError& err) {
  Pe* pe = this;
  if (target == 1) {
    if (!t.fused()) {
      err.code = ErrorCode::kIllegalInstruction;  // no partner PE in single mode
      return false;
    }
    pe = peers_[t.pes[1 - slot]];
  }
  if (sem < 0 || static_cast<size_t>(sem) >= pe->semaphores_.size()) {
    err.code = ErrorCode::kIllegalInstruction;
    return false;
  }
  ++pe->semaphores_[sem];
  pe->semaphore_changed_.notify(sc_core::SC_ZERO_TIME);
  return true;
}

// SRAM address in the task's view: PE-local in single mode; in fused mode
// [k*S, (k+1)*S) is the SRAM of slot k's PE. Null when out of range.
uint8_t* Pe::sram_at(const Task& t, uint64_t addr, uint64_t len) {
  const uint64_t size = ctx_.hw.sram_per_pe;
  const uint64_t slot = addr / size, offset = addr % size;
  if (slot >= static_cast<uint64_t>(t.num_slots) || len > size - offset) return nullptr;
  return peers_[t.pes[slot]]->sram.data() + offset;
}

namespace {
// Splits [0, len) into chunks of at most `limit` bytes.
template <typename F>
void for_chunks(uint64_t len, uint64_t limit, F f) {
  for (uint64_t o = 0; o < len; o += limit) f(o, std::min(limit, len - o));
}
}  // namespace

bool Pe::dma(Task& t, isa::Engine e, const isa::Instruction& in, TaskError& err) {
  const bool host = in.op == Opcode::kDmaH2D || in.op == Opcode::kDmaD2H;
  const uint64_t dram = t.base[in.u(Field::kDramBase) & 3] + in.u(Field::kDramOff);
  const uint64_t burst = std::max<uint64_t>(1, ctx_.hw.dma_burst);
  std::vector<Piece> pieces;
  Route route;
  if (host) {
    route = in.op == Opcode::kDmaH2D ? Route::kHostToDram : Route::kDramToHost;
    const uint64_t addr = t.base[in.u(Field::kHostBase) & 3] + in.u(Field::kHostOff);
    for_chunks(in.u(Field::kLen), burst, [&](uint64_t o, uint64_t n) {
      pieces.push_back({addr + o, nullptr, dram + o, n});
    });
  } else {
    route = in.op == Opcode::kDmaLoad ? Route::kDramToSram : Route::kSramToDram;
    const uint64_t len0 = in.u(Field::kLen0), cnt1 = in.u(Field::kCnt1), cnt2 = in.u(Field::kCnt2);
    // More rows than a descriptor allows is illegal, not a near-endless copy.
    if (len0 == 0 || cnt1 == 0 || cnt2 == 0 || cnt1 * cnt2 > isa::kMaxDmaRows) {
      err.code = ErrorCode::kIllegalInstruction;
      return false;
    }
    for (uint64_t i2 = 0; i2 < cnt2; ++i2) {
      for (uint64_t i1 = 0; i1 < cnt1; ++i1) {
        const uint64_t d = dram + i2 * in.u(Field::kDStride2) + i1 * in.u(Field::kDStride1);
        const uint64_t s =
            in.u(Field::kSram) + i2 * in.u(Field::kSStride2) + i1 * in.u(Field::kSStride1);
        uint8_t* p = sram_at(t, s, len0);
        if (!p) {
          err.code = ErrorCode::kAddressOutOfRange;
          err.address = s;
          return false;
        }
        for_chunks(len0, burst, [&](uint64_t o, uint64_t n) {
          pieces.push_back({d + o, p + o, 0, n});
        });
      }
    }
  }
  DmaPort& port = e == isa::Engine::kStore ? store_dma : load_dma;
  uint64_t bytes = 0;
  for (const Piece& p : pieces) bytes += p.len;
  counters.dma_begin(sc_core::sc_time_stamp());
  sc_core::wait(ctx_.cycles(ctx_.hw.dma_setup_cycles), t.abort.event);
  DmaResult r = t.abort.raised ? DmaResult{true, true, 0}
                               : port.move(route, pieces, t.abort, ctx_.functional);
  counters.dma_end(sc_core::sc_time_stamp());
  counters.dma_bytes(bytes);
  if (!r.ok) {
    err.code = ErrorCode::kAddressOutOfRange;
    err.address = r.bad_address;
    return false;
  }
  return !r.aborted;
}

bool Pe::compute(Task& t, int slot, const isa::Instruction& in, TaskError& err) {
  // Compute operands live in the executing PE's own SRAM; in fused mode its
  // addresses are offset by slot * S, which is removed here.
  if (!isa::shape_problem(in).empty()) {  // e.g. stride 0: the unit cannot execute it
    err.code = ErrorCode::kIllegalInstruction;
    return false;
  }
  const uint64_t size = ctx_.hw.sram_per_pe;
  const uint64_t own = t.fused() ? slot * size : 0;
  isa::Instruction local = in;
  for (const isa::FieldSpec& f : isa::info(in.op).fields) {
    if (f.kind != isa::FieldKind::kSramAddr || !operand_used(in, f.field)) continue;
    if (local.u(f.field) < own) {
      err.code = ErrorCode::kAddressOutOfRange;
      err.address = local.u(f.field);
      return false;
    }
    local[f.field] -= static_cast<int64_t>(own);
  }
  const isa::kernels::Accesses acc = isa::kernels::accesses(local);
  uint64_t traffic = 0;
  auto check = [&](const isa::kernels::Range& r) {
    traffic += r.end - r.begin;
    if (r.end > size || r.begin > r.end) {
      err.code = ErrorCode::kAddressOutOfRange;
      err.address = own + r.end;
      return false;
    }
    return true;
  };
  for (int i = 0; i < acc.num_reads; ++i)
    if (!check(acc.reads[i])) return false;
  for (int i = 0; i < acc.num_writes; ++i)
    if (!check(acc.writes[i])) return false;
  if (ctx_.functional && !start_kernel(local, acc)) {
    err.code = ErrorCode::kIllegalInstruction;
    return false;
  }
  const sc_core::sc_time duration = ctx_.cycles(compute_cycles(local, ctx_.hw));
  sc_core::wait(duration, t.abort.event);
  const bool kernel_ok = !ctx_.functional || finish_kernel();
  if (t.abort.raised) return false;
  if (!kernel_ok) {
    err.code = ErrorCode::kIllegalInstruction;
    return false;
  }
  counters.tensor(duration);
  counters.sram(traffic);
  return true;
}

// The instruction's arithmetic, on the PE's host thread (kernel_offload.hpp):
// from here on it may be running while the simulation goes on, and every
// other access to its SRAM ranges waits for it. False if the unit cannot
// execute it (only when running at once: shape_problem() has rejected every
// shape the kernels refuse, so an offloaded kernel does not throw).
bool Pe::start_kernel(const isa::Instruction& local, const isa::kernels::Accesses& acc) {
  const isa::kernels::Bytes memory{sram.data(), sram.size()};
  std::function<void()> kernel = [local, memory] { isa::kernels::execute(local, memory); };
  if (offload_->mode() == KernelOffload::Mode::kCheck)
    kernel = [local, memory, acc] {
      // 64 KiB either side: a whole 16 MiB SRAM per instruction would take
      // minutes for YOLOv8n; KernelFootprint.* check whole memories.
      const std::string problem = execute_checked(local, memory, acc, 64 << 10);
      if (!problem.empty()) {
        spdlog::critical("kernel footprint check: {}", problem);
        std::abort();  // a simulator bug: results with kernels on threads could differ
      }
    };
  try {
    offload_->start(index_, std::move(kernel), {sram.data(), acc},
                    KernelOffload::worth_a_thread(local));
  } catch (const isa::IsaError&) {
    return false;
  }
  return true;
}

// Waits for the instruction's arithmetic; false if the unit could not execute it.
bool Pe::finish_kernel() {
  try {
    offload_->finish(index_);
  } catch (const isa::IsaError&) {
    return false;
  }
  return true;
}

}  // namespace npusim::sim
