// Shared pieces of the QDQ matchers (qdq_match.hpp).
#include "qdq_match.hpp"

#include <algorithm>
#include <climits>
#include <cmath>

#include "npusim/compiler/npu_ops.hpp"
#include "npusim/isa/int8.hpp"

namespace npusim::compiler::lowering {

std::optional<double> single_value(const Graph& g, const std::string& name) {
  if (!g.is_constant(name) || g.value(name).constant->size() != 1) return std::nullopt;
  return g.value(name).constant->at(0);
}

std::optional<int32_t> exact_int32(double v) {
  if (!(v >= INT32_MIN && v <= INT32_MAX) || v != std::floor(v)) return std::nullopt;
  return static_cast<int32_t>(v);
}

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
    for (int64_t i = 0; i < z.size(); ++i) {
      // Only an integer zero point in int32's range is one (fuzz_onnx: a
      // float zero point of 9.4e19 overflowed the conversion).
      const auto v = exact_int32(z.at(i));
      if (!v) return std::nullopt;
      q.zero_points.push_back(*v);
    }
  } else {
    q.zero_points.assign(q.scales.size(), 0);
  }
  // ONNX gives scale and zero point one shape; one with another count (an
  // empty zero point, found by fuzz_onnx) is no quantisation the lowering can
  // index per channel, so the node is left to the reference executor's checks.
  if (q.scales.empty() || q.zero_points.size() != q.scales.size()) return std::nullopt;
  q.is_signed = q_type != DType::kUint8;
  return q;
}

bool per_tensor(const Quant& q) {
  return q.scales.size() == 1 && q.zero_points.size() == 1;
}

bool same_quant(const Quant& a, const Quant& b) {
  return per_tensor(a) && per_tensor(b) && a.scales[0] == b.scales[0] &&
         a.zero_points[0] == b.zero_points[0] && a.is_signed == b.is_signed;
}

std::string opt_in(const Node& n, size_t i) {
  return n.inputs.size() > i ? n.inputs[i] : std::string();
}

const Node* producer_node(const Graph& g, const std::string& v, const char* op) {
  const int p = g.producer(v);
  return p >= 0 && g.nodes[p].op == op && g.nodes[p].domain.empty() ? &g.nodes[p] : nullptr;
}

const Node* sole_consumer(const Graph& g, const std::string& v, const char* op) {
  const auto users = g.consumers(v);
  for (const auto& out : g.outputs)
    if (out == v) return nullptr;
  if (users.size() != 1 || g.nodes[users[0]].op != op) return nullptr;
  return &g.nodes[users[0]];
}

std::optional<QIn> dequantized(const Graph& g, const std::string& v) {
  const Node* dq = producer_node(g, v, "DequantizeLinear");
  if (!dq || dq->inputs.size() < 2) return std::nullopt;
  const DType t = g.has_value(dq->inputs[0]) ? g.value(dq->inputs[0]).dtype : DType::kUndefined;
  if (t != DType::kInt8 && t != DType::kUint8) return std::nullopt;
  auto q = quant_from(g, dq->inputs[1], opt_in(*dq, 2), t);
  if (!q || !per_tensor(*q)) return std::nullopt;
  return QIn{dq->inputs[0], *q, dq};
}

std::optional<QOut> quantized_by(const Graph& g, const std::string& v) {
  const Node* q = sole_consumer(g, v, "QuantizeLinear");
  if (!q || q->inputs.size() < 2) return std::nullopt;
  auto quant = quant_from(g, q->inputs[1], opt_in(*q, 2), DType::kUint8);
  if (!quant || !per_tensor(*quant)) return std::nullopt;
  return QOut{q->outputs[0], *quant, q};
}

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
  // Clip's bounds are scalars: one of another size is not fused.
  if (act.inputs.size() > 1 && !act.inputs[1].empty()) {
    const auto b = single_value(g, act.inputs[1]);
    if (!b) return std::nullopt;
    lo = static_cast<float>(*b);
  }
  if (act.inputs.size() > 2 && !act.inputs[2].empty()) {
    const auto b = single_value(g, act.inputs[2]);
    if (!b) return std::nullopt;
    hi = static_cast<float>(*b);
  }
  if (std::isfinite(lo)) a.lo = q(lo);
  if (std::isfinite(hi)) a.hi = q(hi);
  return a;
}

std::vector<int64_t> requant_table(const Quant& in, const Quant& out) {
  std::vector<int64_t> t(256);
  for (int32_t code = isa::qmin(in.is_signed); code <= isa::qmax(in.is_signed); ++code) {
    const float real = isa::dequantize_linear(code, in.scales[0], in.zero_points[0]);
    const int32_t y = isa::quantize_linear(real, out.scales[0], out.zero_points[0], out.is_signed);
    t[static_cast<uint8_t>(code)] = static_cast<uint8_t>(y);
  }
  return t;
}

std::vector<int64_t> identity_table() {
  std::vector<int64_t> t(256);
  for (int i = 0; i < 256; ++i) t[i] = i;
  return t;
}

void set_output_attrs(Node& n, const Quant& y) {
  update_attrs<OutputQuant>(n, [&](OutputQuant& o) {
    o.y_zp = y.zero_points[0];
    o.y_signed = y.is_signed;
  });
}

Node npu_node(const std::string& op, const Node& original) {
  Node n;
  n.name = original.name.empty() ? original.outputs.at(0) : original.name;
  n.op = op;
  n.domain = kNpuDomain;
  return n;
}

std::optional<int32_t> integer_zero_point(const Graph& g, const Node& n, size_t i) {
  const std::string z = opt_in(n, i);
  if (z.empty()) return 0;
  if (!g.is_constant(z)) return std::nullopt;
  const Tensor& t = *g.value(z).constant;
  if (t.size() == 0) return std::nullopt;
  for (int64_t k = 1; k < t.size(); ++k)
    if (t.at(k) != t.at(0)) return std::nullopt;
  return exact_int32(t.at(0));
}

Shape kernel_dims(const Shape& w) {
  return w.size() > 2 ? Shape(w.begin() + 2, w.end()) : Shape{};
}

std::vector<int64_t> resolved_pads(const Graph& g, const Node& n, const std::string& x,
                                   const Shape& kernel, std::string& why) {
  const std::string mode = n.s("auto_pad", "NOTSET");
  if (mode == "NOTSET") return {};
  const Value& xv = g.value(x);
  const size_t r = kernel.size();
  if (!xv.rank_known || xv.shape.size() != r + 2) {
    why = "auto_pad with an unknown input shape";
    return {};
  }
  const auto s = n.ints("strides", std::vector<int64_t>(r, 1));
  const auto d = n.ints("dilations", std::vector<int64_t>(r, 1));
  std::vector<int64_t> pads(2 * r, 0);
  if (mode == "VALID") return pads;
  if (mode != "SAME_UPPER" && mode != "SAME_LOWER") {
    why = "auto_pad " + mode + " is not supported";
    return {};
  }
  for (size_t a = 0; a < r; ++a) {
    const int64_t in = xv.shape[2 + a], out = (in + s[a] - 1) / s[a];
    const int64_t total = std::max<int64_t>(0, (out - 1) * s[a] + (kernel[a] - 1) * d[a] + 1 - in);
    pads[a] = mode == "SAME_UPPER" ? total / 2 : total - total / 2;
    pads[r + a] = total - pads[a];
  }
  return pads;
}

std::optional<UnaryQdq> unary_qdq_rewrite(const Graph& g, const Node& n, const std::string& op,
                                          std::string& why) {
  const auto x = dequantized(g, n.inputs.at(0));
  const auto y = quantized_by(g, n.outputs.at(0));
  if (!x || !y) {
    why = "not between per-tensor DequantizeLinear and QuantizeLinear";
    return std::nullopt;
  }
  UnaryQdq m{{}, x->quant, y->quant};
  m.rewrite.node = npu_node(op, n);
  m.rewrite.node.inputs = {x->q};
  m.rewrite.node.outputs = {y->y};
  m.rewrite.anchor = n.outputs[0];
  m.rewrite.absorbed = {y->q->outputs[0]};
  set_output_attrs(m.rewrite.node, y->quant);
  return m;
}

}  // namespace npusim::compiler::lowering
