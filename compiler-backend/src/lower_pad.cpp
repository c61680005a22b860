// QDQ constant padding -> QPad (npu_ops.hpp):
//   DequantizeLinear -> Pad(mode=constant) -> QuantizeLinear
// The padding value is QuantizeLinear of the constant (0 by default) in the
// output's quantisation; the interior goes through a table when the
// quantisation changes, so the result equals the float graph exactly.
#include "npu_ops/pad.hpp"
#include "npusim/isa/int8.hpp"
#include "qdq_match.hpp"

namespace npusim::compiler::lowering {

std::optional<Rewrite> match_pad(const Graph& g, const Node& n, Notes& notes) {
  auto reject = [&](const std::string& why) {
    notes[n.describe()] = why;
    return std::nullopt;
  };
  std::string why;
  auto m = unary_qdq_rewrite(g, n, "QPad", why);
  if (!m) return reject(why);
  if (n.s("mode", "constant") != "constant")
    return reject("edge and reflect padding run on the CPU");
  if (n.inputs.size() < 2 || !g.is_constant(n.inputs[1]))
    return reject("pads are not constant (or Pad before opset 11)");
  if (!opt_in(n, 3).empty()) return reject("Pad with axes is not supported");
  const Value& xv = g.value(n.inputs[0]);
  if (!xv.rank_known) return reject("shapes unknown");
  const Tensor& p = *g.value(n.inputs[1]).constant;
  std::vector<int64_t> pads;
  for (int64_t i = 0; i < p.size(); ++i) pads.push_back(p.int_at(i));
  if (pads.size() != 2 * xv.shape.size()) return reject("pads do not match the input's rank");
  for (const int64_t v : pads)
    if (v < 0) return reject("negative pads (cropping) run on the CPU");
  float value = 0.0f;
  const std::string c = opt_in(n, 2);
  if (!c.empty()) {
    if (!g.is_constant(c)) return reject("constant_value is not constant");
    if (g.value(c).constant->size() > 0) value = static_cast<float>(g.value(c).constant->at(0));
  }
  Rewrite& r = m->rewrite;
  update_attrs<QPadAttrs>(r.node, [&](QPadAttrs& a) {
    a.pads = pads;
    a.pad_code = isa::quantize_linear(value, m->y.scales[0], m->y.zero_points[0], m->y.is_signed);
    if (!same_quant(m->x, m->y)) a.table.table = requant_table(m->x, m->y);
  });
  return r;
}

}  // namespace npusim::compiler::lowering
