// Static verification of a program against the hardware it will run on
// (docs/isa.md, "Verification"). Every stream is decoded and each
// instruction is checked on its own (engine, shapes, address ranges);
// semaphores are checked per segment by counting waits and signals.
#include "npusim/isa/verifier.hpp"

#include <algorithm>

#include "npusim/isa/kernels.hpp"
#include "op_descriptor.hpp"
#include "verifier_rules.hpp"

namespace npusim::isa {
namespace {

using F = Field;
using verify_detail::shape_issues;

std::string fname(F f) {
  return std::string(field_name(f));
}

std::string range_text(uint64_t begin, uint64_t end) {
  std::string s = "[";
  s += std::to_string(begin);
  s += ", ";
  s += std::to_string(end);
  s += ')';
  return s;
}

// The SRAM address field an access range starts at, to name it. A write is
// always to dst; a read is the first address field (in table order) whose
// value is the range's start.
F access_field(const Instruction& in, uint64_t begin, bool write) {
  if (write) return F::kDst;
  for (const auto& spec : info(in.op).fields)
    if (spec.kind == FieldKind::kSramAddr && in.u(spec.field) == begin) return spec.field;
  return F::kSrc;
}

// --- the verifier proper ---

class Verifier {
 public:
  Verifier(const Program& p, const HwParams& hw) : p_(p), hw_(hw) {}

  std::vector<Diagnostic> run() {
    program_checks();
    for (const auto& seg : p_.segments)
      if (const auto* npu = std::get_if<NpuSegment>(&seg)) {
        segment(*npu);
        segment_tensors(*npu);
      }
    io_table("input", p_.inputs);
    io_table("output", p_.outputs);
    return std::move(out_);
  }

 private:
  // Where the instruction being checked lives.
  struct Where {
    const NpuSegment* seg = nullptr;
    int slot = 0;
    Engine engine = Engine::kLoad;
    long index = -1;
  };

  void report(const Where& w, const std::string& field, const std::string& message) {
    out_.push_back({w.seg ? w.seg->name : "", w.slot, w.engine, w.index, field, message});
  }
  void report(const Where& w, F field, const std::string& message) {
    report(w, fname(field), message);
  }

  void program_checks() {
    const Where w{nullptr, -1};
    if (p_.batch < 1)
      report(w, "batch", "batch must be >= 1 (got " + std::to_string(p_.batch) + ")");
    if (p_.mode == Mode::kFused && hw_.num_pes < 2)
      report(w, "mode", "fused mode needs 2 PEs, the hardware has " + std::to_string(hw_.num_pes));
  }

  // --- one segment ---

  void segment(const NpuSegment& seg) {
    for (auto& per_slot : waits_) per_slot.fill(0);
    for (auto& per_slot : signals_) per_slot.fill(0);
    for (int slot = 0; slot < 2; ++slot)
      for (int e = 0; e < kNumEngines; ++e) stream({&seg, slot, static_cast<Engine>(e)});
    semaphore_balance();
  }

  void stream(Where w) {
    const auto& words = w.seg->streams[w.slot][static_cast<int>(w.engine)];
    if (words.empty()) return;  // no stream for this engine
    if (w.slot == 1 && p_.mode == Mode::kSingle) {
      report(w, "", "slot 1 has a stream but the program is in single mode");
      return;
    }
    bool ended = false;
    size_t pos = 0;
    for (w.index = 0; pos < words.size(); ++w.index) {
      Instruction in;
      try {
        pos += decode_one(words, pos, in, w.index);
      } catch (const IsaError& e) {
        report(w, "", e.what());
        return;  // the rest of the stream cannot be found reliably
      }
      if (ended) {
        report(w, "", "instruction after end");
        return;
      }
      instruction(w, in);
      ended = in.op == Opcode::kEnd;
    }
    if (!ended) {
      w.index = -1;
      report(w, "", "stream does not end with end");
    }
  }

  void instruction(const Where& w, const Instruction& in) {
    const OpcodeInfo& op = info(in.op);
    if (!(op.engines & (1u << static_cast<int>(w.engine)))) {
      report(w, "",
             std::string(op.mnemonic) + " cannot run on the " + std::string(engine_name(w.engine)) +
                 " engine");
      return;
    }
    if (!shape_and_ranges(w, in)) return;
    const ops::OpDescriptor* d = ops::find(in.op);  // decode_one accepted the opcode
    if (d && d->rules) {
      RuleContext c(*this, w);
      d->rules(in, c);
    }
  }

  // The verifier as an opcode's rules see it, for the instruction at `w`.
  class RuleContext final : public verify_detail::Checker {
   public:
    RuleContext(Verifier& v, const Where& w) : v_(v), w_(w) {}
    void report(F field, const std::string& message) override { v_.report(w_, field, message); }
    void check_sram(F field, uint64_t begin, uint64_t end) override {
      v_.check_sram(w_, field, begin, end);
    }
    void check_dram(uint64_t base, uint64_t off, uint64_t extent) override {
      v_.check_dram(w_, base, off, extent);
    }
    int num_semaphores() const override { return v_.hw_.num_semaphores; }
    bool fused() const override { return v_.p_.mode == Mode::kFused; }
    void count_wait(uint64_t sem) override {
      if (v_.waits_[w_.slot][sem]++ == 0) v_.first_wait_[w_.slot][sem] = w_;
    }
    void count_signal(uint64_t sem, bool other_pe) override {
      ++v_.signals_[other_pe ? 1 - w_.slot : w_.slot][sem];
    }

   private:
    Verifier& v_;
    const Where& w_;
  };

  // --- address spaces ---

  // The executing PE's own SRAM: [0, sram) in single mode; in fused mode slot
  // s owns [s * sram, (s + 1) * sram) of the joint address space.
  std::pair<uint64_t, uint64_t> own_sram(int slot) const {
    const uint64_t base = p_.mode == Mode::kFused ? slot * hw_.sram_per_pe : 0;
    return {base, base + hw_.sram_per_pe};
  }

  void check_sram(const Where& w, F field, uint64_t begin, uint64_t end) {
    const auto [lo, hi] = own_sram(w.slot);
    if (begin >= lo && end <= hi) return;
    const std::string range = range_text(begin, end);
    const uint64_t all = p_.mode == Mode::kFused ? 2 * hw_.sram_per_pe : hw_.sram_per_pe;
    if (end <= all)
      report(w, field,
             "SRAM range " + range + " is in the other PE's SRAM; slot " + std::to_string(w.slot) +
                 " may only use " + range_text(lo, hi));
    else
      report(w, field,
             "SRAM range " + range + " lies outside the SRAM " + range_text(lo, hi) +
                 " (sram_per_pe=" + std::to_string(hw_.sram_per_pe) + ")");
  }

  // Size of the DRAM window behind a base register, if the program knows it.
  std::optional<uint64_t> dram_size(uint64_t base, const NpuSegment& seg) const {
    switch (base) {
      case kBaseWeights:
        return seg.weights.size();
      case kBaseScratch:
        return seg.scratch_bytes;
      case kBaseIo:
        return seg.io_bytes;
      default:
        return std::nullopt;
    }
  }

  void check_dram(const Where& w, uint64_t base, uint64_t off, uint64_t extent) {
    const auto size = dram_size(base, *w.seg);
    if (!size) {
      report(w, F::kDramBase,
             "DRAM base " + std::to_string(base) +
                 " has no size known to the program (only 0 weights, 1 scratch, 2 io)");
      return;
    }
    if (off <= *size && extent <= *size - off) return;
    report(w, F::kDramOff,
           "DRAM range " + range_text(off, off + extent) + " of base " + std::to_string(base) +
               " exceeds its size " + std::to_string(*size));
  }

  // --- per-instruction checks ---

  // The shape rules of the opcode's descriptor, then every SRAM range it
  // accesses (none for DMA and control opcodes) in the slot's own SRAM.
  bool shape_and_ranges(const Where& w, const Instruction& in) {
    const auto issues = shape_issues(in);
    for (const auto& i : issues) report(w, i.field, i.message);
    if (!issues.empty()) return false;  // accesses() assumes a valid shape
    const kernels::Accesses a = kernels::accesses(in);
    for (int i = 0; i < a.num_reads; ++i)
      check_sram(w, access_field(in, a.reads[i].begin, false), a.reads[i].begin, a.reads[i].end);
    for (int i = 0; i < a.num_writes; ++i)
      check_sram(w, access_field(in, a.writes[i].begin, true), a.writes[i].begin, a.writes[i].end);
    return true;
  }

  // A semaphore waited more often than it is signalled leaves some wait
  // blocked forever, whatever the interleaving.
  // It is reported at the first wait on it.
  void semaphore_balance() {
    for (int slot = 0; slot < 2; ++slot) {
      for (size_t sem = 0; sem < waits_[slot].size(); ++sem) {
        const int waits = waits_[slot][sem], signals = signals_[slot][sem];
        if (waits <= signals) continue;
        report(first_wait_[slot][sem], F::kSem,
               "semaphore " + std::to_string(sem) + " on slot " + std::to_string(slot) +
                   " is waited " + std::to_string(waits) + " times but signalled " +
                   std::to_string(signals) + " times (deadlock)");
      }
    }
  }

  // --- tensor placement ---

  // Every input and output of an NPU segment is in the tensor table and lies
  // inside the segment's I/O area: the runtime copies exactly those bytes.
  void segment_tensors(const NpuSegment& seg) {
    const Where w{&seg, -1};
    for (const auto* names : {&seg.inputs, &seg.outputs})
      for (const std::string& name : *names) {
        const auto t = std::find_if(p_.tensors.begin(), p_.tensors.end(),
                                    [&](const TensorInfo& x) { return x.name == name; });
        if (t == p_.tensors.end()) {
          report(w, names == &seg.inputs ? "inputs" : "outputs",
                 "tensor '" + name + "' is missing from the tensor table");
          continue;
        }
        if (!in_io_table(*t)) placement(w, "tensor", *t, seg);  // else io_table() reports it
      }
  }

  // The same placement is in the program's I/O table.
  bool in_io_table(const TensorInfo& t) const {
    for (const auto* table : {&p_.inputs, &p_.outputs})
      for (const TensorInfo& io : *table)
        if (io.name == t.name && io.io_offset == t.io_offset && io.shape == t.shape &&
            io.dtype == t.dtype)
          return true;
    return false;
  }

  void placement(const Where& w, const std::string& kind, const TensorInfo& t,
                 const NpuSegment& seg) {
    uint64_t bytes = 0;
    try {
      bytes = t.bytes();
    } catch (const ProgramError& e) {
      report(w, "dtype", kind + " '" + t.name + "': " + e.what());
      return;
    }
    if (t.io_offset <= seg.io_bytes && bytes <= seg.io_bytes - t.io_offset) return;
    report(w, "io_offset",
           kind + " '" + t.name + "' at " + range_text(t.io_offset, t.io_offset + bytes) +
               " exceeds io_bytes=" + std::to_string(seg.io_bytes));
  }

  // --- I/O table ---

  // The NPU segment whose io_bytes an I/O tensor lives in: the one naming it
  // among its inputs/outputs, or the program's only segment if it is an NPU one.
  const NpuSegment* io_segment(const std::string& name) const {
    const auto has = [&](const std::vector<std::string>& v) {
      return std::find(v.begin(), v.end(), name) != v.end();
    };
    for (const auto& s : p_.segments)
      if (const auto* npu = std::get_if<NpuSegment>(&s);
          npu && (has(npu->inputs) || has(npu->outputs)))
        return npu;
    return p_.segments.size() == 1 ? std::get_if<NpuSegment>(&p_.segments[0]) : nullptr;
  }

  void io_table(const std::string& kind, const std::vector<TensorInfo>& tensors) {
    for (const auto& t : tensors) {
      const NpuSegment* seg = io_segment(t.name);
      if (!seg) continue;  // a CPU segment's tensor: not in device DRAM
      placement({seg, -1}, kind, t, *seg);
    }
  }

  const Program& p_;
  const HwParams& hw_;
  std::vector<Diagnostic> out_;
  // Per segment: waits on and signals aimed at each (slot, semaphore).
  std::array<std::array<int, 256>, 2> waits_{}, signals_{};
  std::array<std::array<Where, 256>, 2> first_wait_{};
};

}  // namespace

std::string Diagnostic::to_string() const {
  std::string s = segment.empty() && slot < 0 ? "program" : "segment '" + segment + "'";
  if (slot >= 0) s += " slot " + std::to_string(slot) + " " + std::string(engine_name(engine));
  if (index >= 0) s += " instruction " + std::to_string(index);
  if (!field.empty()) s += " field " + field;
  return s + ": " + message;
}

std::vector<Diagnostic> verify(const Program& p, const HwParams& hw) {
  return Verifier(p, hw).run();
}

void verify_or_throw(const Program& p, const HwParams& hw) {
  const auto d = verify(p, hw);
  if (d.empty()) return;
  std::string msg = "program rejected: " + d.front().to_string();
  if (d.size() > 1) msg += " (and " + std::to_string(d.size() - 1) + " more)";
  throw ProgramError(msg);
}

}  // namespace npusim::isa
