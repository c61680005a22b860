// QDQ data movement -> QPermute (npu_ops.hpp):
//   DequantizeLinear -> Transpose | Reshape | Flatten | Squeeze | Unsqueeze -> QuantizeLinear
// Each is y = reshape(transpose(x, perm), shape of y): Transpose gives perm,
// the others the identity. The shapes must be static (shape inference gave
// them); a quantisation change on the way is a table.
#include <algorithm>
#include <numeric>

#include "qdq_match.hpp"

namespace npusim::compiler::lowering {

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
  r.node.attrs["perm"] = perm;
  r.node.attrs["out_shape"] = yv.shape;
  if (!same_quant(m->x, m->y)) r.node.attrs["table"] = requant_table(m->x, m->y);
  return r;
}

}  // namespace npusim::compiler::lowering
