// Code generation of one NPU segment: the segment planner's decisions
// (segment_plan.hpp) turned into the three engines' streams of each PE, with
// the synchronisation that makes them safe (docs/compiler.md, "Schedules").
//
// Per layer and PE, the streams get, in order:
//   load:    waits for the SRAM it overwrites and the DRAM data it reads,
//            the layer's resident parameters and fills (rows of resident
//            tensors that another PE or a DRAM-only layer produced), a
//            kLoadDone signal, then the family's tile loads (after the
//            previous layer has left the working area);
//   compute: a kLoadDone wait, waits for spills of SRAM it overwrites, the
//            family's compute, kComputeDone and kComputeToStore signals;
//   store:   the family's tile stores, spills of resident outputs other
//            readers need in DRAM, kStoreDone and kStoreToCompute signals,
//            and in fused mode a kPeerData signal to the other PE when it
//            reads what this PE wrote.
#include "npu_segment.hpp"

#include <algorithm>
#include <climits>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <set>

#include "conv_codegen.hpp"
#include "estimate.hpp"
#include "families.hpp"
#include "npusim/compiler/npu_ops.hpp"
#include "npusim/isa/assembler.hpp"
#include "npusim/isa/cost_model.hpp"
#include "progress.hpp"
#include "segment_plan.hpp"

namespace npusim::compiler::codegen {
namespace {

using isa::Engine;
using isa::Opcode;

// First-fit allocation of scratch DRAM with reuse after a value's last use.
class ScratchPlanner {
 public:
  uint64_t allocate(uint64_t bytes) {
    bytes = align64(bytes);
    uint64_t at = 0;
    for (const auto& [start, len] : used_) {
      if (at + bytes <= start) break;
      at = std::max(at, start + len);
    }
    used_[at] = bytes;
    peak_ = std::max(peak_, at + bytes);
    return at;
  }
  void release(uint64_t at) { used_.erase(at); }
  uint64_t peak() const { return peak_; }

 private:
  std::map<uint64_t, uint64_t> used_;
  uint64_t peak_ = 0;
};

uint64_t tensor_bytes(const Value& v) {
  return uint64_t(element_count(v.shape)) * dtype_size(v.dtype);
}

// Quantisation of a value as the graph states it around the segment.
// Only a constant with values gives them, and only an integer in int32's
// range is a zero point: a malformed one is left for the CPU segment that
// runs the node to refuse (fuzz_onnx: an empty zero point was read past its
// end).
void quant_of(const Graph& g, const std::string& v, isa::TensorInfo& t) {
  auto first = [&](const Node& n, size_t i) -> std::optional<double> {
    if (n.inputs.size() <= i || !g.is_constant(n.inputs[i])) return std::nullopt;
    const Tensor& c = *g.value(n.inputs[i]).constant;
    return c.size() > 0 ? std::optional<double>(c.at(0)) : std::nullopt;
  };
  auto from = [&](const Node& n) {
    if (const auto scale = first(n, 1)) t.scale = static_cast<float>(*scale);
    if (const auto zp = first(n, 2); zp && *zp >= INT32_MIN && *zp <= INT32_MAX)
      t.zero_point = static_cast<int32_t>(*zp);
  };
  const int p = g.producer(v);
  if (p >= 0 && g.nodes[p].op == "QuantizeLinear") return from(g.nodes[p]);
  for (int c : g.consumers(v))
    if (g.nodes[c].op == "DequantizeLinear") return from(g.nodes[c]);
  if (p >= 0 && g.nodes[p].domain == kNpuDomain)
    t.zero_point = int32_t(read_attrs<OutputQuant>(g.nodes[p]).y_zp);
}

isa::TensorInfo io_tensor(const Graph& g, const std::string& name, uint64_t offset, int batch) {
  const Value& v = g.value(name);
  isa::TensorInfo t;
  t.name = name;
  t.shape = batched_shape(name, v.shape, batch);
  t.dtype = std::string(dtype_name(v.dtype));
  t.layout = v.shape.size() == 4 ? "NHWC" : "";
  t.io_offset = offset;
  quant_of(g, name, t);
  return t;
}

// The layer's entry in the segment's layer table: where its code starts.
isa::LayerInfo layer_info(const Node& n, const Streams& s) {
  isa::LayerInfo info;
  info.name = n.name.empty() ? n.outputs.front() : n.name;
  info.op = n.op;
  for (int slot = 0; slot < 2; ++slot)
    for (int e = 0; e < isa::kNumEngines; ++e)
      info.first[slot][e] = static_cast<uint32_t>(s.code[slot][e].size());
  return info;
}

// Rows [begin, end) of every image between a resident tensor and its DRAM
// place (dma.load into SRAM, or dma.store out of it), one strided DMA.
isa::Instruction rows_dma(Opcode op, const SramTensor& t, DramPlace at, RowRange rows) {
  Walk w;
  w.len0 = uint64_t(rows.size()) * t.shape.row_bytes;
  w.cnt1 = uint64_t(t.shape.images);
  w.dstride1 = uint64_t(t.shape.rows) * t.shape.row_bytes;  // DRAM: image after image
  w.sstride1 = t.image_bytes();
  return dma(op, at, uint64_t(rows.begin) * t.shape.row_bytes, t.at(0, rows.begin), w);
}

// Generates the streams of a planned segment.
class SegmentEmitter {
 public:
  SegmentEmitter(const Graph& g, SegmentPlan& plan, const isa::HwParams& hw, SegmentBuild& out,
                 std::map<std::string, DramPlace>& place, const IoLayout& io, int batch)
      : g_(g), plan_(plan), hw_(hw), out_(out), place_(place), io_(io), batch_(batch) {}

  void run() {
    for (int slot = 0; slot < plan_.slots; ++slot) {
      for (int b = 0; b < 2; ++b) {
        s_.signal(slot, Engine::kLoad, kInFree0 + b);
        s_.signal(slot, Engine::kCompute, kOutFree0 + b);
        s_.signal(slot, Engine::kLoad, kWgtFree0 + b);
      }
    }
    // The batch loop sits inside the parameter loads: image after image
    // runs every layer, the parameters resident for the whole segment
    // loaded by the first image only.
    for (pass_ = 0; pass_ < batch_; ++pass_) {
      if (pass_ > 0) image_barrier();
      for (size_t i = 0; i < plan_.layers.size(); ++i) emit_layer(int(i));
    }
    for (int slot = 0; slot < plan_.slots; ++slot)
      for (int e = 0; e < isa::kNumEngines; ++e) {
        auto code = s_.code[slot][e];
        if (code.empty()) continue;
        code.push_back(isa::make(Opcode::kEnd, {}));
        out_.segment.streams[slot][e] = isa::encode(code);
      }
    // What each layer moves through DRAM, counted the way the runtime's
    // profile counts it (from the encoded streams), so the two agree.
    // The layer table has one entry per image and layer; a LayerPlan adds
    // up its layer's images.
    const std::vector<uint64_t> bytes = isa::layer_dma_bytes(out_.segment);
    for (size_t i = 0; i < bytes.size(); ++i)
      out_.layers[i % out_.layers.size()].dram_bytes += bytes[i];
  }

  const Streams& streams() const { return s_; }

 private:
  const Graph& g_;
  SegmentPlan& plan_;
  const isa::HwParams& hw_;
  SegmentBuild& out_;
  std::map<std::string, DramPlace>& place_;
  const IoLayout& io_;
  const int batch_;
  int pass_ = 0;  // the image being emitted
  // Per layer, planned by the first image and emitted for every image (the
  // codes' closures point into the residencies).
  std::vector<std::unique_ptr<Residency>> residencies_;
  std::vector<LayerCode> codes_;
  Streams s_;
  Progress progress_;
  // Per slot: kPeerData signals sent so far, and which signal (1-based)
  // announced each value's rows in DRAM.
  int64_t peer_sent_[2] = {0, 0};
  std::map<std::string, int64_t> announced_[2];
  // Per layer: whether its family stored from the working area.
  std::vector<bool> stored_from_work_;

  uint64_t slot_base(int slot) const { return uint64_t(slot) * hw_.sram_per_pe; }

  // Layer `layer` of the current image as a step of the progress counters,
  // which count every layer of every image.
  int64_t step(int64_t layer) const {
    return int64_t(pass_) * int64_t(plan_.layers.size()) + layer;
  }

  // Before the next image: its layers reuse SRAM and scratch DRAM the
  // previous image's last layers may still read, so its loads wait until
  // that image has finished computing and storing; in fused mode also
  // until the other PE has (its store engine signals kPeerData after its
  // last compute, ordered with its data announcements).
  void image_barrier() {
    int64_t sent[2] = {0, 0};
    if (plan_.slots > 1)
      for (int slot = 0; slot < plan_.slots; ++slot) {
        progress_.wait_layer(s_, slot, Engine::kStore, kComputeToStore, step(-1));
        s_.signal(slot, Engine::kStore, kPeerData, 1);
        sent[slot] = ++peer_sent_[slot];
      }
    for (int slot = 0; slot < plan_.slots; ++slot) {
      progress_.wait_layer(s_, slot, Engine::kLoad, kComputeDone, step(-1));
      progress_.wait_layer(s_, slot, Engine::kLoad, kStoreDone, step(-1));
      if (plan_.slots > 1) progress_.wait_until(s_, slot, Engine::kLoad, kPeerData, sent[1 - slot]);
    }
  }

  // The current image's place in the I/O area: the DMA of image 0 at
  // `offset` (inside one tensor's first image) moves to image pass_.
  uint64_t io_shift(uint64_t offset) const {
    auto it = io_.image_bytes.upper_bound(offset);
    if (it == io_.image_bytes.begin() || offset >= std::prev(it)->first + std::prev(it)->second)
      throw CompileError("internal error: a DMA at I/O offset " + std::to_string(offset) +
                         " is outside every tensor of the I/O area");
    return uint64_t(pass_) * std::prev(it)->second;
  }

  // Moves the I/O-area DMAs emitted since `from` (per slot, per engine) to
  // the current image.
  void shift_io(const size_t (&from)[2][isa::kNumEngines]) {
    if (pass_ == 0) return;
    for (int slot = 0; slot < plan_.slots; ++slot)
      for (int e = 0; e < isa::kNumEngines; ++e)
        for (size_t k = from[slot][e]; k < s_.code[slot][e].size(); ++k) {
          isa::Instruction& in = s_.code[slot][e][k];
          if ((in.op != Opcode::kDmaLoad && in.op != Opcode::kDmaStore) ||
              in[isa::Field::kDramBase] != isa::kBaseIo)
            continue;
          in[isa::Field::kDramOff] += int64_t(io_shift(in.u(isa::Field::kDramOff)));
        }
  }

  SramTensor sram_tensor(const PlannedValue& v, int slot) const {
    SramTensor t;
    t.addr = slot_base(slot) + plan_.sram.item(*v.item).addr;
    t.shape = v.shape;
    t.row0 = v.held[slot].begin;
    t.rows = v.held[slot].size();
    return t;
  }

  // The waits before writing SRAM item `item`: the data of items that
  // shared its addresses earlier must be dead (read by compute, spilled by
  // store).
  void wait_item_free(int slot, Engine e, size_t item) {
    int64_t compute_last = -1, store_last = -1;
    for (const size_t p : plan_.sram.predecessors(item)) {
      compute_last = std::max(compute_last, plan_.sram.item(p).last);
      store_last = std::max(store_last, spill_layer(p));
    }
    if (e == Engine::kLoad) {
      if (compute_last >= 0) progress_.wait_layer(s_, slot, e, kComputeDone, step(compute_last));
      if (store_last >= 0) progress_.wait_layer(s_, slot, e, kStoreDone, step(store_last));
    } else if (store_last >= 0) {
      progress_.wait_layer(s_, slot, e, kStoreToCompute, step(store_last));
    }
  }

  // The layer whose store section reads item `item` (a spill), or -1.
  int64_t spill_layer(size_t item) const {
    for (const auto& [name, v] : plan_.values)
      if (v.resident && *v.item == item && v.in_dram) return v.producer;
    return -1;
  }

  // Waits until the rows of `v` this slot reads from DRAM are there: its own
  // stores (kStoreDone) and, in fused mode, the other PE's (kPeerData).
  void wait_dram_data(int slot, const PlannedValue& v, int reader) {
    if (v.producer < 0) return;  // a segment input: in the I/O area from the start
    progress_.wait_layer(s_, slot, Engine::kLoad, kStoreDone, step(v.producer));
    if (plan_.slots > 1) {
      auto it = announced_[1 - slot].find(v.name);
      if (it != announced_[1 - slot].end())
        progress_.wait_until(s_, slot, Engine::kLoad, kPeerData, it->second);
    }
  }

  // Fills: rows of resident inputs this slot holds but did not produce,
  // loaded before the first layer that reads them in SRAM.
  void emit_fills(int layer, int slot) {
    const Node& n = *plan_.layers[layer].node;
    std::set<std::string> done;
    for (const auto& x : n.inputs) {
      if (x.empty() || !plan_.values.count(x) || !done.insert(x).second) continue;
      const PlannedValue& v = plan_.values.at(x);
      if (!v.resident || first_sram_reader(v) != layer) continue;
      const RowRange held = v.held[slot], own = v.produced[slot];
      const RowRange parts[2] = {
          {held.begin, std::min(held.end, own.size() ? own.begin : held.end)},
          {std::max(held.begin, own.size() ? own.end : held.end), held.end}};
      if (parts[0].size() == 0 && parts[1].size() == 0) continue;
      wait_dram_data(slot, v, layer);
      const SramTensor t = sram_tensor(v, slot);
      for (const RowRange& r : parts)
        if (r.size() > 0)
          s_.emit(slot, Engine::kLoad, rows_dma(Opcode::kDmaLoad, t, place_.at(x), r));
    }
  }

  static int first_sram_reader(const PlannedValue& v) {
    for (size_t r = 0; r < v.readers.size(); ++r)
      if (v.reads_sram[r]) return v.readers[r].first;
    return -1;
  }

  // Spills: rows of resident outputs that readers need in DRAM.
  bool emit_spills(int layer, int slot) {
    bool any = false;
    for (const auto& y : plan_.layers[layer].node->outputs) {
      if (y.empty()) continue;
      const PlannedValue& v = plan_.values.at(y);
      if (!v.resident || !v.in_dram) continue;
      RowRange rows = v.produced[slot];
      if (!full_dram_copy(v) && plan_.slots > 1) {  // only the rows the other PE holds
        const RowRange peer = v.held[1 - slot];
        rows = {std::max(rows.begin, peer.begin), std::min(rows.end, peer.end)};
      }
      if (rows.size() == 0) continue;
      if (!any) progress_.wait_layer(s_, slot, Engine::kStore, kComputeToStore, step(layer));
      any = true;
      s_.emit(slot, Engine::kStore,
              rows_dma(Opcode::kDmaStore, sram_tensor(v, slot), place_.at(y), rows));
    }
    return any;
  }

  bool full_dram_copy(const PlannedValue& v) const {
    if (v.segment_output) return true;
    for (size_t r = 0; r < v.readers.size(); ++r)
      if (!v.reads_sram[r]) return true;
    return false;
  }

  // Fused mode: tells the other PE that this PE's part of the layer's
  // outputs it reads from DRAM has been written.
  void announce_outputs(int layer, int slot) {
    if (plan_.slots < 2) return;
    bool peer_reads = false;
    for (const auto& y : plan_.layers[layer].node->outputs) {
      if (y.empty()) continue;
      const PlannedValue& v = plan_.values.at(y);
      if (v.in_dram && peer_reads_from_dram(v, 1 - slot)) peer_reads = true;
    }
    if (!peer_reads) return;
    s_.signal(slot, Engine::kStore, kPeerData, 1);
    ++peer_sent_[slot];
    for (const auto& y : plan_.layers[layer].node->outputs)
      if (!y.empty()) announced_[slot][y] = peer_sent_[slot];
  }

  bool peer_reads_from_dram(const PlannedValue& v, int reader_slot) const {
    const int writer = 1 - reader_slot;
    const RowRange own = v.produced[writer];
    if (!plan_.layers[v.producer].traits.row_local) return true;
    if (own.size() == 0) return false;
    if (v.resident) {
      const RowRange h = v.held[reader_slot];
      if (std::max(h.begin, own.begin) < std::min(h.end, own.end)) return true;
    }
    for (size_t r = 0; r < v.readers.size(); ++r) {
      if (v.resident && v.reads_sram[r]) continue;
      const RowRange need =
          rows_read(plan_, v, v.readers[r].first, v.readers[r].second, reader_slot);
      if (std::max(need.begin, own.begin) < std::min(need.end, own.end)) return true;
    }
    return false;
  }

  Residency residency_of(int layer) const {
    Residency r;
    const PlannedLayer& l = plan_.layers[layer];
    for (int slot = 0; slot < plan_.slots; ++slot) {
      if (l.params_item) r.params[slot] = slot_base(slot) + plan_.sram.item(*l.params_item).addr;
      for (const auto& list : {l.node->inputs, l.node->outputs})
        for (const auto& x : list) {
          if (x.empty() || !plan_.values.count(x)) continue;
          const PlannedValue& v = plan_.values.at(x);
          if (!v.resident) continue;
          const bool is_output = v.producer == layer;
          bool sram_reader = false;
          for (size_t k = 0; k < v.readers.size(); ++k)
            if (v.readers[k].first == layer && v.reads_sram[k]) sram_reader = true;
          if (is_output || sram_reader) r.held[slot][x] = sram_tensor(v, slot);
        }
    }
    return r;
  }

  void emit_layer(int i) {
    PlannedLayer& l = plan_.layers[i];
    const Node& n = *l.node;
    out_.segment.layers.push_back(layer_info(n, s_));
    // A batch's layer table names each layer's image, so the profile and
    // the trace show the images one after the other.
    const std::string name = out_.segment.layers.back().name;
    if (batch_ > 1) out_.segment.layers.back().name += " [image " + std::to_string(pass_) + "]";
    if (pass_ == 0) {
      residencies_.push_back(std::make_unique<Residency>(residency_of(i)));
      codes_.push_back(
          l.family->plan(LayerEnv{g_, n, place_, out_.segment.weights, hw_, plan_.work_bytes,
                                  residencies_.back().get(), plan_.slots, l.split}));
      stored_from_work_.push_back(false);
    }
    const Residency& residency = *residencies_[i];
    const LayerCode& code = codes_[i];
    out_.sram_peak = std::max(out_.sram_peak, code.sram);
    size_t from[2][isa::kNumEngines] = {};
    for (int slot = 0; slot < plan_.slots; ++slot)
      for (int e = 0; e < isa::kNumEngines; ++e) from[slot][e] = s_.code[slot][e].size();
    const int64_t split = (code.units + plan_.slots - 1) / plan_.slots;
    const bool params_loaded = pass_ > 0 && l.params_item && whole_segment(plan_, *l.params_item);
    for (int slot = 0; slot < plan_.slots; ++slot) {
      // load: parameters and fills, then the family's tile loads
      if (l.params_item && code.params[slot] && !params_loaded) {
        wait_item_free(slot, Engine::kLoad, *l.params_item);
        s_.emit(slot, Engine::kLoad,
                dma(Opcode::kDmaLoad, {isa::kBaseWeights, code.params[slot]->first}, 0,
                    *residency.params[slot], code.params[slot]->second));
      }
      for (const auto& y : n.outputs)  // resident outputs overwrite earlier items
        if (!y.empty() && plan_.values.at(y).resident)
          wait_item_free(slot, Engine::kCompute, *plan_.values.at(y).item);
      emit_fills(i, slot);
      s_.signal(slot, Engine::kLoad, kLoadDone);
      progress_.wait_layer(s_, slot, Engine::kCompute, kLoadDone, step(i));
      if (i > 0 && code.sram > 0 && stored_from_work_[i - 1])
        progress_.wait_layer(s_, slot, Engine::kCompute, kStoreToCompute, step(i - 1));
      const size_t load_at = s_.code[slot][int(Engine::kLoad)].size();
      const size_t store_at = s_.code[slot][int(Engine::kStore)].size();
      const int64_t begin = std::min(code.units, slot * split);
      code.emit(s_, slot, slot_base(slot), begin, std::min(code.units, begin + split));
      if (s_.code[slot][int(Engine::kStore)].size() > store_at) stored_from_work_[i] = true;
      if (s_.code[slot][int(Engine::kLoad)].size() > load_at) guard_tile_loads(i, slot, load_at);
      s_.signal(slot, Engine::kCompute, kComputeDone);
      s_.signal(slot, Engine::kCompute, kComputeToStore);
      emit_spills(i, slot);
      s_.signal(slot, Engine::kStore, kStoreDone);
      s_.signal(slot, Engine::kStore, kStoreToCompute);
      announce_outputs(i, slot);
    }
    shift_io(from);
    if (pass_ > 0) return;
    LayerPlan plan;
    plan.segment = out_.segment.name;
    plan.layer = name;
    plan.op = n.op;
    plan.tiling = code.summary + fused_split_words(l, code);
    plan.sram_work = code.sram;
    for (size_t k = 0; k < plan_.sram.size(); ++k)
      if (plan_.sram.item(k).first <= i && i <= plan_.sram.item(k).last)
        plan.sram_resident += plan_.sram.item(k).bytes;
    out_.layers.push_back(plan);
  }

  // How the PEs share the layer, for the plan print: "" on one PE.
  std::string fused_split_words(const PlannedLayer& l, const LayerCode& code) const {
    if (plan_.slots < 2) return "";
    if (l.split == FusedSplit::kChannels) return "; PEs split output channels";
    const int64_t split = (code.units + plan_.slots - 1) / plan_.slots;
    if (split >= code.units) return "; on PE0 only (too little to split)";
    const std::string what = l.traits.row_local ? "rows " : "units ";
    return "; PEs split " + what + "[0, " + std::to_string(split) + ") | [" +
           std::to_string(split) + ", " + std::to_string(code.units) + ")";
  }

  // The family's loads of layer i (inserted before them at `at`): the
  // previous layer has left the working area, and the DRAM inputs they read
  // are written.
  void guard_tile_loads(int i, int slot, size_t at) {
    auto& load = s_.code[slot][int(Engine::kLoad)];
    const std::vector<isa::Instruction> tile_loads(load.begin() + long(at), load.end());
    load.resize(at);
    if (i > 0) {
      progress_.wait_layer(s_, slot, Engine::kLoad, kComputeDone, step(i - 1));
      if (stored_from_work_[i - 1])
        progress_.wait_layer(s_, slot, Engine::kLoad, kStoreDone, step(i - 1));
    }
    const Node& n = *plan_.layers[i].node;
    for (size_t k = 0; k < n.inputs.size(); ++k) {
      const std::string& x = n.inputs[k];
      if (x.empty() || !plan_.values.count(x)) continue;
      const PlannedValue& v = plan_.values.at(x);
      if (v.in_dram) wait_dram_data(slot, v, i);
    }
    load.insert(load.end(), tile_loads.begin(), tile_loads.end());
  }
};

// Places the segment's inputs and outputs in the I/O area and the values
// that need a DRAM copy in scratch (first fit; reused after their last
// reader in single mode — in fused mode the PEs run apart, so never).
void place_in_dram(const Graph& g, const SegmentPlan& plan, const std::vector<std::string>& inputs,
                   const std::vector<std::string>& outputs, IoLayout& io, SegmentBuild& out,
                   std::map<std::string, DramPlace>& place, int batch) {
  for (const auto& list : {inputs, outputs})
    for (const auto& v : list) {
      auto [it, added] = io.offsets.emplace(v, io.end);
      place[v] = {isa::kBaseIo, it->second};
      if (!added) continue;
      out.tensors.push_back(io_tensor(g, v, it->second, batch));
      io.image_bytes[it->second] = tensor_bytes(g.value(v));
      io.end = align64(io.end + uint64_t(batch) * tensor_bytes(g.value(v)));
    }
  out.segment.io_bytes = std::max<uint64_t>(io.end, 64);
  // Last layer that reads each value from DRAM (a DRAM reader, or a fill).
  std::map<std::string, int> last_dram_use;
  for (const auto& [name, v] : plan.values)
    for (size_t r = 0; r < v.readers.size(); ++r)
      last_dram_use[name] = std::max(last_dram_use[name], v.readers[r].first);
  ScratchPlanner scratch;
  for (size_t i = 0; i < plan.layers.size(); ++i) {
    for (const auto& y : plan.layers[i].node->outputs) {
      if (y.empty() || place.count(y) || !plan.values.at(y).in_dram) continue;
      place[y] = {isa::kBaseScratch, scratch.allocate(tensor_bytes(g.value(y)))};
    }
    if (plan.slots > 1) continue;
    for (const auto& x : plan.layers[i].node->inputs)
      if (!x.empty() && place.count(x) && place[x].base == isa::kBaseScratch &&
          last_dram_use[x] == int(i))
        scratch.release(place[x].offset);
  }
  out.segment.scratch_bytes = std::max<uint64_t>(scratch.peak(), 64);
}

struct Candidate {
  SegmentBuild build;
  IoLayout io;
  uint64_t cycles = 0;
};

Candidate build_candidate(const Graph& g, SegmentPlan plan, const std::vector<std::string>& inputs,
                          const std::vector<std::string>& outputs, const std::string& name,
                          const isa::HwParams& hw, int slots, IoLayout io, int batch) {
  Candidate c;
  c.build.segment.name = name;
  c.build.segment.inputs = inputs;
  c.build.segment.outputs = outputs;
  c.io = io;
  std::map<std::string, DramPlace> place;
  place_in_dram(g, plan, inputs, outputs, c.io, c.build, place, batch);
  SegmentEmitter emitter(g, plan, hw, c.build, place, c.io, batch);
  emitter.run();
  c.build.sram_peak = std::max(c.build.sram_peak, plan.sram.peak());
  c.cycles = estimate(emitter.streams(), slots, hw).cycles;
  return c;
}

// What a plan keeps in SRAM: its resident values and resident parameters.
// A smaller working area that keeps no more than a larger one only makes
// tiles smaller, so it is not worth emitting.
std::set<std::string> residency_of(const SegmentPlan& plan) {
  std::set<std::string> kept;
  for (const auto& [name, v] : plan.values)
    if (v.resident) kept.insert(name);
  for (const auto& layer : plan.layers)
    if (layer.params_item) kept.insert("params of " + layer.node->name);
  return kept;
}

}  // namespace

Shape batched_shape(const std::string& name, const Shape& shape, int batch) {
  if (batch == 1) return shape;
  if (shape.empty() || shape[0] != 1)
    throw CompileError("tensor \"" + name + "\" of shape " + shape_string(shape) +
                       " crosses between the NPU and the host without a leading batch dim of 1: "
                       "this model cannot be compiled with --batch " +
                       std::to_string(batch));
  Shape out = shape;
  out[0] = batch;
  return out;
}

std::string npu_unsupported(const Graph& g, const Node& n, const isa::HwParams& hw) {
  const Family* family = family_of(n);
  if (!family) return "op " + n.op + " has no NPU code generation yet";
  for (const auto& list : {n.inputs, n.outputs})
    for (const auto& v : list)
      if (!v.empty() && g.has_value(v) && g.value(v).rank_known &&
          compiler::element_count(g.value(v).shape) == 0)
        return "empty tensor " + v + " (nothing for the NPU to do)";
  return family->unsupported(g, n, hw);
}

SegmentBuild build_npu_segment(const Graph& g, const std::vector<int>& nodes,
                               const std::vector<std::string>& inputs,
                               const std::vector<std::string>& outputs, const std::string& name,
                               const isa::HwParams& hw, isa::Mode mode, IoLayout& io, int batch) {
  const int slots = mode == isa::Mode::kFused ? 2 : 1;
  const uint64_t least = min_work_bytes(g, nodes, hw), sram = hw.sram_per_pe;
  // Working areas to try: fractions of the SRAM (a larger one gives bigger
  // tiles, a smaller one keeps more in SRAM), all of it but the layers'
  // parameters, all of it (nothing resident); the least that works when the
  // SRAM is too small for those.
  uint64_t params = 0;
  for (const int n : nodes)
    if (const Family* f = family_of(g.nodes[n]))
      params += align64(f->traits(g, g.nodes[n]).params_bytes);
  std::set<uint64_t> works;
  for (const uint64_t div : {8, 4, 2})
    if (sram / div >= least) works.insert(align64(sram / div));
  if (sram > params + least) works.insert((sram - params) & ~uint64_t{63});
  works.insert(sram);
  if (works.size() < 3) works.insert(least);
  std::optional<Candidate> best;
  std::set<std::set<std::string>> seen;
  auto consider = [&](SegmentPlan plan) {
    Candidate c = build_candidate(g, std::move(plan), inputs, outputs, name, hw, slots, io, batch);
    if (!best || c.cycles < best->cycles) best = std::move(c);
  };
  for (auto work = works.rbegin(); work != works.rend(); ++work) {
    SegmentPlan plan = plan_segment(g, nodes, inputs, outputs, hw, slots, *work, batch);
    if (!seen.insert(residency_of(plan)).second) continue;
    // The layers' estimates chose their splits one by one; the segment's
    // estimate also sees the exchanges a channel split adds between the
    // PEs, so the plan with rows only competes too.
    if (splits_channels(plan))
      consider(plan_segment(g, nodes, inputs, outputs, hw, slots, *work, batch, false));
    consider(std::move(plan));
  }
  io = best->io;
  return std::move(best->build);
}

}  // namespace npusim::compiler::codegen
