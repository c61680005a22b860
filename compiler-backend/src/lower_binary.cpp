// QDQ Add / Sub / Mul of two quantised tensors -> QAdd / QMul (npu_ops.hpp):
//   DequantizeLinear(a), DequantizeLinear(b) -> Add|Sub|Mul [-> Relu|Clip] -> QuantizeLinear
// Either input may be a constant (a DequantizeLinear of an initializer).
// Sub is QAdd with b's multiplier negated (the fields are signed).
#include <algorithm>
#include <stdexcept>

#include "npusim/isa/int8.hpp"
#include "qdq_match.hpp"

namespace npusim::compiler::lowering {
namespace {

void set_multiplier(Node& n, const std::string& suffix, double scale) {
  const isa::FixedMultiplier m = isa::quantize_multiplier(scale);
  n.attrs["mult" + suffix] = int64_t(m.mult);
  n.attrs["shift" + suffix] = int64_t(m.shift);
}

// Multipliers as docs/int8.md chooses them: for add, both inputs go to the
// common scale t = 2 max(s_a, s_b) (multipliers <= 1/2, so 20 bits of
// headroom cannot overflow int32), and t / 2^20 is requantised to the output.
void set_scales(Node& n, float sa, float sb, float sy, bool subtract) {
  if (n.op == "QMul") return set_multiplier(n, "", double(sa) * sb / sy);
  const double t = 2.0 * std::max(sa, sb);
  set_multiplier(n, "_a", sa / t);
  set_multiplier(n, "_b", sb / t);
  if (subtract) n.attrs["mult_b"] = -n.i("mult_b", 0);
  set_multiplier(n, "", t / (double(1 << 20) * sy));
}

}  // namespace

std::optional<Rewrite> match_binary(const Graph& g, const Node& n, Notes& notes) {
  auto reject = [&](const std::string& why) {
    notes[n.describe()] = why;
    return std::nullopt;
  };
  if (n.inputs.size() != 2) return reject("expects two inputs");
  const auto a = dequantized(g, n.inputs[0]), b = dequantized(g, n.inputs[1]);
  if (!a || !b)
    return reject("an input is not a per-tensor DequantizeLinear (float op: runs on the CPU)");
  if (a->quant.is_signed != b->quant.is_signed)
    return reject("inputs are int8 and uint8 (vec." + std::string(n.op == "Mul" ? "mul" : "add") +
                  " takes one input type)");
  std::string out = n.outputs[0];
  const Node* act = nullptr;
  if ((act = sole_consumer(g, out, "Relu")) || (act = sole_consumer(g, out, "Clip")))
    out = act->outputs[0];
  const auto y = quantized_by(g, out);
  if (!y) return reject("output not followed by a per-tensor QuantizeLinear (runs on the CPU)");
  Rewrite r;
  r.node = npu_node(n.op == "Mul" ? "QMul" : "QAdd", n);
  r.node.inputs = {a->q, b->q};
  r.node.outputs = {y->y};
  r.anchor = n.outputs[0];
  r.absorbed = {y->q->outputs[0]};
  Activation clamp;
  if (act) {
    const auto fused = fused_activation(g, *act, y->quant);
    if (!fused) return reject(act->describe() + " has non-constant bounds");
    clamp = *fused;
    r.absorbed.push_back(act->outputs[0]);
  }
  r.node.attrs["a_zp"] = int64_t(a->quant.zero_points[0]);
  r.node.attrs["b_zp"] = int64_t(b->quant.zero_points[0]);
  set_output_attrs(r.node, y->quant);
  r.node.attrs["act_lo"] = int64_t(clamp.lo);
  r.node.attrs["act_hi"] = int64_t(clamp.hi);
  try {
    set_scales(r.node, a->quant.scales[0], b->quant.scales[0], y->quant.scales[0], n.op == "Sub");
  } catch (const std::invalid_argument& e) {
    return reject(std::string("scales outside the fixed-point multiplier's range: ") + e.what());
  }
  return r;
}

}  // namespace npusim::compiler::lowering
