#include "npu_segment.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "conv_codegen.hpp"
#include "families.hpp"
#include "npusim/compiler/npu_ops.hpp"
#include "npusim/isa/assembler.hpp"

namespace npusim::compiler::codegen {
namespace {

using isa::Engine;

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
void quant_of(const Graph& g, const std::string& v, isa::TensorInfo& t) {
  auto from = [&](const Node& n) {
    if (n.inputs.size() > 1 && g.is_constant(n.inputs[1]))
      t.scale = static_cast<float>(g.value(n.inputs[1]).constant->at(0));
    if (n.inputs.size() > 2 && g.is_constant(n.inputs[2]))
      t.zero_point = static_cast<int32_t>(g.value(n.inputs[2]).constant->at(0));
  };
  const int p = g.producer(v);
  if (p >= 0 && g.nodes[p].op == "QuantizeLinear") return from(g.nodes[p]);
  for (int c : g.consumers(v))
    if (g.nodes[c].op == "DequantizeLinear") return from(g.nodes[c]);
  if (p >= 0 && g.nodes[p].domain == "npusim") t.zero_point = int32_t(g.nodes[p].i("y_zp", 0));
}

isa::TensorInfo io_tensor(const Graph& g, const std::string& name, uint64_t offset) {
  const Value& v = g.value(name);
  isa::TensorInfo t;
  t.name = name;
  t.shape = v.shape;
  t.dtype = std::string(dtype_name(v.dtype));
  t.layout = v.shape.size() == 4 ? "NHWC" : "";
  t.io_offset = offset;
  quant_of(g, name, t);
  return t;
}

// QConv; a 2-D [M, K] input (a lowered Gemm) is an [M][1][K] NHWC image.
ConvLayer conv_layer(const Graph& g, const Node& n) {
  ConvLayer layer;
  layer.node = &n;
  auto image = [](Shape s) { return s.size() == 2 ? Shape{1, s[1], s[0], 1} : s; };
  layer.in = image(g.value(n.inputs[0]).shape);
  layer.out = image(g.value(n.outputs[0]).shape);
  const Shape& wshape = g.value(n.inputs[1]).shape;
  layer.kh = wshape[2];
  layer.kw = wshape[3];
  return layer;
}

std::string conv_unsupported(const Graph& g, const Node& n, const isa::HwParams& hw) {
  try {
    plan_conv_sram(conv_layer(g, n), hw);
  } catch (const CompileError& e) {
    return e.what();
  }
  return "";
}

LayerCode plan_conv(const LayerEnv& e) {
  ConvLayer layer = conv_layer(e.g, e.node);
  layer.x = e.at(e.node.inputs[0]);
  layer.y = e.at(e.node.outputs[0]);
  layer.params_offset = append_conv_params(e.g, e.node, e.blob);
  const ConvSram plan = plan_conv_sram(layer, e.hw);
  LayerCode code;
  code.units = layer.out[2];
  code.sram = plan.total;
  code.summary = tiling_summary(e.node, code.units, plan.rows, "output rows", plan.total);
  code.emit = [layer, plan](Streams& s, int slot, uint64_t base, int64_t begin, int64_t end) {
    emit_conv(s, layer, plan, slot, base, begin, end);
  };
  return code;
}

const std::map<std::string, Family>& families() {
  static const std::map<std::string, Family> f = {
      {"QConv", {conv_unsupported, plan_conv}},           // conv_codegen.cpp
      {"QAdd", {binary_unsupported, plan_binary}},        // binary_codegen.cpp
      {"QMul", {binary_unsupported, plan_binary}},        // binary_codegen.cpp
      {"QLut", {lut_unsupported, plan_lut}},              // lut_codegen.cpp
      {"QPool", {pool_unsupported, plan_pool}},           // pool_codegen.cpp
      {"QConcat", {concat_unsupported, plan_concat}},     // concat_codegen.cpp
      {"QSplit", {concat_unsupported, plan_concat}},      // concat_codegen.cpp
      {"QResize", {resize_unsupported, plan_resize}},     // resize_codegen.cpp
      {"QPermute", {permute_unsupported, plan_permute}},  // permute_codegen.cpp
      {"QPad", {pad_unsupported, plan_pad}},              // pad_codegen.cpp
  };
  return f;
}

const Family* family_of(const Node& n) {
  if (n.domain != kNpuDomain) return nullptr;
  auto it = families().find(n.op);
  return it == families().end() ? nullptr : &it->second;
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

}  // namespace

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
                               const isa::HwParams& hw, isa::Mode mode, IoLayout& io) {
  SegmentBuild out;
  out.segment.name = name;
  out.segment.inputs = inputs;
  out.segment.outputs = outputs;
  std::map<std::string, DramPlace> place;
  for (const auto& list : {inputs, outputs})
    for (const auto& v : list) {
      auto [it, added] = io.offsets.emplace(v, io.end);
      place[v] = {isa::kBaseIo, it->second};
      if (!added) continue;
      out.tensors.push_back(io_tensor(g, v, it->second));
      io.end = align64(io.end + tensor_bytes(g.value(v)));
    }
  out.segment.io_bytes = std::max<uint64_t>(io.end, 64);

  // Last use of each intermediate, to free its scratch space.
  std::map<std::string, size_t> last_use;
  for (size_t i = 0; i < nodes.size(); ++i)
    for (const auto& in : g.nodes[nodes[i]].inputs) last_use[in] = i;

  const int slots = mode == isa::Mode::kFused ? 2 : 1;
  Streams s;
  for (int slot = 0; slot < slots; ++slot) {
    s.signal(slot, Engine::kLoad, kInFree0);
    s.signal(slot, Engine::kLoad, kInFree0 + 1);
    s.signal(slot, Engine::kCompute, kOutFree0);
    s.signal(slot, Engine::kCompute, kOutFree0 + 1);
  }
  ScratchPlanner scratch;
  for (size_t i = 0; i < nodes.size(); ++i) {
    const Node& n = g.nodes[nodes[i]];
    const Family* family = family_of(n);
    if (!family) throw CompileError(n.describe() + ": no NPU code generation for this op yet");
    for (const auto& y : n.outputs)
      if (!y.empty() && !place.count(y))
        place[y] = {isa::kBaseScratch, scratch.allocate(tensor_bytes(g.value(y)))};
    const LayerCode code = family->plan(LayerEnv{g, n, place, out.segment.weights, hw});
    out.sram_peak = std::max(out.sram_peak, code.sram);
    const int64_t split = (code.units + slots - 1) / slots;
    out.segment.layers.push_back(layer_info(n, s));
    for (int slot = 0; slot < slots; ++slot) {
      if (i > 0) {  // the previous layer's output must be in DRAM before this layer reads it
        s.wait(slot, Engine::kLoad, kLayerStored);
        if (slots > 1) s.wait(slot, Engine::kLoad, kPeerStored);
      }
      const int64_t begin = std::min(code.units, slot * split);
      code.emit(s, slot, slot * hw.sram_per_pe, begin, std::min(code.units, begin + split));
      s.signal(slot, Engine::kStore, kLayerStored);
      if (slots > 1) s.signal(slot, Engine::kStore, kPeerStored, 1);
    }
    // Free scratch whose last reader was this layer.
    for (const auto& in : n.inputs)
      if (last_use[in] == i && place.count(in) && place[in].base == isa::kBaseScratch &&
          std::find(outputs.begin(), outputs.end(), in) == outputs.end())
        scratch.release(place[in].offset);
    out.layer_asm.push_back(code.summary);
  }
  out.segment.scratch_bytes = std::max<uint64_t>(scratch.peak(), 64);
  for (int slot = 0; slot < slots; ++slot)
    for (int e = 0; e < isa::kNumEngines; ++e) {
      auto code = s.code[slot][e];
      if (code.empty()) continue;
      code.push_back(isa::make(isa::Opcode::kEnd, {}));
      out.segment.streams[slot][e] = isa::encode(code);
    }
  return out;
}

}  // namespace npusim::compiler::codegen
