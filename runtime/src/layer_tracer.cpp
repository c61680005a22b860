// Attributing trace records to layers (docs/profile.md, "Per-layer table").
#include "layer_tracer.hpp"

#include <algorithm>

#include "npusim/driver/device.hpp"
#include "npusim/isa/hw_params.hpp"
#include "npusim/isa/kernels.hpp"

namespace npusim::runtime {

namespace {

using isa::Field;
using isa::Opcode;

// MACs of a matrix instruction, bytes of a DMA instruction.
uint64_t dma_bytes(const isa::Instruction& in) {
  switch (in.op) {
    case Opcode::kDmaLoad:
    case Opcode::kDmaStore:
      return in.u(Field::kLen0) * in.u(Field::kCnt1) * in.u(Field::kCnt2);
    case Opcode::kDmaH2D:
    case Opcode::kDmaD2H:
      return in.u(Field::kLen);
    default:
      return 0;
  }
}

}  // namespace

LayerTracer::LayerTracer(driver::Device& device, const isa::Program& program,
                         const PlacedProgram& placed, uint32_t pes)
    : device_(device), trace_(device), pes_(pes) {
  clock_hz_ = uint64_t(device_.info().clock_mhz) * 1'000'000;
  for (const auto& [index, seg] : placed.segments()) {
    segment_by_table_[static_cast<uint32_t>(seg.table)] = index;
    SegmentCode& code = code_[index];
    code.npu = &std::get<isa::NpuSegment>(program.segments[index]);
    for (int slot = 0; slot < 2; ++slot)
      for (int e = 0; e < isa::kNumEngines; ++e)
        for (const isa::Instruction& in : isa::decode(code.npu->streams[slot][e]))
          code.costs[slot][e].push_back({in.op == Opcode::kMatConv || in.op == Opcode::kMatMul
                                             ? isa::kernels::mac_count(in)
                                             : 0,
                                         dma_bytes(in)});
  }
}

size_t LayerTracer::layer_of(const isa::NpuSegment& s, int slot, int engine, uint32_t index) const {
  // The last layer whose code starts at or before `index`.
  auto after = std::upper_bound(
      s.layers.begin(), s.layers.end(), index,
      [&](uint32_t i, const isa::LayerInfo& l) { return i < l.first[slot][engine]; });
  return after == s.layers.begin() ? 0 : size_t(after - s.layers.begin() - 1);
}

std::vector<LayerEvent> LayerTracer::collect(uint64_t request, size_t segment, uint32_t pe_mask,
                                             uint64_t start_ps, uint64_t end_ps) {
  std::vector<isa::reg::TraceRecord> fresh = trace_.drain();
  pending_.insert(pending_.end(), fresh.begin(), fresh.end());
  const auto ps = [&](uint64_t cycles) { return cycles * isa::clock_period_ps(clock_hz_); };
  const SegmentCode& code = code_.at(segment);
  if (code.npu->layers.empty()) return {};
  // Keyed by (layer, pe, engine) so events come out in layer order.
  std::map<std::tuple<size_t, int, int>, LayerEvent> events;
  std::vector<isa::reg::TraceRecord> keep;
  for (const isa::reg::TraceRecord& r : pending_) {
    const uint64_t start = ps(r.start_cycle), end = ps(r.end_cycle);
    const bool ours = (pe_mask >> r.pe & 1) && start >= start_ps && end <= end_ps &&
                      segment_by_table_.count(r.program) &&
                      segment_by_table_.at(r.program) == segment;
    if (!ours) {
      // Another lane's RUN, or a later one of this lane, not yet collected.
      const bool later = (pe_mask >> r.pe & 1) && end > start_ps;
      if (later || (!(pe_mask >> r.pe & 1) && (pes_ >> r.pe & 1))) keep.push_back(r);
      continue;
    }
    const auto& costs = code.costs.at(r.slot & 1).at(r.engine % isa::kNumEngines);
    const Cost cost = r.index < costs.size() ? costs[r.index] : Cost{};
    const size_t layer = layer_of(*code.npu, r.slot & 1, r.engine % isa::kNumEngines, r.index);
    LayerEvent& e = events[{layer, r.pe, r.engine}];
    if (e.instructions == 0) {
      e = {request,
           segment,
           layer,
           code.npu->layers[layer].name,
           code.npu->layers[layer].op,
           device_.name() + "pe" + std::to_string(r.pe),
           std::string(isa::engine_name(static_cast<isa::Engine>(r.engine % isa::kNumEngines))),
           start,
           end};
    }
    e.start_ps = std::min(e.start_ps, start);
    e.end_ps = std::max(e.end_ps, end);
    e.busy_ps += end - start;
    ++e.instructions;
    e.macs += cost.macs;
    e.dma_bytes += cost.bytes;
  }
  pending_ = std::move(keep);
  std::vector<LayerEvent> out;
  for (auto& [key, e] : events) out.push_back(std::move(e));
  return out;
}

}  // namespace npusim::runtime
