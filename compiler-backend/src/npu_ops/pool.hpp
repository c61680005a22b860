// QPool: 2-D max and average pooling on 8-bit codes.
// The op's attributes (what lowering writes on the node) and its golden
// function: the reference executor's semantics on int8 codes, written as
// plain loops over ONNX layouts (NCHW), independently of the device's kernels.
// Its lowering and code generation: codegen/pool_codegen.cpp and the lower_*.cpp
// files its register_compiler_pool names (docs/compiler.md "Adding an NPU op").
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "../npu_op.hpp"

namespace npusim::compiler {

// QPool, NCHW, 2-D. max: y = table[max of the valid taps (qmin if none)];
// average: y has x's type, y = sat(y_zp + requantize_div(sum (x-x_zp), mult,
// shift, count)), count the valid taps or, with count_pad, the window's.
struct QPoolAttrs {
  static constexpr const char* kOp = "QPool";
  enum Mode : int64_t { kMax = 0, kAverage = 1 };
  int64_t mode = kMax;
  Ints kernel_shape, strides, pads;  // pads: top, left, bottom, right
  bool count_pad = false;
  int64_t x_zp = 0, y_zp = 0, mult = 0, shift = 0;  // average
  TableStage table;                                 // max, optional

  template <typename V>
  void visit(V&& v) {
    v("mode", mode), v("kernel_shape", kernel_shape), v("strides", strides), v("pads", pads);
    v("count_pad", count_pad), v("x_zp", x_zp), v(OutputQuant::kZeroPoint, y_zp), v("mult", mult);
    v("shift", shift), table.visit(v);
  }
};

namespace npu_ops {

// Window geometry of a QPool (2-D, floor output size, dilation 1).
struct PoolGeometry {
  int64_t kh, kw, sh, sw, pt, pl, pb, pr, oh, ow;
};

inline PoolGeometry pool_geometry(const QPoolAttrs& a, int64_t h, int64_t w) {
  const Ints &k = a.kernel_shape, &s = a.strides, &p = a.pads;
  if (k.size() != 2 || s.size() != 2 || p.size() != 4) fail("QPool needs 2-D window attributes");
  PoolGeometry g{k[0], k[1], s[0], s[1], p[0], p[1], p[2], p[3], 0, 0};
  g.oh = (h + g.pt + g.pb - g.kh) / g.sh + 1;
  g.ow = (w + g.pl + g.pr - g.kw) / g.sw + 1;
  if (g.oh < 1 || g.ow < 1) fail("QPool window is larger than the padded input");
  return g;
}

// Max: the largest valid input (qmin if none), then the optional table.
// Average: requantize_div of the zero-point corrected sum by the tap count.
inline std::vector<Tensor> qpool(const OpContext& c, const QPoolAttrs& a) {
  const Tensor& x = c.in(0);
  require_8bit(x, "input X");
  require_rank(x, 4, 4, "input X");
  const int64_t n = x.shape()[0], ch = x.shape()[1], h = x.shape()[2], w = x.shape()[3];
  const PoolGeometry g = pool_geometry(a, h, w);
  const bool xs = x.dtype() == DType::kInt8, average = a.mode == QPoolAttrs::kAverage;
  const bool count_pad = a.count_pad;
  const int32_t xz = int32_t(a.x_zp), yz = int32_t(a.y_zp);
  const isa::FixedMultiplier m = multiplier(a.mult, a.shift);
  const Ints& table = a.table.table;
  Tensor y(average || table.empty() ? x.dtype() : out_type(a.table.y_signed), {n, ch, g.oh, g.ow});
  for (int64_t plane = 0; plane < n * ch; ++plane)
    for (int64_t oy = 0; oy < g.oh; ++oy)
      for (int64_t ox = 0; ox < g.ow; ++ox) {
        int64_t sum = 0, valid = 0;
        int32_t best = isa::qmin(xs);
        for (int64_t ky = 0; ky < g.kh; ++ky)
          for (int64_t kx = 0; kx < g.kw; ++kx) {
            const int64_t iy = oy * g.sh - g.pt + ky, ix = ox * g.sw - g.pl + kx;
            if (iy < 0 || ix < 0 || iy >= h || ix >= w) continue;
            const int32_t v = element(x, (plane * h + iy) * w + ix);
            best = std::max(best, v);
            sum += v - xz;
            ++valid;
          }
        int32_t q = best;
        if (average) {
          const int64_t cnt = count_pad ? g.kh * g.kw : valid;
          const int64_t r = cnt > 0 ? isa::requantize_div(sum, m.mult, m.shift, cnt) : 0;
          q = static_cast<int32_t>(isa::saturate(yz + r, isa::qmin(xs), isa::qmax(xs)));
        } else if (!table.empty()) {
          q = lookup(table, q);
        }
        set_element(y, (plane * g.oh + oy) * g.ow + ox, q);
      }
  return {std::move(y)};
}

inline void register_golden_pool(Goldens& goldens) {
  goldens.add<qpool>("QPool");
}

}  // namespace npu_ops
}  // namespace npusim::compiler
