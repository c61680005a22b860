// QDQ / QLinear recognition (see lower_quantized.hpp).
#include "npusim/compiler/lower_quantized.hpp"

#include <algorithm>
#include <cmath>
#include <optional>

#include "npusim/compiler/npu_ops.hpp"
#include "npusim/isa/int8.hpp"

namespace npusim::compiler {
namespace {

// Scale(s) and zero point(s) of a (De)QuantizeLinear or QLinear* operand pair.
struct Quant {
  std::vector<float> scales;
  std::vector<int32_t> zero_points;
  bool is_signed = true;
};

std::optional<Quant> quant_from(const Graph& g, const std::string& scale, const std::string& zp,
                                DType q_type) {
  if (!g.is_constant(scale)) return std::nullopt;
  Quant q;
  const Tensor& s = *g.value(scale).constant;
  for (int64_t i = 0; i < s.size(); ++i) q.scales.push_back(static_cast<float>(s.at(i)));
  if (!zp.empty()) {
    if (!g.is_constant(zp)) return std::nullopt;
    const Tensor& z = *g.value(zp).constant;
    q_type = z.dtype();
    for (int64_t i = 0; i < z.size(); ++i) q.zero_points.push_back(static_cast<int32_t>(z.at(i)));
  } else {
    q.zero_points.assign(q.scales.size(), 0);
  }
  q.is_signed = q_type != DType::kUint8;
  return q;
}

bool per_tensor(const Quant& q) {
  return q.scales.size() == 1 && q.zero_points.size() == 1;
}

const Node* producer_node(const Graph& g, const std::string& v, const char* op) {
  const int p = g.producer(v);
  return p >= 0 && g.nodes[p].op == op && g.nodes[p].domain.empty() ? &g.nodes[p] : nullptr;
}

// The single consumer of `v`, if it is `op` and nothing else reads `v`.
const Node* sole_consumer(const Graph& g, const std::string& v, const char* op) {
  const auto users = g.consumers(v);
  for (const auto& out : g.outputs)
    if (out == v) return nullptr;
  if (users.size() != 1 || g.nodes[users[0]].op != op) return nullptr;
  return &g.nodes[users[0]];
}

// Clamp bounds of a fused activation in the output's integer domain.
struct Activation {
  int32_t lo = -32768, hi = 32767;
  std::string output;  // the activation's output (feeds the QuantizeLinear)
};

std::optional<Activation> fused_activation(const Graph& g, const Node& act, const Quant& y) {
  Activation a;
  a.output = act.outputs[0];
  auto q = [&](float v) {
    return isa::quantize_linear(v, y.scales[0], y.zero_points[0], y.is_signed);
  };
  if (act.op == "Relu") {
    a.lo = q(0.0f);
    return a;
  }
  if (act.op != "Clip") return std::nullopt;
  float lo = act.f("min", -INFINITY), hi = act.f("max", INFINITY);
  if (act.inputs.size() > 1 && !act.inputs[1].empty()) {
    if (!g.is_constant(act.inputs[1])) return std::nullopt;
    lo = static_cast<float>(g.value(act.inputs[1]).constant->at(0));
  }
  if (act.inputs.size() > 2 && !act.inputs[2].empty()) {
    if (!g.is_constant(act.inputs[2])) return std::nullopt;
    hi = static_cast<float>(g.value(act.inputs[2]).constant->at(0));
  }
  if (std::isfinite(lo)) a.lo = q(lo);
  if (std::isfinite(hi)) a.hi = q(hi);
  return a;
}

struct ConvMatch {
  const Node* conv;
  std::string x, y;  // quantised input and output
  Quant xq, wq, yq;
  std::string w;               // int8 const weights
  std::optional<Tensor> bias;  // int32 (already in x_scale*w_scale units)
  Activation act;
  std::vector<std::string> replaced;  // node names the QConv replaces
};

std::vector<int64_t> int_list(const std::vector<int32_t>& v) {
  return {v.begin(), v.end()};
}

// Writes the QConv node for a match (weights' scale per output channel).
Node make_qconv(const Graph& g, const ConvMatch& m) {
  const Node& c = *m.conv;
  Node n;
  n.name = c.name;
  n.op = "QConv";
  n.domain = kNpuDomain;
  n.inputs = {m.x, m.w};
  n.outputs = {m.y};
  const int64_t oc = g.value(m.w).shape.at(0);
  const size_t rank = g.value(m.w).shape.size() - 2;
  n.attrs["strides"] = c.ints("strides", std::vector<int64_t>(rank, 1));
  n.attrs["dilations"] = c.ints("dilations", std::vector<int64_t>(rank, 1));
  n.attrs["pads"] = c.ints("pads", std::vector<int64_t>(2 * rank, 0));
  n.attrs["group"] = c.i("group", 1);
  n.attrs["x_zp"] = int64_t(m.xq.zero_points[0]);
  n.attrs["w_zp"] = int64_t(m.wq.zero_points[0]);
  n.attrs["y_zp"] = int64_t(m.yq.zero_points[0]);
  n.attrs["x_signed"] = int64_t(m.xq.is_signed);
  n.attrs["w_signed"] = int64_t(m.wq.is_signed);
  n.attrs["y_signed"] = int64_t(m.yq.is_signed);
  std::vector<int32_t> mult, shift;
  for (int64_t o = 0; o < oc; ++o) {
    const float ws = m.wq.scales.size() == 1 ? m.wq.scales[0] : m.wq.scales[o];
    const auto fm = isa::quantize_multiplier(double(m.xq.scales[0]) * ws / m.yq.scales[0]);
    mult.push_back(fm.mult);
    shift.push_back(fm.shift);
  }
  n.attrs["mult"] = int_list(mult);
  n.attrs["shift"] = int_list(shift);
  n.attrs["act_lo"] = int64_t(m.act.lo);
  n.attrs["act_hi"] = int64_t(m.act.hi);
  return n;
}

// Bias in accumulator units (x_scale * w_scale[oc]), from a float constant or
// a DequantizeLinear of int32 (re-scaled if its scale differs).
std::optional<Tensor> accumulator_bias(const Graph& g, const std::string& b, const Quant& xq,
                                       const Quant& wq, int64_t oc, std::string& why) {
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
    for (int64_t o = 0; o < oc; ++o)
      real[o] = (q.at(o) - bq->zero_points[bq->zero_points.size() == 1 ? 0 : o]) *
                bq->scales[bq->scales.size() == 1 ? 0 : o];
  } else if (g.is_constant(b)) {
    for (int64_t o = 0; o < oc; ++o) real[o] = g.value(b).constant->at(o);
  } else {
    why = "bias is not constant";
    return std::nullopt;
  }
  std::vector<int32_t> q(oc);
  for (int64_t o = 0; o < oc; ++o) {
    const double v = std::nearbyint(real[o] / unit(o));
    if (std::fabs(v) > 2147483647.0) {
      why = "bias does not fit int32 at the accumulator's scale";
      return std::nullopt;
    }
    q[o] = static_cast<int32_t>(v);
  }
  return Tensor::from(DType::kInt32, {oc}, q);
}

// DequantizeLinear -> Conv [-> Relu|Clip] -> QuantizeLinear. Returns the match,
// or sets `why` to the reason it is not one.
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
  auto opt_in = [](const Node& n, size_t i) {
    return n.inputs.size() > i ? n.inputs[i] : std::string();
  };
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
    m.replaced.push_back(act->name);
  }
  m.x = dqx->inputs[0];
  m.w = dqw->inputs[0];
  m.y = q->outputs[0];
  m.xq = *xq;
  m.wq = *wq;
  m.yq = *yq;
  m.replaced.push_back(q->name);
  const int64_t oc = g.value(m.w).shape.at(0);
  if (conv.inputs.size() > 2 && !conv.inputs[2].empty()) {
    m.bias = accumulator_bias(g, conv.inputs[2], m.xq, m.wq, oc, why);
    if (!m.bias) return std::nullopt;
  }
  return m;
}

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

void apply(Graph& g, const ConvMatch& m) {
  Node q = make_qconv(g, m);
  if (m.bias) {
    const std::string b = m.y + "/bias";
    Value& v = g.values[b];
    v.name = b;
    v.dtype = DType::kInt32;
    v.shape = m.bias->shape();
    v.rank_known = true;
    v.constant = *m.bias;
    q.inputs.push_back(b);
  }
  const std::string conv_name = m.conv->name;
  std::vector<Node> kept;
  for (auto& n : g.nodes) {
    if (n.name == conv_name) {
      kept.push_back(q);
      continue;
    }
    if (std::find(m.replaced.begin(), m.replaced.end(), n.name) != m.replaced.end()) continue;
    kept.push_back(std::move(n));
  }
  g.nodes = std::move(kept);
}

}  // namespace

std::vector<LoweringNote> lower_quantized(Graph& g) {
  std::vector<LoweringNote> notes;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const Node& n = g.nodes[i];
    if (!n.domain.empty() || (n.op != "Conv" && n.op != "QLinearConv")) continue;
    std::string why;
    const auto m = n.op == "Conv" ? match_qdq_conv(g, n, why) : match_qlinear_conv(g, n, why);
    if (!m) {
      notes.push_back({n.describe(), why});
      continue;
    }
    notes.push_back({n.describe(), "QConv"});
    apply(g, *m);
    i = 0;  // indices moved; start over (each match removes its Conv)
  }
  g.prune();
  g.sort();
  return notes;
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
