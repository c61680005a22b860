// QConv: a convolution (Conv, QLinearConv, ConvInteger; Gemm and MatMul as 1x1)
// on 8-bit codes with int32 bias and a per-channel requantisation.
// The op's attributes (what lowering writes on the node) and its golden
// function: the reference executor's semantics on int8 codes, written as
// plain loops over ONNX layouts (NCHW), independently of the device's kernels.
// Its lowering and code generation: codegen/conv_schedule.cpp and the lower_*.cpp
// files its register_compiler_conv names (docs/compiler.md "Adding an NPU op").
#pragma once

#include <cstdint>
#include <vector>

#include "../npu_op.hpp"

namespace npusim::compiler {

// QConv: y = clamp(y_zp + requantize(sum (x-x_zp)(w-w_zp) + b, mult[oc], shift[oc])).
// A 2-D x [M, K] with weights [N, K, 1, 1] is a Gemm/MatMul: y [M, N].
struct QConvAttrs {
  static constexpr const char* kOp = "QConv";
  Ints strides, pads, dilations;  // pads: top, left, bottom, right
  int64_t group = 1;
  int64_t x_zp = 0, w_zp = 0;
  bool x_signed = true, w_signed = true;
  Ints mult, shift;  // per output channel: x_scale * w_scale[oc] / y_scale in fixed point
  OutputStage out;
  // ConvInteger / MatMulInteger: y is int32, the wrapped sum itself (no bias,
  // requantisation or clamp; mult and shift are not needed).
  bool int32_out = false;

  template <typename V>
  void visit(V&& v) {
    v("strides", strides), v("pads", pads), v("dilations", dilations), v("group", group);
    v("x_zp", x_zp), v("w_zp", w_zp), v("x_signed", x_signed), v("w_signed", w_signed);
    v("mult", mult), v("shift", shift), v("int32_out", int32_out), out.visit(v);
  }
};

namespace npu_ops {

inline std::vector<Tensor> qconv(const OpContext& c, const QConvAttrs& a) {
  const Tensor& x = c.in(0);
  const Tensor& w = c.in(1);
  const Tensor* b = c.has(2) ? &c.in(2) : nullptr;
  // A 2-D input [M, K] is a Gemm lowered to a 1x1 convolution: M images of 1x1 pixels.
  const bool gemm = x.shape().size() == 2;
  if ((!gemm && x.shape().size() != 4) || w.shape().size() != 4)
    fail("QConv needs 4-D (or 2-D) input and 4-D weights");
  const Shape xs = gemm ? Shape{x.shape()[0], x.shape()[1], 1, 1} : x.shape();
  const int64_t n = xs[0], ci = xs[1], h = xs[2], wd = xs[3];
  const int64_t oc = w.shape()[0], kh = w.shape()[2], kw = w.shape()[3];
  const int64_t group = a.group, cg = ci / group, og = oc / group;
  const Ints &s = a.strides, &d = a.dilations, &p = a.pads;
  const bool int32_out = a.int32_out;  // ConvInteger: the accumulators themselves
  const auto mult = int32_out ? Ints(oc, 1 << 30) : a.mult;
  const auto shift = int32_out ? Ints(oc, 0) : a.shift;
  if (group < 1 || ci % group || oc % group || w.shape()[1] != cg)
    fail("QConv channels do not match the weights and group");
  if (static_cast<int64_t>(mult.size()) != oc || static_cast<int64_t>(shift.size()) != oc)
    fail("QConv needs one multiplier and shift per output channel");
  const int64_t oh = (h + p[0] + p[2] - d[0] * (kh - 1) - 1) / s[0] + 1;
  const int64_t ow = (wd + p[1] + p[3] - d[1] * (kw - 1) - 1) / s[1] + 1;
  const int32_t xz = int32_t(a.x_zp), wz = int32_t(a.w_zp), yz = int32_t(a.out.y_zp);
  const bool ys = a.out.y_signed;
  const int32_t lo = int32_t(a.out.act_lo), hi = int32_t(a.out.act_hi);
  Tensor y(int32_out ? DType::kInt32 : out_type(ys), gemm ? Shape{n, oc} : Shape{n, oc, oh, ow});
  for (int64_t b0 = 0; b0 < n; ++b0)
    for (int64_t o = 0; o < oc; ++o) {
      const int64_t g = o / og;
      const isa::FixedMultiplier m{static_cast<int32_t>(mult[o]), static_cast<int32_t>(shift[o])};
      for (int64_t yy = 0; yy < oh; ++yy)
        for (int64_t xx = 0; xx < ow; ++xx) {
          int64_t acc = b ? b->as<int32_t>()[o] : 0;
          for (int64_t cc = 0; cc < cg; ++cc)
            for (int64_t ky = 0; ky < kh; ++ky)
              for (int64_t kx = 0; kx < kw; ++kx) {
                const int64_t iy = yy * s[0] - p[0] + ky * d[0], ix = xx * s[1] - p[1] + kx * d[1];
                if (iy < 0 || ix < 0 || iy >= h || ix >= wd) continue;  // padding is x_zp: adds 0
                const int64_t xi = ((b0 * ci + g * cg + cc) * h + iy) * wd + ix;
                const int64_t wi = ((o * cg + cc) * kh + ky) * kw + kx;
                acc += int64_t(element(x, xi) - xz) * (element(w, wi) - wz);
              }
          // The device accumulates in int32 with wrap-around (docs/isa-compute.md).
          const int32_t acc32 = static_cast<int32_t>(static_cast<uint32_t>(acc));
          const int64_t yi = ((b0 * oc + o) * oh + yy) * ow + xx;
          set_element(y, yi, int32_out ? acc32 : isa::requantize_to_8bit(acc32, m, yz, ys, lo, hi));
        }
    }
  return {std::move(y)};
}

inline void register_golden_conv(Goldens& goldens) {
  goldens.add<qconv>("QConv");
}

}  // namespace npu_ops
}  // namespace npusim::compiler
