// Instruction observation (npusim/sim/instruction_observer.hpp): the event
// of each executed instruction and, with values, the checksum of the bytes
// it wrote. Only reached when an observer is attached.
#include "dram.hpp"
#include "npusim/isa/kernels.hpp"
#include "pe.hpp"

namespace npusim::sim {

using isa::Field;
using isa::Opcode;

bool Pe::execute_observed(Task& t, int slot, isa::Engine e, const isa::Instruction& in,
                          uint32_t index) {
  const sc_core::sc_time start = sc_core::sc_time_stamp();
  const bool ok = execute_one(t, slot, e, in, index);
  // `end` stops the stream (false) but was executed; a failed or aborted
  // instruction did not retire and is not reported.
  if (!ok && !(in.op == Opcode::kEnd && !t.abort.raised)) return ok;
  InstructionEvent ev;
  ev.task = t.seq;
  ev.tag = t.tag;
  ev.pe = index_;
  ev.slot = slot;
  ev.engine = e;
  ev.index = index;
  ev.start_cycle = ctx_.to_cycles(start);
  ev.end_cycle = ctx_.to_cycles(sc_core::sc_time_stamp());
  ev.instruction = &in;
  if (observe_values_ && ctx_.functional) written(t, slot, in, ev);
  observer_->on_instruction(ev);
  return ok;
}

namespace {
// FNV-1a over `len` bytes at `p` (null: nothing, e.g. outside memory).
uint64_t hash(const uint8_t* p, uint64_t len, uint64_t h) {
  return p ? fnv1a64({p, static_cast<size_t>(len)}, h) : h;
}
}  // namespace

// `len` SRAM bytes at `p` once no kernel in flight writes them (a kernel
// started since the instruction ended may, kernel_offload.hpp).
const uint8_t* Pe::settled(const uint8_t* p, uint64_t len) {
  if (p && offload_) offload_->before_access(p, p + len, false);
  return p;
}

// The destination of a DMA or compute instruction and the hash of its bytes
// as they are now, just after it retired. Compute instructions report the
// [begin, end) range of their output (isa::kernels::accesses), which for a
// strided output includes the bytes between its rows.
void Pe::written(const Task& t, int slot, const isa::Instruction& in, InstructionEvent& ev) {
  const uint8_t op = static_cast<uint8_t>(in.op);
  uint64_t h = kFnvOffset;
  if (in.op == Opcode::kDmaH2D || in.op == Opcode::kDmaD2H) {
    // h2d writes DRAM; d2h writes host memory the very bytes it read from DRAM.
    const uint64_t dram = t.base[in.u(Field::kDramBase) & 3] + in.u(Field::kDramOff);
    const uint64_t len = in.u(Field::kLen);
    const bool fits = dram <= dram_->size() && len <= dram_->size() - dram;
    h = hash(fits ? dram_->data() + dram : nullptr, len, h);
    const bool h2d = in.op == Opcode::kDmaH2D;
    ev.space = h2d ? WriteSpace::kDram : WriteSpace::kHost;
    ev.write_base = static_cast<int>(in.u(h2d ? Field::kDramBase : Field::kHostBase) & 3);
    ev.write_address = h2d ? in.u(Field::kDramOff) : in.u(Field::kHostOff);
    ev.write_bytes = len;
  } else if (in.op == Opcode::kDmaLoad || in.op == Opcode::kDmaStore) {
    const bool load = in.op == Opcode::kDmaLoad;
    const uint64_t dram = t.base[in.u(Field::kDramBase) & 3] + in.u(Field::kDramOff);
    const uint64_t len0 = in.u(Field::kLen0);
    for (uint64_t i2 = 0; i2 < in.u(Field::kCnt2); ++i2)
      for (uint64_t i1 = 0; i1 < in.u(Field::kCnt1); ++i1) {
        if (load) {
          const uint64_t s =
              in.u(Field::kSram) + i2 * in.u(Field::kSStride2) + i1 * in.u(Field::kSStride1);
          h = hash(settled(sram_at(t, s, len0), len0), len0, h);
        } else {
          const uint64_t d = dram + i2 * in.u(Field::kDStride2) + i1 * in.u(Field::kDStride1);
          const bool fits = d <= dram_->size() && len0 <= dram_->size() - d;
          h = hash(fits ? dram_->data() + d : nullptr, len0, h);
        }
      }
    ev.space = load ? WriteSpace::kSram : WriteSpace::kDram;
    ev.write_base = load ? 0 : static_cast<int>(in.u(Field::kDramBase) & 3);
    ev.write_address = load ? in.u(Field::kSram) : in.u(Field::kDramOff);
    ev.write_bytes = len0 * in.u(Field::kCnt1) * in.u(Field::kCnt2);
  } else if ((op & 0xF0) == 0x10 || (op & 0xF0) == 0x20) {
    // Compute operands are in this PE's SRAM; fused addresses are offset by slot * S.
    const uint64_t own = t.fused() ? slot * ctx_.hw.sram_per_pe : 0;
    isa::Instruction local = in;
    for (const isa::FieldSpec& f : isa::info(in.op).fields)
      if (f.kind == isa::FieldKind::kSramAddr && local.u(f.field) >= own)
        local[f.field] -= static_cast<int64_t>(own);
    const isa::kernels::Accesses acc = isa::kernels::accesses(local);
    if (acc.num_writes == 0) return;
    const isa::kernels::Range r = acc.writes[0];
    const bool fits = r.end <= sram.size() && r.begin <= r.end;
    h = hash(fits ? settled(sram.data() + r.begin, r.end - r.begin) : nullptr, r.end - r.begin, h);
    ev.space = WriteSpace::kSram;
    ev.write_address = own + r.begin;
    ev.write_bytes = r.end - r.begin;
  } else {
    return;
  }
  ev.checksum = h;
}

}  // namespace npusim::sim
