// QResize: nearest and bilinear resizing of NCHW 8-bit codes, as vec.resize.
// The op's attributes (what lowering writes on the node) and its golden
// function: the reference executor's semantics on int8 codes, written as
// plain loops over ONNX layouts (NCHW), independently of the device's kernels.
// Its lowering and code generation: codegen/resize_codegen.cpp and the lower_*.cpp
// files its register_compiler_resize names (docs/compiler.md "Adding an NPU op").
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "../npu_op.hpp"
#include "npusim/isa/kernels.hpp"

namespace npusim::compiler {

// QResize, NCHW: nearest neighbour from the exact rational source coordinate
// (mode 0-3: floor, round_prefer_floor, round_prefer_ceil, ceil), or bilinear
// on raw codes in 16-bit fixed point rounded half to even (mode
// isa::kernels::kResizeBilinear), as vec.resize; then the optional table.
struct QResizeAttrs {
  static constexpr const char* kOp = "QResize";
  Ints out_hw;
  int64_t mode = 0;
  int64_t coord_mode = 0;  // 0 asymmetric, 1 half_pixel, 2 align_corners, 3 pytorch_half_pixel
  TableStage table;

  template <typename V>
  void visit(V&& v) {
    v("out_hw", out_hw), v("mode", mode), v("coord_mode", coord_mode), table.visit(v);
  }
};

namespace npu_ops {

// Bilinear resizing as vec.resize defines it (docs/isa-compute.md): the exact
// source coordinate of ONNX's coordinate mode in fixed point with 16
// fractional bits (floor), clamped to the input; the four taps' weights
// multiply to 2^32 in all, and the weighted sum of raw codes is divided by
// 2^32 rounding half to even (the zero point cancels).
struct LinearTap {
  int64_t i0, i1, w1;  // w1: weight of i1, of 2^16
};

inline LinearTap linear_tap(int64_t o, int64_t in, int64_t out, int64_t coord) {
  constexpr int64_t kOne = 1 << 16;
  int64_t num = 0, den = 1;  // the source coordinate num / den
  if (coord == 0) {
    num = o * in, den = out;
  } else if ((coord == 2 || coord == 3) && out == 1) {
    num = 0, den = 1;
  } else if (coord == 2) {
    num = o * (in - 1), den = out - 1;
  } else {  // half_pixel (and pytorch_half_pixel with out > 1)
    num = (2 * o + 1) * in - out, den = 2 * out;
  }
  int64_t fixed = num * kOne / den;
  if (num * kOne % den != 0 && num < 0) --fixed;  // floor
  fixed = std::clamp<int64_t>(fixed, 0, (in - 1) * kOne);
  const int64_t i0 = fixed >> 16;
  return {i0, std::min(i0 + 1, in - 1), fixed & (kOne - 1)};
}

inline int32_t bilinear(const Tensor& x, int64_t plane, int64_t h, int64_t w, const LinearTap& ty,
                        const LinearTap& tx) {
  constexpr int64_t kOne = 1 << 16;
  auto v = [&](int64_t y, int64_t xx) { return int64_t(element(x, (plane * h + y) * w + xx)); };
  const int64_t sum = (kOne - ty.w1) * (kOne - tx.w1) * v(ty.i0, tx.i0) +
                      (kOne - ty.w1) * tx.w1 * v(ty.i0, tx.i1) +
                      ty.w1 * (kOne - tx.w1) * v(ty.i1, tx.i0) + ty.w1 * tx.w1 * v(ty.i1, tx.i1);
  return static_cast<int32_t>(isa::div_round_half_even(sum, kOne * kOne));
}

inline std::vector<Tensor> qresize(const OpContext& c, const QResizeAttrs& a) {
  const Tensor& x = c.in(0);
  require_8bit(x, "input X");
  require_rank(x, 4, 4, "input X");
  const Ints& size = a.out_hw;
  if (size.size() != 2) fail("QResize needs attribute out_hw");
  const int64_t n = x.shape()[0], ch = x.shape()[1], h = x.shape()[2], w = x.shape()[3];
  const int64_t oh = size[0], ow = size[1], mode = a.mode, coord = a.coord_mode;
  const Ints& table = a.table.table;
  Tensor y(table.empty() ? x.dtype() : out_type(a.table.y_signed), {n, ch, oh, ow});
  for (int64_t plane = 0; plane < n * ch; ++plane)
    for (int64_t oy = 0; oy < oh; ++oy)
      for (int64_t ox = 0; ox < ow; ++ox) {
        if (mode == isa::kernels::kResizeBilinear) {
          const int32_t v =
              bilinear(x, plane, h, w, linear_tap(oy, h, oh, coord), linear_tap(ox, w, ow, coord));
          set_element(y, (plane * oh + oy) * ow + ox, table.empty() ? v : lookup(table, v));
          continue;
        }
        const int64_t iy = isa::kernels::resize_nearest_source(oy, h, oh, mode, coord);
        const int64_t ix = isa::kernels::resize_nearest_source(ox, w, ow, mode, coord);
        const int32_t v = element(x, (plane * h + iy) * w + ix);
        set_element(y, (plane * oh + oy) * ow + ox, table.empty() ? v : lookup(table, v));
      }
  return {std::move(y)};
}

inline void register_golden_resize(Goldens& goldens) {
  goldens.add<qresize>("QResize");
}

}  // namespace npu_ops
}  // namespace npusim::compiler
