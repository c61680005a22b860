// QDQ Gemm / MatMul with constant weights -> QConv 1x1 on a 2-D input
// (npu_ops.hpp), so classifier heads run on the matrix unit:
//   DequantizeLinear(x [M, K]) -> Gemm(w, C) | MatMul(w) [-> Add(bias)]
//       [-> Relu|Clip] -> QuantizeLinear
// and QLinearMatMul(a [M, K], b constant [K, N]) the same way; MatMulInteger
// too, its output the int32 sums. A MatMul
// input of higher rank [..., M, K] is reshaped to [rows, K] before
// (QPermute) and the result back to [..., M, N] after; Gemm's transA
// transposes the input first (QPermute).
#include <cmath>

#include "npu_ops/conv.hpp"
#include "npu_ops/permute.hpp"
#include "qdq_match.hpp"

namespace npusim::compiler::lowering {
namespace {

// The weights as QConv's [N][K][1][1], from [K][N] or (transB) [N][K].
Tensor conv_weights(const Tensor& w, bool trans_b) {
  const int64_t n = trans_b ? w.shape()[0] : w.shape()[1];
  const int64_t k = trans_b ? w.shape()[1] : w.shape()[0];
  Tensor out(w.dtype(), {n, k, 1, 1});
  for (int64_t o = 0; o < n; ++o)
    for (int64_t i = 0; i < k; ++i) out.raw()[o * k + i] = w.raw()[trans_b ? o * k + i : i * n + o];
  return out;
}

// Gemm attributes the 1x1 convolution can express: alpha scales the weights'
// scale (so the requantisation multiplier), beta the bias; transA transposes
// the input first.
std::string gemm_attrs_unsupported(const Node& n) {
  if (n.op != "Gemm") return "";
  const float alpha = n.f("alpha", 1.0f), beta = n.f("beta", 1.0f);
  if (!(alpha > 0) || !std::isfinite(alpha))
    return "alpha " + std::to_string(alpha) + " is not a positive number";
  if (!std::isfinite(beta)) return "beta is not finite";
  return "";
}

// Gemm's C as a bias: one value, or one per output column ([N] or [1, N]).
bool bias_per_column(const Shape& c, int64_t cols) {
  const int64_t size = element_count(c);
  if (size == 1) return true;
  return size == cols && (c.size() == 1 || (c.size() == 2 && c[0] == 1));
}

struct Weights {
  std::string dq_out;
  Quant quant;
  Tensor values;  // as stored, [K][N] or [N][K]
};

// Constant int8/uint8 weights behind a DequantizeLinear, per tensor or per
// output column (axis of N), with one zero point.
std::optional<Weights> weights(const Graph& g, const std::string& v, bool trans_b,
                               std::string& why) {
  const Node* dq = producer_node(g, v, "DequantizeLinear");
  if (!dq || !g.is_constant(dq->inputs[0])) {
    why = "weights are not a constant DequantizeLinear";
    return std::nullopt;
  }
  const Tensor& w = *g.value(dq->inputs[0]).constant;
  auto q = quant_from(g, dq->inputs[1], opt_in(*dq, 2), w.dtype());
  if (!q || w.shape().size() != 2 || (w.dtype() != DType::kInt8 && w.dtype() != DType::kUint8)) {
    why = "weights are not 2-D 8-bit with constant quantisation";
    return std::nullopt;
  }
  const int64_t n_axis = trans_b ? 0 : 1;
  if (q->scales.size() != 1 &&
      (q->scales.size() != size_t(w.shape()[n_axis]) || dq->i("axis", 1) != n_axis)) {
    why = "weights are quantised along the reduction axis";
    return std::nullopt;
  }
  for (int32_t z : q->zero_points)
    if (z != q->zero_points[0]) {
      why = "weights have different zero points per column";
      return std::nullopt;
    }
  return Weights{v, *q, w};
}

// A QPermute reshaping `in` (of shape `from`) into `out` of shape `to`.
Node reshape_node(const Node& original, const std::string& in, const std::string& out,
                  const Shape& from, const Shape& to, const Quant& q) {
  Node r = npu_node("QPermute", original);
  r.name = out;
  r.inputs = {in};
  r.outputs = {out};
  QPermuteAttrs a;
  a.perm.resize(from.size());
  for (size_t k = 0; k < a.perm.size(); ++k) a.perm[k] = int64_t(k);
  a.out_shape = to;
  write_attrs(r, a);
  set_output_attrs(r, q);
  return r;
}

Value value_of(const std::string& name, DType dtype, const Shape& shape) {
  Value v;
  v.name = name;
  v.dtype = dtype;
  v.shape = shape;
  v.rank_known = true;
  return v;
}

// Transposes Gemm's input (transA) from [K, M] to [M, K] ahead of the QConv.
Rewrite transpose_input(const Graph& g, const Node& n, const ConvMatch& m, Rewrite r) {
  const Shape& xs = g.value(n.inputs[0]).shape;
  const std::string xt = m.y + "/a_transposed";
  Node t = reshape_node(n, m.x, xt, xs, {xs[1], xs[0]}, m.xq);
  update_attrs<QPermuteAttrs>(t, [](QPermuteAttrs& a) { a.perm = {1, 0}; });
  r.before.push_back(std::move(t));
  r.values.push_back(value_of(xt, m.xq.is_signed ? DType::kInt8 : DType::kUint8, {xs[1], xs[0]}));
  r.node.inputs[0] = xt;
  return r;
}

// Wraps a 2-D QConv rewrite of a MatMul whose input `x` has rank > 2: the
// rows are reshaped to [rows, K] first and the result back after.
Rewrite wrap_rank(const Graph& g, const Node& n, const ConvMatch& m, Rewrite r) {
  const Shape& xs = g.value(n.inputs[0]).shape;
  const int64_t k = xs.back(), rows = element_count(xs) / k, cols = m.w_shape[0];
  Shape ys = xs;
  ys.back() = cols;
  const DType xt = m.xq.is_signed ? DType::kInt8 : DType::kUint8;
  const DType yt = m.yq.is_signed ? DType::kInt8 : DType::kUint8;
  const std::string x2 = m.y + "/rows", y2 = m.y + "/rows_out";
  r.before.push_back(reshape_node(n, m.x, x2, xs, {rows, k}, m.xq));
  r.values.push_back(value_of(x2, xt, {rows, k}));
  r.node.inputs[0] = x2;
  r.node.outputs[0] = y2;
  r.values.push_back(value_of(y2, yt, {rows, cols}));
  r.before.push_back(r.node);
  r.node = reshape_node(n, y2, m.y, {rows, cols}, ys, m.yq);
  return r;
}

// QLinearMatMul / MatMulInteger n(a [M, K], b constant [K, N]) as a 1x1 QConv.
Rewrite matmul_rewrite(const Node& n, const Tensor& b, const Quant& aq, const Quant& bq,
                       const Quant& yq) {
  ConvMatch m;
  m.conv = &n;
  const Tensor wt = conv_weights(b, false);
  m.x = n.inputs[0];
  m.y = n.outputs[0];
  m.xq = aq;
  m.wq = bq;
  m.yq = yq;
  m.w = m.y + "/weights";
  m.w_shape = wt.shape();
  Rewrite r = conv_rewrite(m);
  r.constants.emplace_back(m.w, wt);
  return r;
}

// MatMul's bias: a constant added right after it.
const Node* bias_add(const Graph& g, const Node& mm, std::string& bias) {
  const Node* add = sole_consumer(g, mm.outputs[0], "Add");
  if (!add) return nullptr;
  bias = add->inputs[0] == mm.outputs[0] ? add->inputs[1] : add->inputs[0];
  const bool constant = g.is_constant(bias) || producer_node(g, bias, "DequantizeLinear");
  return constant ? add : nullptr;
}

}  // namespace

std::optional<Rewrite> match_gemm(const Graph& g, const Node& n, Notes& notes) {
  auto reject = [&](const std::string& why) {
    notes[n.describe()] = why;
    return std::nullopt;
  };
  if (const std::string why = gemm_attrs_unsupported(n); !why.empty()) return reject(why);
  const bool trans_b = n.op == "Gemm" && n.i("transB", 0) != 0;
  const auto x = dequantized(g, n.inputs.at(0));
  if (!x) return reject("input is not a per-tensor DequantizeLinear (float op: runs on the CPU)");
  const Value& xv = g.value(n.inputs[0]);
  if (!xv.rank_known || xv.shape.size() < 2 || (n.op == "Gemm" && xv.shape.size() != 2))
    return reject("only inputs [..., M, K] of known shape run on the NPU");
  std::string why;
  auto w = weights(g, n.inputs.at(1), trans_b, why);
  if (!w) return reject(why);
  ConvMatch m;
  m.conv = &n;
  std::string out = n.outputs[0], bias = opt_in(n, 2);
  if (n.op == "MatMul")
    if (const Node* add = bias_add(g, n, bias)) {
      out = add->outputs[0];
      m.replaced.push_back(out);
    }
  const Node* act = nullptr;
  if ((act = sole_consumer(g, out, "Relu")) || (act = sole_consumer(g, out, "Clip")))
    out = act->outputs[0];
  const auto y = quantized_by(g, out);
  if (!y) return reject("output not followed by a per-tensor QuantizeLinear (runs on the CPU)");
  const Tensor wt = conv_weights(w->values, trans_b);
  m.x = x->q;
  m.y = y->y;
  m.xq = x->quant;
  m.wq = w->quant;
  for (float& s : m.wq.scales) s *= n.f("alpha", 1.0f);  // MatMul has no alpha: 1
  m.yq = y->quant;
  m.w = y->y + "/weights";
  m.w_shape = wt.shape();
  if (act) {
    const auto a = fused_activation(g, *act, y->quant);
    if (!a) return reject(act->describe() + " has non-constant bounds");
    m.act = *a;
    m.replaced.push_back(act->outputs[0]);
  }
  m.replaced.push_back(y->q->outputs[0]);
  if (!bias.empty()) {
    const Node* dq = producer_node(g, bias, "DequantizeLinear");
    const std::string& stored = dq ? dq->inputs[0] : bias;
    if (!g.is_constant(stored) || !bias_per_column(g.value(stored).shape, wt.shape()[0]))
      return reject("bias is not a constant of one value, or one per output column");
    m.bias = accumulator_bias(g, bias, m.xq, m.wq, wt.shape()[0], why, n.f("beta", 1.0f));
    if (!m.bias) return reject(why);
  }
  Rewrite r = conv_rewrite(m);
  r.constants.emplace_back(m.w, wt);
  if (n.op == "Gemm" && n.i("transA", 0) != 0) return transpose_input(g, n, m, std::move(r));
  return xv.shape.size() > 2 ? wrap_rank(g, n, m, std::move(r)) : r;
}

// QLinearMatMul(a, a_scale, a_zp, b, b_scale, b_zp, y_scale, y_zp) with b constant.
std::optional<Rewrite> match_qlinear_matmul(const Graph& g, const Node& n, Notes& notes) {
  auto reject = [&](const std::string& why) {
    notes[n.describe()] = why;
    return std::nullopt;
  };
  if (n.inputs.size() != 8) return reject("QLinearMatMul needs 8 inputs");
  const Value& av = g.value(n.inputs[0]);
  if (!av.rank_known || av.shape.size() != 2)
    return reject("only 2-D inputs [M, K] run on the NPU");
  if (!g.is_constant(n.inputs[3])) return reject("b is not constant (weights)");
  const Tensor& b = *g.value(n.inputs[3]).constant;
  auto aq = quant_from(g, n.inputs[1], n.inputs[2], av.dtype);
  auto bq = quant_from(g, n.inputs[4], n.inputs[5], b.dtype());
  auto yq = quant_from(g, n.inputs[6], n.inputs[7], g.value(n.outputs[0]).dtype);
  if (!aq || !bq || !yq || !per_tensor(*aq) || !per_tensor(*yq) || b.shape().size() != 2)
    return reject("quantisation parameters are not constant, or b is not 2-D");
  if (bq->scales.size() != 1 && bq->scales.size() != size_t(b.shape()[1]))
    return reject("b is quantised along the reduction axis");
  for (int32_t z : bq->zero_points)
    if (z != bq->zero_points[0]) return reject("b has different zero points per column");
  return matmul_rewrite(n, b, *aq, *bq, *yq);
}

// MatMulInteger(a [M, K], b constant [K, N], a_zp, b_zp): the product of the
// codes, its int32 sums the output (QConv with int32_out).
std::optional<Rewrite> match_matmul_integer(const Graph& g, const Node& n, Notes& notes) {
  auto reject = [&](const std::string& why) {
    notes[n.describe()] = why;
    return std::nullopt;
  };
  const Value& av = g.value(n.inputs.at(0));
  if (!av.rank_known || av.shape.size() != 2)
    return reject("only 2-D inputs [M, K] run on the NPU");
  if (!g.is_constant(n.inputs.at(1)) || g.value(n.inputs[1]).shape.size() != 2)
    return reject("b is not a constant 2-D matrix (weights)");
  const auto az = integer_zero_point(g, n, 2), bz = integer_zero_point(g, n, 3);
  if (!az || !bz) return reject("zero points are not constants of one value each");
  const Tensor& b = *g.value(n.inputs[1]).constant;
  Rewrite r =
      matmul_rewrite(n, b, Quant{{1.0f}, {*az}, av.dtype == DType::kInt8},
                     Quant{{1.0f}, {*bz}, b.dtype() == DType::kInt8}, Quant{{1.0f}, {0}, true});
  update_attrs<QConvAttrs>(r.node, [](QConvAttrs& a) { a.int32_out = true; });
  return r;
}

}  // namespace npusim::compiler::lowering
