#include "estimate.hpp"

#include <algorithm>
#include <deque>
#include <map>
#include <optional>

#include "npusim/isa/cost_model.hpp"

namespace npusim::compiler::codegen {
namespace {

using isa::Opcode;

struct Engine {
  const std::vector<isa::Instruction>* code = nullptr;
  size_t next = 0;
  uint64_t time = 0;
  bool done() const { return next >= code->size(); }
};

}  // namespace

Estimate estimate(const Streams& s, int slots, const isa::HwParams& hw) {
  Estimate e;
  std::vector<Engine> engines;
  std::vector<int> slot_of;
  for (int slot = 0; slot < slots; ++slot)
    for (int k = 0; k < isa::kNumEngines; ++k) {
      engines.push_back({&s.code[slot][k]});
      slot_of.push_back(slot);
    }
  // Per (slot, semaphore): the times of the signals not yet taken.
  std::map<std::pair<int, int>, std::deque<uint64_t>> tokens;
  uint64_t channel_free = 0;  // the DRAM channel
  // When engine k's next instruction could start, or nothing if it waits on
  // a signal not yet given.
  auto ready = [&](size_t k) -> std::optional<uint64_t> {
    const Engine& en = engines[k];
    const isa::Instruction& in = (*en.code)[en.next];
    if (in.op != Opcode::kSemWait) return en.time;
    const auto& q = tokens[{slot_of[k], int(in[isa::Field::kSem])}];
    if (q.empty()) return std::nullopt;
    return std::max(en.time, q.front());
  };
  // One instruction at a time, always the one that can start first, so
  // DMAs take the channel in time order.
  for (;;) {
    size_t pick = engines.size();
    uint64_t when = 0;
    for (size_t k = 0; k < engines.size(); ++k) {
      if (engines[k].done()) continue;
      const auto t = ready(k);
      if (t && (pick == engines.size() || *t < when)) {
        pick = k;
        when = *t;
      }
    }
    if (pick == engines.size()) break;  // every engine ended (or waits forever)
    Engine& en = engines[pick];
    const int slot = slot_of[pick];
    const isa::Instruction& in = (*en.code)[en.next++];
    en.time = when;
    if (in.op == Opcode::kSemWait) {
      tokens[{slot, int(in[isa::Field::kSem])}].pop_front();
    } else if (in.op == Opcode::kSemSignal) {
      const int target = in[isa::Field::kTarget] ? 1 - slot : slot;
      tokens[{target, int(in[isa::Field::kSem])}].push_back(en.time);
    } else if (const uint64_t bytes = isa::dma_bytes(in)) {
      // The setup, then the bytes on the channel once it is free.
      const uint64_t begin = std::max(en.time + uint64_t(hw.dma_setup_cycles), channel_free);
      en.time = begin + (bytes + kNominalBytesPerCycle - 1) / kNominalBytesPerCycle;
      channel_free = en.time;
      e.dram_bytes += bytes;
    } else if (isa::info(in.op).engines == isa::kOnCompute) {
      en.time += isa::compute_cycles(in, hw);
    }
  }
  for (const Engine& en : engines) e.cycles = std::max(e.cycles, en.time);
  return e;
}

}  // namespace npusim::compiler::codegen
