// QDQ data movement -> QPermute (npu_ops.hpp):
//   DequantizeLinear -> Slice | Transpose | Reshape | Flatten | Squeeze | Unsqueeze
//   -> QuantizeLinear
// Each is y = reshape(transpose(slice(x), perm), shape of y): Transpose gives
// perm, Slice the slice (constant starts, ends, axes, positive steps), the
// others the identity. The shapes must be static (shape inference gave
// them); a quantisation change on the way is a table.
#include <algorithm>
#include <numeric>

#include "npu_ops/permute.hpp"
#include "qdq_match.hpp"

namespace npusim::compiler::lowering {
namespace {

std::vector<int64_t> ints_of(const Graph& g, const std::string& v) {
  std::vector<int64_t> out;
  const Tensor& t = *g.value(v).constant;
  for (int64_t i = 0; i < t.size(); ++i) out.push_back(t.int_at(i));
  return out;
}

// Slice's starts and steps per axis (ONNX clamping); why it cannot run, or "".
std::string slice_attrs(const Graph& g, const Node& n, const Shape& in, const Shape& out, Node& q) {
  for (size_t i = 1; i < n.inputs.size(); ++i)
    if (!n.inputs[i].empty() && !g.is_constant(n.inputs[i]))
      return "starts, ends, axes or steps are not constant";
  if (n.inputs.size() < 3) return "Slice before opset 10 is not supported";
  const std::vector<int64_t> starts = ints_of(g, n.inputs[1]);
  std::vector<int64_t> axes, steps(starts.size(), 1);
  if (!opt_in(n, 3).empty()) axes = ints_of(g, n.inputs[3]);
  if (!opt_in(n, 4).empty()) steps = ints_of(g, n.inputs[4]);
  if (axes.empty())
    for (size_t i = 0; i < starts.size(); ++i) axes.push_back(int64_t(i));
  const int64_t rank = int64_t(in.size());
  std::vector<int64_t> start(in.size(), 0), step(in.size(), 1);
  for (size_t i = 0; i < axes.size() && i < steps.size(); ++i) {
    const int64_t a = axes[i] < 0 ? axes[i] + rank : axes[i];
    if (a < 0 || a >= rank) return "axis out of range";
    if (steps[i] <= 0) return "negative steps run on the CPU";
    const int64_t b = starts[i] < 0 ? starts[i] + in[a] : starts[i];
    start[a] = std::clamp<int64_t>(b, 0, in[a]);
    step[a] = steps[i];
  }
  update_attrs<QPermuteAttrs>(q, [&](QPermuteAttrs& a) {
    a.starts = start;
    a.steps = step;
    a.counts = out;
  });
  return "";
}

}  // namespace

std::optional<Rewrite> match_permute(const Graph& g, const Node& n, Notes& notes) {
  auto reject = [&](const std::string& why) {
    notes[n.describe()] = why;
    return std::nullopt;
  };
  std::string why;
  auto m = unary_qdq_rewrite(g, n, "QPermute", why);
  if (!m) return reject(why);
  const Value& xv = g.value(n.inputs[0]);
  const Value& yv = g.value(n.outputs[0]);
  if (!xv.rank_known || !yv.rank_known) return reject("shapes unknown");
  std::vector<int64_t> perm(xv.shape.size());
  std::iota(perm.begin(), perm.end(), 0);
  if (n.op == "Transpose") {
    if (n.has("perm"))
      perm = n.ints("perm");
    else
      std::reverse(perm.begin(), perm.end());  // ONNX default: reverse the axes
    for (auto& p : perm) p = p < 0 ? p + int64_t(perm.size()) : p;
  }
  if (perm.size() != xv.shape.size()) return reject("perm does not match the input's rank");
  Rewrite& r = m->rewrite;
  if (n.op == "Slice") {
    why = slice_attrs(g, n, xv.shape, yv.shape, r.node);
    if (!why.empty()) return reject(why);
  }
  update_attrs<QPermuteAttrs>(r.node, [&](QPermuteAttrs& a) {
    a.perm = perm;
    a.out_shape = yv.shape;
    if (!same_quant(m->x, m->y)) a.table.table = requant_table(m->x, m->y);
  });
  return r;
}

}  // namespace npusim::compiler::lowering
