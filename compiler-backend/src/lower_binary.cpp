// QDQ Add / Sub / Mul of two quantised tensors -> QAdd / QMul (npu_ops.hpp):
//   DequantizeLinear(a), DequantizeLinear(b) -> Add|Sub|Mul [-> Relu|Clip] -> QuantizeLinear
// Either input may be a constant (a DequantizeLinear of an initializer).
// Sub is QAdd with b's multiplier negated (the fields are signed).
#include <algorithm>
#include <stdexcept>

#include "npu_ops/binary.hpp"
#include "npusim/isa/int8.hpp"
#include "qdq_match.hpp"

namespace npusim::compiler::lowering {
namespace {

void set_multiplier(int64_t& mult, int64_t& shift, double scale) {
  const isa::FixedMultiplier m = isa::quantize_multiplier(scale);
  mult = m.mult;
  shift = m.shift;
}

// Multipliers as docs/int8.md chooses them: for add, both inputs go to the
// common scale t = 2 max(s_a, s_b) (multipliers <= 1/2, so 20 bits of
// headroom cannot overflow int32), and t / 2^20 is requantised to the output.
void set_scales(QBinaryAttrs& q, bool mul, float sa, float sb, float sy, bool subtract) {
  if (mul) return set_multiplier(q.mult, q.shift, double(sa) * sb / sy);
  const double t = 2.0 * std::max(sa, sb);
  set_multiplier(q.mult_a, q.shift_a, sa / t);
  set_multiplier(q.mult_b, q.shift_b, sb / t);
  if (subtract) q.mult_b = -q.mult_b;
  set_multiplier(q.mult, q.shift, t / (double(1 << 20) * sy));
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
  QBinaryAttrs q;
  q.a_zp = a->quant.zero_points[0];
  q.b_zp = b->quant.zero_points[0];
  q.out.y_zp = y->quant.zero_points[0];
  q.out.y_signed = y->quant.is_signed;
  q.out.act_lo = clamp.lo;
  q.out.act_hi = clamp.hi;
  try {
    set_scales(q, n.op == "Mul", a->quant.scales[0], b->quant.scales[0], y->quant.scales[0],
               n.op == "Sub");
    write_attrs(r.node, q);
  } catch (const std::invalid_argument& e) {
    return reject(std::string("scales outside the fixed-point multiplier's range: ") + e.what());
  }
  return r;
}

}  // namespace npusim::compiler::lowering
