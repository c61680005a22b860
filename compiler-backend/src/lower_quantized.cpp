// QDQ / QLinear recognition (see lower_quantized.hpp): the convolution family
// (QDQ Conv, QLinearConv) and the driver that runs every family's matcher
// (qdq_match.hpp) over the graph.
#include "npusim/compiler/lower_quantized.hpp"

#include <algorithm>
#include <cmath>
#include <optional>

#include "npu_op_table.hpp"
#include "npu_ops/conv.hpp"
#include "npusim/compiler/npu_ops.hpp"
#include "npusim/isa/int8.hpp"
#include "qdq_match.hpp"

namespace npusim::compiler {
namespace lowering {
namespace {

// Writes the QConv node for a match (weights' scale per output channel).
Node make_qconv(const ConvMatch& m) {
  const Node& c = *m.conv;
  Node n = npu_node("QConv", c);
  n.inputs = {m.x, m.w};
  n.outputs = {m.y};
  const int64_t oc = m.w_shape.at(0);
  const size_t rank = m.w_shape.size() - 2;
  QConvAttrs a;
  a.strides = c.ints("strides", Ints(rank, 1));
  a.dilations = c.ints("dilations", Ints(rank, 1));
  a.pads = m.pads.empty() ? c.ints("pads", Ints(2 * rank, 0)) : m.pads;
  a.group = c.i("group", 1);
  a.x_zp = m.xq.zero_points[0];
  a.w_zp = m.wq.zero_points[0];
  a.x_signed = m.xq.is_signed;
  a.w_signed = m.wq.is_signed;
  a.out.y_zp = m.yq.zero_points[0];
  a.out.y_signed = m.yq.is_signed;
  a.out.act_lo = m.act.lo;
  a.out.act_hi = m.act.hi;
  for (int64_t o = 0; o < oc; ++o) {
    const float ws = m.wq.scales.size() == 1 ? m.wq.scales[0] : m.wq.scales[o];
    const auto fm = isa::quantize_multiplier(double(m.xq.scales[0]) * ws / m.yq.scales[0]);
    a.mult.push_back(fm.mult);
    a.shift.push_back(fm.shift);
  }
  write_attrs(n, a);
  return n;
}

}  // namespace

namespace {
// Whether a per-channel parameter of `count` values serves `channels` channels
// (found by fuzz_onnx: an empty bias was indexed per channel).
bool one_or_each(int64_t count, int64_t channels) {
  return count == 1 || count == channels;
}
}  // namespace

std::optional<Tensor> accumulator_bias(const Graph& g, const std::string& b, const Quant& xq,
                                       const Quant& wq, int64_t oc, std::string& why,
                                       double factor) {
  auto unit = [&](int64_t o) {
    return double(xq.scales[0]) * (wq.scales.size() == 1 ? wq.scales[0] : wq.scales[o]);
  };
  std::vector<double> real(oc);
  if (const Node* dq = producer_node(g, b, "DequantizeLinear")) {
    const auto bq =
        quant_from(g, dq->inputs[1], dq->inputs.size() > 2 ? dq->inputs[2] : "", DType::kInt32);
    if (!bq || !g.is_constant(dq->inputs[0])) {
      why = "bias is not a constant DequantizeLinear";
      return std::nullopt;
    }
    const Tensor& q = *g.value(dq->inputs[0]).constant;
    if (!one_or_each(q.size(), oc) || !one_or_each(int64_t(bq->scales.size()), oc)) {
      why = "bias has neither one value nor one per output channel";
      return std::nullopt;
    }
    for (int64_t o = 0; o < oc; ++o)
      real[o] =
          (q.at(q.size() == 1 ? 0 : o) - bq->zero_points[bq->zero_points.size() == 1 ? 0 : o]) *
          bq->scales[bq->scales.size() == 1 ? 0 : o];
  } else if (g.is_constant(b)) {
    const Tensor& c = *g.value(b).constant;
    if (!one_or_each(c.size(), oc)) {
      why = "bias has neither one value nor one per output channel";
      return std::nullopt;
    }
    for (int64_t o = 0; o < oc; ++o) real[o] = c.at(c.size() == 1 ? 0 : o);
  } else {
    why = "bias is not constant";
    return std::nullopt;
  }
  std::vector<int32_t> q(oc);
  for (int64_t o = 0; o < oc; ++o) {
    // A zero bias is code 0 whatever the scale: a weight channel may have
    // scale 0 (all its weights 0), and 0 / 0 is no int32.
    const double v = real[o] == 0 ? 0.0 : std::nearbyint(factor * real[o] / unit(o));
    if (!std::isfinite(v) || std::fabs(v) > 2147483647.0) {
      why = "bias does not fit int32 at the accumulator's scale";
      return std::nullopt;
    }
    q[o] = static_cast<int32_t>(v);
  }
  return Tensor::from(DType::kInt32, {oc}, q);
}

namespace {}  // namespace

std::optional<ConvMatch> match_qdq_conv(const Graph& g, const Node& conv, std::string& why) {
  ConvMatch m;
  m.conv = &conv;
  const Node* dqx = producer_node(g, conv.inputs[0], "DequantizeLinear");
  const Node* dqw =
      conv.inputs.size() > 1 ? producer_node(g, conv.inputs[1], "DequantizeLinear") : nullptr;
  if (!dqx || !dqw) {
    why = "input or weights not from DequantizeLinear (float op: runs on the CPU)";
    return std::nullopt;
  }
  auto xq = quant_from(g, dqx->inputs[1], opt_in(*dqx, 2), g.value(dqx->inputs[0]).dtype);
  auto wq = quant_from(g, dqw->inputs[1], opt_in(*dqw, 2), g.value(dqw->inputs[0]).dtype);
  if (!xq || !wq || !per_tensor(*xq) || !g.is_constant(dqw->inputs[0])) {
    why = "quantisation parameters are not constant, or the input is per-channel";
    return std::nullopt;
  }
  for (int32_t z : wq->zero_points)
    if (z != wq->zero_points[0]) {
      why = "weights have different zero points per channel";
      return std::nullopt;
    }
  std::string out = conv.outputs[0];
  const Node* act = nullptr;
  if ((act = sole_consumer(g, out, "Relu")) || (act = sole_consumer(g, out, "Clip")))
    out = act->outputs[0];
  const Node* q = sole_consumer(g, out, "QuantizeLinear");
  if (!q) {
    why = "output not followed by QuantizeLinear (float output: runs on the CPU)";
    return std::nullopt;
  }
  auto yq = quant_from(g, q->inputs[1], opt_in(*q, 2), DType::kUint8);
  if (!yq || !per_tensor(*yq)) {
    why = "output quantisation is not a constant per-tensor scale";
    return std::nullopt;
  }
  if (act) {
    auto a = fused_activation(g, *act, *yq);
    if (!a) {
      why = act->describe() + " has non-constant bounds";
      return std::nullopt;
    }
    m.act = *a;
    m.replaced.push_back(act->outputs[0]);
  }
  m.x = dqx->inputs[0];
  m.w = dqw->inputs[0];
  m.w_shape = g.value(m.w).shape;
  if (conv.op == "Conv") {
    why.clear();
    m.pads = resolved_pads(g, conv, m.x, kernel_dims(m.w_shape), why);
    if (!why.empty()) return std::nullopt;
  }
  m.y = q->outputs[0];
  m.xq = *xq;
  m.wq = *wq;
  m.yq = *yq;
  m.replaced.push_back(q->outputs[0]);
  // ConvTranspose weights are [C_in, C_out / group, kH, kW].
  const int64_t oc = g.value(m.w).shape.at(conv.op == "ConvTranspose" ? 1 : 0);
  if (conv.inputs.size() > 2 && !conv.inputs[2].empty()) {
    m.bias = accumulator_bias(g, conv.inputs[2], m.xq, m.wq, oc, why);
    if (!m.bias) return std::nullopt;
  }
  return m;
}

namespace {

// QLinearConv(x, x_scale, x_zp, w, w_scale, w_zp, y_scale, y_zp, B).
std::optional<ConvMatch> match_qlinear_conv(const Graph& g, const Node& c, std::string& why) {
  ConvMatch m;
  m.conv = &c;
  auto xq = quant_from(g, c.inputs[1], c.inputs[2], g.value(c.inputs[0]).dtype);
  auto wq = quant_from(g, c.inputs[4], c.inputs[5], g.value(c.inputs[3]).dtype);
  auto yq = quant_from(g, c.inputs[6], c.inputs[7], g.value(c.outputs[0]).dtype);
  if (!xq || !wq || !yq || !g.is_constant(c.inputs[3])) {
    why = "quantisation parameters or weights are not constant";
    return std::nullopt;
  }
  for (int32_t z : wq->zero_points)
    if (z != wq->zero_points[0]) {
      why = "weights have different zero points per channel";
      return std::nullopt;
    }
  m.x = c.inputs[0];
  m.w = c.inputs[3];
  m.w_shape = g.value(m.w).shape;
  why.clear();
  m.pads = resolved_pads(g, c, m.x, kernel_dims(m.w_shape), why);
  if (!why.empty()) return std::nullopt;
  m.y = c.outputs[0];
  m.xq = *xq;
  m.wq = *wq;
  m.yq = *yq;
  if (c.inputs.size() > 8 && !c.inputs[8].empty()) {
    if (!g.is_constant(c.inputs[8])) {
      why = "bias is not constant";
      return std::nullopt;
    }
    m.bias = *g.value(c.inputs[8]).constant;  // already int32 in x_scale*w_scale units
  }
  return m;
}

// ConvInteger(x, w, x_zp, w_zp) with constant weights and zero points: the
// convolution of the codes, its int32 sums the output (no quantisation).
std::optional<ConvMatch> match_conv_integer(const Graph& g, const Node& c, std::string& why) {
  if (!g.is_constant(c.inputs.at(1))) {
    why = "weights are not constant";
    return std::nullopt;
  }
  const auto xz = integer_zero_point(g, c, 2), wz = integer_zero_point(g, c, 3);
  if (!xz || !wz) {
    why = "zero points are not constants of one value each";
    return std::nullopt;
  }
  ConvMatch m;
  m.conv = &c;
  m.x = c.inputs[0];
  m.y = c.outputs[0];
  m.w = c.inputs[1];
  m.w_shape = g.value(m.w).shape;
  m.xq = Quant{{1.0f}, {*xz}, g.value(m.x).dtype == DType::kInt8};
  m.wq = Quant{{1.0f}, {*wz}, g.value(m.w).dtype == DType::kInt8};
  m.yq = Quant{{1.0f}, {0}, true};
  m.pads = resolved_pads(g, c, m.x, kernel_dims(m.w_shape), why);
  if (!why.empty()) return std::nullopt;
  return m;
}

}  // namespace

Rewrite conv_rewrite(const ConvMatch& m) {
  Rewrite r;
  r.node = make_qconv(m);
  r.anchor = m.conv->outputs[0];
  r.absorbed = m.replaced;
  if (m.bias) {
    const std::string b = m.y + "/bias";
    r.constants.emplace_back(b, *m.bias);
    r.node.inputs.push_back(b);
  }
  return r;
}

namespace {

// Replaces the anchor by the new node, drops the absorbed nodes, adds the constants.
void apply(Graph& g, const Rewrite& r) {
  for (const Value& v : r.values) g.values[v.name] = v;
  for (const auto& [name, t] : r.constants) {
    Value& v = g.values[name];
    v.name = name;
    v.dtype = t.dtype();
    v.shape = t.shape();
    v.rank_known = true;
    v.constant = t;
  }
  std::vector<Node> kept;
  for (auto& n : g.nodes) {
    const std::string& id = n.outputs.at(0);
    if (id == r.anchor) {
      kept.insert(kept.end(), r.before.begin(), r.before.end());
      kept.push_back(r.node);
      continue;
    }
    if (std::find(r.absorbed.begin(), r.absorbed.end(), id) != r.absorbed.end()) continue;
    kept.push_back(std::move(n));
  }
  g.nodes = std::move(kept);
}

// The lowering rule the op files registered for n's op type, if any.
Matcher matcher_for(const Node& n) {
  if (!n.domain.empty()) return nullptr;
  const auto& rules = npu_op_table().lowerings();
  auto it = rules.find(n.op);
  return it == rules.end() ? nullptr : it->second;
}

// Index of the node whose first output is `output`, or `fallback`.
size_t index_of(const Graph& g, const std::string& output, size_t fallback) {
  for (size_t i = 0; i < g.nodes.size(); ++i)
    if (g.nodes[i].outputs.at(0) == output) return i;
  return fallback;
}

}  // namespace

std::optional<Rewrite> match_conv(const Graph& g, const Node& n, Notes& notes) {
  std::string why;
  const auto m = n.op == "Conv"          ? match_qdq_conv(g, n, why)
                 : n.op == "QLinearConv" ? match_qlinear_conv(g, n, why)
                                         : match_conv_integer(g, n, why);
  if (!m) {
    notes[n.describe()] = why;
    return std::nullopt;
  }
  Rewrite r = conv_rewrite(*m);
  if (n.op == "ConvInteger")
    update_attrs<QConvAttrs>(r.node, [](QConvAttrs& a) { a.int32_out = true; });
  return r;
}

}  // namespace lowering

std::vector<LoweringNote> lower_quantized(Graph& g) {
  using namespace lowering;
  Notes notes;
  // Each rewrite removes at least one ONNX node, so this ends. A matched
  // position is looked at again: a DequantizeLinear can start several tables.
  for (size_t i = 0; i < g.nodes.size();) {
    const Matcher match = matcher_for(g.nodes[i]);
    std::optional<Rewrite> r;
    try {
      r = match ? match(g, g.nodes[i], notes) : std::nullopt;
    } catch (const std::invalid_argument& e) {  // e.g. scales no fixed-point multiplier holds
      throw CompileError("node " + g.nodes[i].describe() + ": " + e.what());
    }
    if (!r) {
      ++i;
      continue;
    }
    notes[g.nodes[index_of(g, r->anchor, i)].describe()] = r->node.op;
    apply(g, *r);
    i = std::min(i, index_of(g, r->node.outputs[0], i));
  }
  g.prune();
  g.sort();
  std::vector<LoweringNote> out;
  for (const auto& [node, result] : notes) out.push_back({node, result});
  return out;
}

bool is_float_only(const Graph& g) {
  bool float_compute = false;
  for (const auto& n : g.nodes) {
    if (n.domain == kNpuDomain || n.op == "QuantizeLinear" || n.op == "DequantizeLinear" ||
        n.op.rfind("QLinear", 0) == 0 || n.op == "ConvInteger" || n.op == "MatMulInteger")
      return false;
    if (n.op == "Conv" || n.op == "Gemm" || n.op == "MatMul") float_compute = true;
  }
  return float_compute;
}

}  // namespace npusim::compiler
