// QAdd / QMul: elementwise Add (Sub) and Mul of two 8-bit tensors with numpy
// broadcasting, requantised with a fused clamp.
// The op's attributes (what lowering writes on the node) and its golden
// function: the reference executor's semantics on int8 codes, written as
// plain loops over ONNX layouts (NCHW), independently of the device's kernels.
// Its lowering and code generation: codegen/binary_codegen.cpp and the lower_*.cpp
// files its register_compiler_binary names (docs/compiler.md "Adding an NPU op").
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "../npu_op.hpp"

namespace npusim::compiler {

// QAdd: y = clamp(y_zp + requantize(requantize((a-a_zp)*2^20, mult_a, shift_a)
//                 + requantize((b-b_zp)*2^20, mult_b, shift_b), mult, shift)).
// QMul: y = clamp(y_zp + requantize((a-a_zp)(b-b_zp), mult, shift)); mult_a/b unused.
// Inputs of one 8-bit type, numpy broadcasting.
struct QBinaryAttrs {
  int64_t a_zp = 0, b_zp = 0;
  int64_t mult_a = 0, shift_a = 0, mult_b = 0, shift_b = 0;
  int64_t mult = 0, shift = 0;
  OutputStage out;

  template <typename V>
  void visit(V&& v) {
    v("a_zp", a_zp), v("b_zp", b_zp), v("mult_a", mult_a), v("shift_a", shift_a);
    v("mult_b", mult_b), v("shift_b", shift_b), v("mult", mult), v("shift", shift);
    out.visit(v);
  }
};

namespace npu_ops {

// QAdd / QMul: numpy broadcasting of a and b; `combine` maps the zero-point
// corrected inputs to the accumulator the output stage requantises.
template <typename Combine>
inline std::vector<Tensor> qbinary(const OpContext& c, const QBinaryAttrs& q, Combine combine) {
  const Tensor& a = c.in(0);
  const Tensor& b = c.in(1);
  require_8bit(a, "input A");
  require_8bit(b, "input B");
  if (a.dtype() != b.dtype()) fail("inputs A and B must have the same 8-bit type");
  const Shape out = broadcast_shapes(a.shape(), b.shape());
  const int32_t za = int32_t(q.a_zp), zb = int32_t(q.b_zp), yz = int32_t(q.out.y_zp);
  const bool ys = q.out.y_signed;
  const int32_t lo = int32_t(q.out.act_lo), hi = int32_t(q.out.act_hi);
  const isa::FixedMultiplier m = multiplier(q.mult, q.shift);
  Tensor y(out_type(ys), out);
  for_each_broadcast<2>(out, {a.shape(), b.shape()},
                        [&](int64_t o, const std::array<int64_t, 2>& i) {
                          const int64_t acc = combine(element(a, i[0]) - za, element(b, i[1]) - zb);
                          set_element(y, o, isa::requantize_to_8bit(acc, m, yz, ys, lo, hi));
                        });
  return {std::move(y)};
}

// TFLite-style add: both inputs rescaled to a common scale with 20 bits of headroom.
inline std::vector<Tensor> qadd(const OpContext& c, const QBinaryAttrs& q) {
  const isa::FixedMultiplier ma = multiplier(q.mult_a, q.shift_a);
  const isa::FixedMultiplier mb = multiplier(q.mult_b, q.shift_b);
  return qbinary(c, q, [&](int64_t a, int64_t b) {
    return isa::requantize(a * (int64_t{1} << 20), ma.mult, ma.shift) +
           isa::requantize(b * (int64_t{1} << 20), mb.mult, mb.shift);
  });
}

inline std::vector<Tensor> qmul(const OpContext& c, const QBinaryAttrs& q) {
  return qbinary(c, q, [](int64_t a, int64_t b) { return a * b; });
}

inline void register_golden_binary(Goldens& goldens) {
  goldens.add<qadd>("QAdd");
  goldens.add<qmul>("QMul");
}

}  // namespace npu_ops
}  // namespace npusim::compiler
