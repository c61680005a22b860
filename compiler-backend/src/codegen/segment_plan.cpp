#include "segment_plan.hpp"

#include <algorithm>

namespace npusim::compiler::codegen {
namespace {

RowRange hull(RowRange a, RowRange b) {
  if (a.size() == 0) return b;
  if (b.size() == 0) return a;
  return {std::min(a.begin, b.begin), std::max(a.end, b.end)};
}

RowRange clamp(RowRange r, int64_t rows) {
  return {std::clamp<int64_t>(r.begin, 0, rows), std::clamp<int64_t>(r.end, 0, rows)};
}

// Output rows per slot of a row-local layer: the first ceil(R / slots) rows
// on slot 0, the rest on slot 1 (as npu_segment.cpp splits the units).
void split_rows(PlannedLayer& l, int slots) {
  const int64_t rows = l.traits.out_rows, first = (rows + slots - 1) / slots;
  l.rows[0] = {0, slots > 1 ? first : rows};
  l.rows[1] = {first, slots > 1 ? rows : first};
}

// Fused mode splits a layer's output channels where the layer's estimate
// prices that below sharing its rows (or below the first PE alone, when its
// rows cannot be shared: a Gemm on one row, a convolution on a 1x1 image).
// The layer then reads its whole input from DRAM and writes its output
// there, like any layer that is not row-local: its readers wait for both PEs.
void choose_split(PlannedLayer& l, int slots, bool channel_splits, const isa::HwParams& hw,
                  uint64_t work_bytes) {
  if (slots < 2 || !channel_splits || l.traits.channel_split_params_bytes == 0 ||
      !l.traits.channel_split_cheaper || !l.traits.channel_split_cheaper(hw, work_bytes))
    return;
  l.split = FusedSplit::kChannels;
  l.traits.row_local = false;
  l.traits.params_bytes = l.traits.channel_split_params_bytes;
}

// Only 8-bit activations stay resident (every SRAM-capable family reads bytes).
bool residency_candidate(const Graph& g, const SegmentPlan& plan, const PlannedValue& v) {
  const DType type = g.value(v.name).dtype;
  if (v.producer < 0 || (type != DType::kInt8 && type != DType::kUint8)) return false;
  const PlannedLayer& p = plan.layers[v.producer];
  if (!p.traits.sram_out || (plan.slots > 1 && !p.traits.row_local)) return false;
  return std::any_of(v.readers.begin(), v.readers.end(), [&](const auto& r) {
    const PlannedLayer& l = plan.layers[r.first];
    return l.traits.sram_in[r.second] && (plan.slots == 1 || l.traits.row_local);
  });
}

// Makes `v` resident if it fits: it is held from its producer to its last
// reader in SRAM, with the rows each slot produces and the rows its SRAM
// readers on that slot need.
void try_resident(const Graph& g, SegmentPlan& plan, PlannedValue& v) {
  if (!residency_candidate(g, plan, v)) return;
  RowRange held[2] = {v.produced[0], v.produced[1]};
  std::vector<bool> sram(v.readers.size(), false);
  int last = v.producer;
  for (size_t r = 0; r < v.readers.size(); ++r) {
    const auto [layer, input] = v.readers[r];
    const PlannedLayer& l = plan.layers[layer];
    if (!l.traits.sram_in[input] || (plan.slots > 1 && !l.traits.row_local)) continue;
    sram[r] = true;
    last = std::max(last, layer);
    for (int s = 0; s < plan.slots; ++s)
      held[s] = hull(held[s], rows_read(plan, v, layer, input, s));
  }
  uint64_t bytes = 0;
  for (int s = 0; s < plan.slots; ++s)
    bytes = std::max(bytes, uint64_t(v.shape.images * held[s].size()) * v.shape.row_bytes);
  const auto item = plan.sram.place(bytes, v.producer, last);
  if (!item) return;
  v.resident = true;
  v.item = item;
  v.held[0] = held[0];
  v.held[1] = held[1];
  v.reads_sram = sram;
  v.last_sram_reader = last;
}

// A DRAM copy is needed by the segment's outputs, by readers that read DRAM,
// and in fused mode by the rows a slot holds but the other slot produces.
bool needs_dram(const SegmentPlan& plan, const PlannedValue& v) {
  if (v.producer < 0 || v.segment_output || !v.resident) return true;
  for (size_t r = 0; r < v.readers.size(); ++r)
    if (!v.reads_sram[r]) return true;
  for (int s = 0; s < plan.slots; ++s)
    if (v.held[s].begin < v.produced[s].begin || v.held[s].end > v.produced[s].end) return true;
  return false;
}

// Parameters stay resident from the segment's start when they fit (loaded
// once, as early as the load engine gets to them), else from the layer
// before. With a batch, to the segment's end first: the next image's pass
// over the layers then finds them still there.
void place_params(SegmentPlan& plan, int batch) {
  const int64_t end = int64_t(plan.layers.size()) - 1;
  for (size_t i = 0; i < plan.layers.size(); ++i) {
    PlannedLayer& l = plan.layers[i];
    if (l.traits.params_bytes == 0) continue;
    if (batch > 1) l.params_item = plan.sram.place(l.traits.params_bytes, 0, end);
    if (!l.params_item) l.params_item = plan.sram.place(l.traits.params_bytes, 0, int64_t(i));
    if (!l.params_item)
      l.params_item = plan.sram.place(l.traits.params_bytes, std::max<int64_t>(0, i - 1), i);
  }
}

}  // namespace

RowRange rows_read(const SegmentPlan& plan, const PlannedValue& v, int layer, size_t input,
                   int slot) {
  const PlannedLayer& l = plan.layers[layer];
  if (!l.traits.row_local) return {0, v.shape.rows};
  if (l.rows[slot].size() == 0) return {};
  return clamp(l.traits.input_rows(input, l.rows[slot]), v.shape.rows);
}

SegmentPlan plan_segment(const Graph& g, const std::vector<int>& nodes,
                         const std::vector<std::string>& inputs,
                         const std::vector<std::string>& outputs, const isa::HwParams& hw,
                         int slots, uint64_t work_bytes, int batch, bool channel_splits) {
  SegmentPlan plan;
  plan.slots = slots;
  plan.work_bytes = work_bytes;
  plan.sram = SramAllocator(work_bytes, hw.sram_per_pe);
  for (const int n : nodes) {
    PlannedLayer l;
    l.node = &g.nodes[n];
    l.family = family_of(*l.node);
    if (!l.family)
      throw CompileError(l.node->describe() + ": no NPU code generation for this op yet");
    l.traits = l.family->traits(g, *l.node);
    choose_split(l, slots, channel_splits, hw, work_bytes);
    if (l.traits.row_local) split_rows(l, slots);
    plan.layers.push_back(std::move(l));
  }
  auto value = [&](const std::string& name) -> PlannedValue& {
    PlannedValue& v = plan.values[name];
    if (v.name.empty()) {
      v.name = name;
      v.shape = row_shape(g.value(name));
    }
    return v;
  };
  for (const auto& in : inputs) value(in);
  for (size_t i = 0; i < plan.layers.size(); ++i) {
    const Node& n = *plan.layers[i].node;
    for (size_t k = 0; k < n.inputs.size(); ++k)
      if (!n.inputs[k].empty() && !g.is_constant(n.inputs[k]))
        value(n.inputs[k]).readers.push_back({int(i), k});
    for (const auto& y : n.outputs) {
      if (y.empty()) continue;
      PlannedValue& v = value(y);
      v.producer = int(i);
      for (int s = 0; s < slots; ++s)
        v.produced[s] = plan.layers[i].traits.row_local ? plan.layers[i].rows[s]
                                                        : RowRange{0, s == 0 ? v.shape.rows : 0};
    }
  }
  for (const auto& out : outputs) value(out).segment_output = true;
  // Activations first, in the order they are produced: keeping one in SRAM
  // saves its write and every read; parameters only move earlier.
  std::vector<PlannedValue*> order;
  for (auto& [name, v] : plan.values) order.push_back(&v);
  std::stable_sort(order.begin(), order.end(), [](const PlannedValue* a, const PlannedValue* b) {
    return a->producer < b->producer;
  });
  for (PlannedValue* v : order) try_resident(g, plan, *v);
  place_params(plan, batch);
  for (PlannedValue* v : order) v->in_dram = needs_dram(plan, *v);
  return plan;
}

bool splits_channels(const SegmentPlan& plan) {
  return std::any_of(plan.layers.begin(), plan.layers.end(),
                     [](const PlannedLayer& l) { return l.split == FusedSplit::kChannels; });
}

bool whole_segment(const SegmentPlan& plan, size_t item) {
  const SramItem& it = plan.sram.item(item);
  return it.first == 0 && it.last == int64_t(plan.layers.size()) - 1;
}

uint64_t min_work_bytes(const Graph& g, const std::vector<int>& nodes, const isa::HwParams& hw) {
  uint64_t need = 0;
  for (const int n : nodes)
    if (const Family* f = family_of(g.nodes[n]))
      need = std::max(need, f->min_work(g, g.nodes[n], hw));
  return need;
}

}  // namespace npusim::compiler::codegen
