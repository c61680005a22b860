#include "npu_segment.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "conv_codegen.hpp"
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

}  // namespace

SegmentBuild build_npu_segment(const Graph& g, const std::vector<int>& nodes,
                               const std::vector<std::string>& inputs,
                               const std::vector<std::string>& outputs, const std::string& name,
                               const isa::HwParams& hw, isa::Mode mode) {
  SegmentBuild out;
  out.segment.name = name;
  out.segment.inputs = inputs;
  out.segment.outputs = outputs;
  std::map<std::string, DramPlace> place;
  uint64_t io = 0;
  for (const auto& list : {inputs, outputs})
    for (const auto& v : list) {
      place[v] = {isa::kBaseIo, io};
      out.tensors.push_back(io_tensor(g, v, io));
      io = align64(io + tensor_bytes(g.value(v)));
    }
  out.segment.io_bytes = std::max<uint64_t>(io, 64);

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
    if (n.domain != "npusim" || n.op != "QConv")
      throw CompileError(n.describe() + ": no NPU code generation for this op yet");
    const std::string& y = n.outputs[0];
    if (!place.count(y)) place[y] = {isa::kBaseScratch, scratch.allocate(tensor_bytes(g.value(y)))};
    ConvLayer layer;
    layer.node = &n;
    layer.in = g.value(n.inputs[0]).shape;
    layer.out = g.value(y).shape;
    const Shape& wshape = g.value(n.inputs[1]).shape;
    layer.kh = wshape[2];
    layer.kw = wshape[3];
    layer.x = place.at(n.inputs[0]);
    layer.y = place.at(y);
    layer.params_offset = append_conv_params(g, n, out.segment.weights);
    const ConvSram plan = plan_conv_sram(layer, hw);
    out.sram_peak = std::max(out.sram_peak, plan.total);
    const int64_t rows = layer.out[2], split = (rows + slots - 1) / slots;
    for (int slot = 0; slot < slots; ++slot) {
      if (i > 0) {  // the previous layer's output must be in DRAM before this layer reads it
        s.wait(slot, Engine::kLoad, kLayerStored);
        if (slots > 1) s.wait(slot, Engine::kLoad, kPeerStored);
      }
      const int64_t begin = std::min(rows, slot * split), end = std::min(rows, begin + split);
      emit_conv(s, layer, plan, slot, slot * hw.sram_per_pe, begin, end);
      s.signal(slot, Engine::kStore, kLayerStored);
      if (slots > 1) s.signal(slot, Engine::kStore, kPeerStored, 1);
    }
    // Free scratch whose last reader was this layer.
    for (const auto& in : n.inputs)
      if (last_use[in] == i && place.count(in) && place[in].base == isa::kBaseScratch &&
          std::find(outputs.begin(), outputs.end(), in) == outputs.end())
        scratch.release(place[in].offset);
    out.layer_asm.push_back(n.describe() + ": " + std::to_string(plan.rows) +
                            " output rows per tile, " + std::to_string(plan.total) +
                            " bytes of SRAM");
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
