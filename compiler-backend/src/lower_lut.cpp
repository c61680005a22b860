// Univariate functions of one quantised tensor -> QLut (npu_ops.hpp):
//   DequantizeLinear(x) -> f -> QuantizeLinear
// where f is any chain of element-wise float ops whose only non-constant
// input is x (Sigmoid, Tanh, HardSwish, LeakyRelu, Relu, Clip, SiLU as
// x * Sigmoid(x), ...; constants must be scalars), or nothing at all (a pure
// requantisation). The 256-entry table is f evaluated by the reference
// executor on every input code, so the NPU matches the float graph exactly.
// Clip of an 8-bit integer tensor is a table of the clamp.
#include <algorithm>
#include <set>

#include "npu_ops/lut.hpp"
#include "npusim/compiler/executor.hpp"
#include "npusim/isa/int8.hpp"
#include "qdq_match.hpp"

namespace npusim::compiler::lowering {
namespace {

bool elementwise(const Node& n) {
  static const std::set<std::string> ops = {
      "Relu", "Clip",     "Sigmoid", "Tanh", "HardSigmoid", "HardSwish",  "LeakyRelu",
      "Elu",  "Selu",     "Celu",    "Mish", "Softplus",    "Softsign",   "ThresholdedRelu",
      "Gelu", "PRelu",    "Exp",     "Log",  "Sqrt",        "Reciprocal", "Neg",
      "Abs",  "Erf",      "Sin",     "Cos",  "Floor",       "Ceil",       "Round",
      "Sign", "Identity", "Add",     "Sub",  "Mul",         "Div",        "Pow",
      "Min",  "Max"};
  return n.domain.empty() && ops.count(n.op) && executor_supports(n.op);
}

// The element-wise nodes computing a function of `x` alone, grown from the
// consumer `start` of x; in graph order.
struct Closure {
  std::vector<int> nodes;
  std::set<std::string> values;  // x and every output of the nodes
};

bool reads_only(const Graph& g, const Node& n, const std::set<std::string>& values) {
  for (const auto& in : n.inputs)
    if (!in.empty() && !values.count(in) &&
        !(g.is_constant(in) && g.value(in).constant->size() == 1))
      return false;
  return true;
}

Closure grow(const Graph& g, const std::string& x, int start) {
  Closure c;
  c.values.insert(x);
  std::set<int> taken;
  auto fits = [&](int n) {
    return !taken.count(n) && elementwise(g.nodes[n]) && reads_only(g, g.nodes[n], c.values);
  };
  auto take = [&](int n) {
    taken.insert(n);
    for (const auto& out : g.nodes[n].outputs) c.values.insert(out);
  };
  if (!fits(start)) return c;
  take(start);
  // Other consumers of x join only through the closure (SiLU's Mul reads x
  // and Sigmoid(x)): two separate activations of x stay two tables.
  for (bool grew = true; grew;) {
    grew = false;
    for (const int n : std::set<int>(taken))
      for (const auto& out : g.nodes[n].outputs)
        for (const int user : g.consumers(out))
          if (fits(user)) {
            take(user);
            grew = true;
          }
  }
  c.nodes.assign(taken.begin(), taken.end());
  return c;
}

// The one value of the closure read outside it (by nodes or as a graph output).
std::optional<std::string> exit_value(const Graph& g, const Closure& c, std::string& why) {
  std::set<std::string> exits;
  for (const int n : c.nodes)
    for (const auto& out : g.nodes[n].outputs) {
      for (const int user : g.consumers(out))
        if (std::find(c.nodes.begin(), c.nodes.end(), user) == c.nodes.end()) exits.insert(out);
      if (std::find(g.outputs.begin(), g.outputs.end(), out) != g.outputs.end()) exits.insert(out);
    }
  if (exits.size() != 1) {
    why = "intermediate float values are used outside the activation";
    return std::nullopt;
  }
  return *exits.begin();
}

// f on every input code: table[byte] = Q_y(f(DQ_x(code))), with the executor's float ops.
std::vector<int64_t> evaluate(const Graph& g, const Closure& c, const std::string& x,
                              const std::string& fx, const Quant& xq, const Quant& yq) {
  Graph sub;
  sub.opset = g.opset;
  sub.inputs = {x};
  sub.outputs = {fx};
  for (const int n : c.nodes) {
    sub.nodes.push_back(g.nodes[n]);
    for (const auto& in : g.nodes[n].inputs)
      if (!in.empty() && g.is_constant(in)) sub.values[in] = g.value(in);
  }
  std::vector<float> codes(256);
  for (int i = 0; i < 256; ++i) {
    const int32_t q = xq.is_signed ? int32_t(int8_t(i)) : i;
    codes[i] = isa::dequantize_linear(q, xq.scales[0], xq.zero_points[0]);
  }
  ExecOptions options;
  options.check_value_info = false;
  const TensorMap out = execute(sub, {{x, Tensor::from(DType::kFloat32, {256}, codes)}}, options);
  const Tensor& y = out.at(fx);
  std::vector<int64_t> table(256);
  for (int i = 0; i < 256; ++i) {
    const float v = static_cast<float>(y.at(i));
    table[i] = static_cast<uint8_t>(
        isa::quantize_linear(v, yq.scales[0], yq.zero_points[0], yq.is_signed));
  }
  return table;
}

std::optional<Rewrite> lut_rewrite(const Graph& g, const QIn& x, const Closure& c,
                                   const std::string& fx, const QOut& y) {
  Rewrite r;
  r.node = npu_node("QLut", c.nodes.empty() ? *y.q : g.nodes[c.nodes.front()]);
  r.node.inputs = {x.q};
  r.node.outputs = {y.y};
  QLutAttrs a;
  a.lut.table = c.nodes.empty() ? requant_table(x.quant, y.quant)
                                : evaluate(g, c, x.dq->outputs[0], fx, x.quant, y.quant);
  write_attrs(r.node, a);
  set_output_attrs(r.node, y.quant);
  r.anchor = y.q->outputs[0];
  for (const int n : c.nodes) r.absorbed.push_back(g.nodes[n].outputs[0]);
  return r;
}

}  // namespace

std::optional<Rewrite> match_lut(const Graph& g, const Node& dq, Notes& notes) {
  const std::string& v = dq.outputs[0];
  const auto x = dequantized(g, v);
  if (!x || g.is_constant(x->q)) return std::nullopt;
  for (const int user : g.consumers(v)) {
    const Node& first = g.nodes[user];
    if (first.op == "QuantizeLinear" && first.domain.empty()) {  // requantisation only
      const auto y = quantized_by(g, v);
      if (y) return lut_rewrite(g, *x, Closure{{}, {v}}, v, *y);
      continue;
    }
    const Closure c = grow(g, v, user);
    if (c.nodes.empty()) continue;
    std::string why;
    const auto fx = exit_value(g, c, why);
    const auto y = fx ? quantized_by(g, *fx) : std::nullopt;
    if (fx && !y) why = "output not followed by a per-tensor QuantizeLinear (runs on the CPU)";
    if (fx && y && g.value(*fx).rank_known && g.value(*fx).shape != g.value(v).shape)
      why = "a constant broadcasts the output to another shape";
    if (why.empty()) {
      try {
        return lut_rewrite(g, *x, c, *fx, *y);
      } catch (const CompileError& e) {
        why = std::string("evaluating the table failed: ") + e.what();
      }
    }
    for (const int n : c.nodes) notes[g.nodes[n].describe()] = why;
  }
  return std::nullopt;
}

// Clip of an 8-bit integer tensor (no quantisation around it) with constant
// bounds: the clamp itself is the table, codes in and codes out.
std::optional<Rewrite> match_integer_clip(const Graph& g, const Node& n, Notes& notes) {
  const Value& x = g.value(n.inputs.at(0));
  if (x.dtype != DType::kInt8 && x.dtype != DType::kUint8)
    return std::nullopt;  // float: a DQ chain
  const bool is_signed = x.dtype == DType::kInt8;
  int32_t lo = isa::qmin(is_signed), hi = isa::qmax(is_signed);
  for (size_t i = 1; i < n.inputs.size() && i < 3; ++i) {
    if (n.inputs[i].empty()) continue;
    const auto value = single_value(g, n.inputs[i]);
    if (!value) {
      notes[n.describe()] = "bounds are not constant";
      return std::nullopt;
    }
    const auto bound = exact_int32(*value);
    if (!bound) {
      notes[n.describe()] = "bounds are not integers in int32's range";
      return std::nullopt;
    }
    (i == 1 ? lo : hi) = *bound;
  }
  Rewrite r;
  r.node = npu_node("QLut", n);
  r.node.inputs = {n.inputs[0]};
  r.node.outputs = {n.outputs.at(0)};
  std::vector<int64_t> table(256);
  for (int32_t code = isa::qmin(is_signed); code <= isa::qmax(is_signed); ++code)
    table[uint8_t(code)] = uint8_t(std::min(std::max(code, lo), hi));
  QLutAttrs a;
  a.lut.table = table;
  write_attrs(r.node, a);
  set_output_attrs(r.node, Quant{{1.0f}, {0}, is_signed});
  r.anchor = n.outputs[0];
  return r;
}

}  // namespace npusim::compiler::lowering
