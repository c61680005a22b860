// The npusim-domain quantised ops (npu_ops.hpp) with the device's integer
// arithmetic: the golden model the simulator must match bit for bit.
// Written as plain loops over ONNX layouts (NCHW), independently of the
// device's NHWC kernels.
#include <algorithm>

#include "../npu_op_list.hpp"
#include "kernel.hpp"
#include "npusim/compiler/npu_op_attrs.hpp"
#include "npusim/compiler/npu_ops.hpp"
#include "npusim/isa/int8.hpp"
#include "npusim/isa/kernels.hpp"

namespace npusim::compiler::ops {
namespace {

int32_t element(const Tensor& t, int64_t i) {
  return t.dtype() == DType::kUint8 ? t.as<uint8_t>()[i] : t.as<int8_t>()[i];
}

void set_element(Tensor& t, int64_t i, int32_t q) {
  if (t.dtype() == DType::kUint8)
    t.as<uint8_t>()[i] = static_cast<uint8_t>(q);
  else if (t.dtype() == DType::kInt32)
    t.as<int32_t>()[i] = q;
  else
    t.as<int8_t>()[i] = static_cast<int8_t>(q);
}

DType out_type(bool y_signed) {
  return y_signed ? DType::kInt8 : DType::kUint8;
}

void require_8bit(const Tensor& t, const std::string& what) {
  require_dtype(t, {DType::kInt8, DType::kUint8}, what);
}

isa::FixedMultiplier multiplier(int64_t mult, int64_t shift) {
  return {static_cast<int32_t>(mult), static_cast<int32_t>(shift)};
}
int32_t lookup(const std::vector<int64_t>& table, int32_t x) {
  return static_cast<int32_t>(table[static_cast<uint8_t>(x)]);
}

std::vector<Tensor> qconv(const OpContext& c, const QConvAttrs& a) {
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

// QAdd / QMul: numpy broadcasting of a and b; `combine` maps the zero-point
// corrected inputs to the accumulator the output stage requantises.
template <typename Combine>
std::vector<Tensor> qbinary(const OpContext& c, const QBinaryAttrs& q, Combine combine) {
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
std::vector<Tensor> qadd(const OpContext& c, const QBinaryAttrs& q) {
  const isa::FixedMultiplier ma = multiplier(q.mult_a, q.shift_a);
  const isa::FixedMultiplier mb = multiplier(q.mult_b, q.shift_b);
  return qbinary(c, q, [&](int64_t a, int64_t b) {
    return isa::requantize(a * (int64_t{1} << 20), ma.mult, ma.shift) +
           isa::requantize(b * (int64_t{1} << 20), mb.mult, mb.shift);
  });
}

std::vector<Tensor> qmul(const OpContext& c, const QBinaryAttrs& q) {
  return qbinary(c, q, [](int64_t a, int64_t b) { return a * b; });
}

std::vector<Tensor> qlut(const OpContext& c, const QLutAttrs& a) {
  const Tensor& x = c.in(0);
  require_8bit(x, "input X");
  const Ints& table_shape = a.table_shape;
  Tensor y(out_type(a.lut.y_signed), x.shape());
  if (table_shape.empty()) {  // one table for every element
    const Ints& table = a.lut.table;
    if (table.size() != 256) fail("attribute 'table' must hold 256 entries");
    for (int64_t i = 0; i < x.size(); ++i) set_element(y, i, lookup(table, element(x, i)));
    return {std::move(y)};
  }
  // Tables laid out as a tensor of shape table_shape that broadcasts to x.
  const Ints& tables = a.lut.table;
  if (tables.size() != size_t(256 * element_count(table_shape)))
    fail("attribute 'table' must hold 256 entries per element of table_shape");
  if (broadcast_shapes(table_shape, x.shape()) != x.shape())
    fail("table_shape does not broadcast to the input's shape");
  for_each_broadcast<1>(x.shape(), {Shape(table_shape)},
                        [&](int64_t o, const std::array<int64_t, 1>& t) {
                          const auto code = static_cast<uint8_t>(element(x, o));
                          set_element(y, o, static_cast<int32_t>(tables[256 * t[0] + code]));
                        });
  return {std::move(y)};
}

// Window geometry of a QPool (2-D, floor output size, dilation 1).
struct PoolGeometry {
  int64_t kh, kw, sh, sw, pt, pl, pb, pr, oh, ow;
};

PoolGeometry pool_geometry(const QPoolAttrs& a, int64_t h, int64_t w) {
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
std::vector<Tensor> qpool(const OpContext& c, const QPoolAttrs& a) {
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

// Concatenation along `axis`; input k goes through table k (256 entries each).
std::vector<Tensor> qconcat(const OpContext& c, const QConcatAttrs& a) {
  const Tensor& first = c.in(0);
  const int64_t rank = static_cast<int64_t>(first.shape().size());
  const int64_t axis = normalize_axis(a.axis, rank);
  const Ints& tables = a.tables;
  const size_t inputs = c.input_count();
  if (tables.size() != 256 * inputs) fail("QConcat needs one 256-entry table per input");
  Shape out = first.shape();
  out[axis] = 0;
  for (size_t k = 0; k < inputs; ++k) {
    require_8bit(c.in(k), "input " + std::to_string(k));
    out[axis] += c.in(k).shape()[axis];
  }
  const int64_t outer = product(out, 0, axis), inner = product(out, axis + 1, rank);
  Tensor y(out_type(a.y_signed), out);
  int64_t at = 0;  // offset of input k along the axis
  for (size_t k = 0; k < inputs; ++k) {
    const Tensor& x = c.in(k);
    const std::vector<int64_t> table(tables.begin() + 256 * k, tables.begin() + 256 * (k + 1));
    const int64_t len = x.shape()[axis] * inner;
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t i = 0; i < len; ++i)
        set_element(y, (o * out[axis] + at) * inner + i, lookup(table, element(x, o * len + i)));
    at += x.shape()[axis];
  }
  return {std::move(y)};
}

// Split along `axis` into parts of `split` sizes; output k goes through table k.
std::vector<Tensor> qsplit(const OpContext& c, const QSplitAttrs& a) {
  const Tensor& x = c.in(0);
  require_8bit(x, "input X");
  const int64_t rank = static_cast<int64_t>(x.shape().size());
  const int64_t axis = normalize_axis(a.axis, rank);
  const Ints &parts = a.split, &tables = a.tables, &signs = a.y_signs;
  if (parts.size() != c.output_count() || tables.size() != 256 * parts.size() ||
      signs.size() != parts.size())
    fail("QSplit needs a size, a 256-entry table and a signedness per output");
  const int64_t outer = product(x.shape(), 0, axis), inner = product(x.shape(), axis + 1, rank);
  std::vector<Tensor> out;
  int64_t at = 0;  // offset of output k along the axis
  for (size_t k = 0; k < parts.size(); ++k) {
    Shape shape = x.shape();
    shape[axis] = parts[k];
    Tensor y(signs[k] != 0 ? DType::kInt8 : DType::kUint8, shape);
    const std::vector<int64_t> table(tables.begin() + 256 * k, tables.begin() + 256 * (k + 1));
    const int64_t len = parts[k] * inner;
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t i = 0; i < len; ++i)
        set_element(y, o * len + i,
                    lookup(table, element(x, (o * x.shape()[axis] + at) * inner + i)));
    at += parts[k];
    out.push_back(std::move(y));
  }
  return out;
}

// Bilinear resizing as vec.resize defines it (docs/isa-compute.md): the exact
// source coordinate of ONNX's coordinate mode in fixed point with 16
// fractional bits (floor), clamped to the input; the four taps' weights
// multiply to 2^32 in all, and the weighted sum of raw codes is divided by
// 2^32 rounding half to even (the zero point cancels).
struct LinearTap {
  int64_t i0, i1, w1;  // w1: weight of i1, of 2^16
};

LinearTap linear_tap(int64_t o, int64_t in, int64_t out, int64_t coord) {
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

int32_t bilinear(const Tensor& x, int64_t plane, int64_t h, int64_t w, const LinearTap& ty,
                 const LinearTap& tx) {
  constexpr int64_t kOne = 1 << 16;
  auto v = [&](int64_t y, int64_t xx) { return int64_t(element(x, (plane * h + y) * w + xx)); };
  const int64_t sum = (kOne - ty.w1) * (kOne - tx.w1) * v(ty.i0, tx.i0) +
                      (kOne - ty.w1) * tx.w1 * v(ty.i0, tx.i1) +
                      ty.w1 * (kOne - tx.w1) * v(ty.i1, tx.i0) + ty.w1 * tx.w1 * v(ty.i1, tx.i1);
  return static_cast<int32_t>(isa::div_round_half_even(sum, kOne * kOne));
}

std::vector<Tensor> qresize(const OpContext& c, const QResizeAttrs& a) {
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

std::vector<Tensor> qpermute(const OpContext& c, const QPermuteAttrs& a) {
  const Tensor& x = c.in(0);
  require_8bit(x, "input X");
  const Shape& in = x.shape();
  const Ints& perm = a.perm;
  const Shape& out = a.out_shape;
  if (perm.size() != in.size())
    fail("QPermute: perm has " + std::to_string(perm.size()) + " axes, the input " +
         std::to_string(in.size()));
  const Ints& table = a.table.table;
  const size_t rank = in.size();
  // The slice taken first (starts, steps, counts per axis; default: all of x).
  Ints start = a.starts, step = a.steps;
  Shape count = a.counts;
  if (start.empty()) start.assign(rank, 0);
  if (step.empty()) step.assign(rank, 1);
  if (count.empty()) count = in;
  if (start.size() != rank || step.size() != rank || count.size() != rank)
    fail("QPermute: starts, steps and counts need one entry per input axis");
  if (product(out, 0, out.size()) != product(count, 0, rank))
    fail("QPermute: out_shape does not hold the sliced input's elements");
  Tensor y(table.empty() ? x.dtype() : out_type(a.table.y_signed), out);
  // Walk the transposed slice in row-major order: its flat index is y's.
  std::vector<int64_t> stride(rank, 1), t(rank, 0);  // x's strides; index into the transposed slice
  for (size_t d = rank; d-- > 1;) stride[d - 1] = stride[d] * in[d];
  for (int64_t i = 0; i < y.size(); ++i) {
    int64_t src = 0;
    for (size_t d = 0; d < rank; ++d) {
      const int64_t a = perm[d];
      src += (start[a] + t[d] * step[a]) * stride[a];
    }
    const int32_t v = element(x, src);
    set_element(y, i, table.empty() ? v : lookup(table, v));
    for (size_t d = rank; d-- > 0;) {  // next index of the transposed slice
      if (++t[d] < count[perm[d]]) break;
      t[d] = 0;
    }
  }
  return {std::move(y)};
}

std::vector<Tensor> qpad(const OpContext& c, const QPadAttrs& a) {
  const Tensor& x = c.in(0);
  require_8bit(x, "input X");
  const Shape& in = x.shape();
  const size_t rank = in.size();
  const Ints& pads = a.pads;
  if (pads.size() != 2 * rank) fail("QPad: pads needs a begin and an end per axis");
  Ints interior = a.interior;  // pad elements between neighbours
  if (interior.empty()) interior.assign(rank, 0);
  if (interior.size() != rank) fail("QPad: interior needs one entry per axis");
  const Ints& table = a.table.table;
  Shape out(rank);
  for (size_t d = 0; d < rank; ++d)
    out[d] = in[d] + (in[d] - 1) * interior[d] + pads[d] + pads[rank + d];
  Tensor y(table.empty() ? x.dtype() : out_type(a.table.y_signed), out);
  const int32_t code = static_cast<int32_t>(a.pad_code);
  std::vector<int64_t> o(rank, 0);
  for (int64_t i = 0; i < y.size(); ++i) {
    int64_t src = 0;
    bool inside = true;
    for (size_t d = 0; d < rank; ++d) {
      const int64_t s = o[d] - pads[d], step = interior[d] + 1;
      inside = inside && s >= 0 && s % step == 0 && s / step < in[d];
      src = src * in[d] + s / step;
    }
    const int32_t v = inside ? element(x, src) : code;
    set_element(y, i, inside && !table.empty() ? lookup(table, v) : v);
    for (size_t d = rank; d-- > 0;) {
      if (++o[d] < out[d]) break;
      o[d] = 0;
    }
  }
  return {std::move(y)};
}

}  // namespace

// Each op of npu_op_list.hpp: its attributes read once, typed, then its golden function.
void register_npu_ops(Registry& r) {
#define NPUSIM_REGISTER_GOLDEN(name, Attrs, golden, family)         \
  r[std::string(kNpuDomain) + "." #name] = [](const OpContext& c) { \
    return golden(c, read_attrs<Attrs>(c.node()));                  \
  };
  NPUSIM_NPU_OPS(NPUSIM_REGISTER_GOLDEN)
#undef NPUSIM_REGISTER_GOLDEN
}

}  // namespace npusim::compiler::ops
