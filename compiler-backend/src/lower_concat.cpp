// QDQ concatenation and its inverse -> QConcat / QSplit (npu_ops.hpp):
//   DequantizeLinear(x0..xn-1) -> Concat -> QuantizeLinear
//   DequantizeLinear(x) -> Split -> QuantizeLinear(y0..yn-1)
// A tensor whose quantisation differs from the other side's is requantised by
// a table on the way (identity tables cost nothing on the device).
#include "npu_ops/concat.hpp"
#include "qdq_match.hpp"

namespace npusim::compiler::lowering {

std::optional<Rewrite> match_concat(const Graph& g, const Node& n, Notes& notes) {
  auto reject = [&](const std::string& why) {
    notes[n.describe()] = why;
    return std::nullopt;
  };
  const auto y = quantized_by(g, n.outputs.at(0));
  if (!y) return reject("output not followed by a per-tensor QuantizeLinear (runs on the CPU)");
  const Value& yv = g.value(n.outputs[0]);
  if (!yv.rank_known || yv.shape.empty()) return reject("output shape unknown");
  std::vector<int64_t> tables;
  std::vector<std::string> inputs;
  for (const auto& in : n.inputs) {
    const auto x = dequantized(g, in);
    if (!x) return reject("input " + in + " is not a per-tensor DequantizeLinear");
    if (!g.value(in).rank_known) return reject("input shape unknown");
    const auto t =
        same_quant(x->quant, y->quant) ? identity_table() : requant_table(x->quant, y->quant);
    tables.insert(tables.end(), t.begin(), t.end());
    inputs.push_back(x->q);
  }
  Rewrite r;
  r.node = npu_node("QConcat", n);
  r.node.inputs = inputs;
  r.node.outputs = {y->y};
  r.anchor = n.outputs[0];
  r.absorbed = {y->q->outputs[0]};
  const int64_t rank = static_cast<int64_t>(yv.shape.size());
  const int64_t axis = n.i("axis", 1);
  QConcatAttrs q;
  q.axis = axis < 0 ? axis + rank : axis;
  q.tables = tables;
  write_attrs(r.node, q);
  set_output_attrs(r.node, y->quant);
  return r;
}

std::optional<Rewrite> match_split(const Graph& g, const Node& n, Notes& notes) {
  auto reject = [&](const std::string& why) {
    notes[n.describe()] = why;
    return std::nullopt;
  };
  const auto x = dequantized(g, n.inputs.at(0));
  if (!x) return reject("input is not a per-tensor DequantizeLinear (runs on the CPU)");
  const Value& xv = g.value(n.inputs[0]);
  if (!xv.rank_known || xv.shape.empty()) return reject("input shape unknown");
  const int64_t rank = static_cast<int64_t>(xv.shape.size());
  int64_t axis = n.i("axis", 0);
  axis = axis < 0 ? axis + rank : axis;
  Rewrite r;
  r.node = npu_node("QSplit", n);
  r.node.inputs = {x->q};
  r.anchor = n.outputs[0];
  std::vector<int64_t> sizes, tables, zps, signs;
  for (const auto& out : n.outputs) {
    const auto y = out.empty() ? std::nullopt : quantized_by(g, out);
    if (!y) return reject("an output is not followed by a per-tensor QuantizeLinear");
    const Value& yv = g.value(out);
    if (!yv.rank_known || yv.shape.size() != xv.shape.size()) return reject("output shape unknown");
    sizes.push_back(yv.shape[axis]);
    const auto t =
        same_quant(x->quant, y->quant) ? identity_table() : requant_table(x->quant, y->quant);
    tables.insert(tables.end(), t.begin(), t.end());
    zps.push_back(y->quant.zero_points[0]);
    signs.push_back(y->quant.is_signed);
    r.node.outputs.push_back(y->y);
    r.absorbed.push_back(y->q->outputs[0]);
  }
  write_attrs(r.node, QSplitAttrs{axis, sizes, tables, zps, signs});
  return r;
}

}  // namespace npusim::compiler::lowering
