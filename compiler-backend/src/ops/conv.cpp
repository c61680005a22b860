// Conv, ConvTranspose, ConvInteger and QLinearConv (N-d spatial, groups,
// strides, dilations, pads, auto_pad). Float convolution is im2col + sgemm,
// chunked over output rows so the column buffer stays bounded; the integer
// forms use the same im2col on zero-point-corrected int32 values.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "kernel.hpp"

namespace npusim::compiler::ops {
namespace {

// Upper bound of the im2col buffer, in elements (16 MiB of floats).
constexpr int64_t kColBudget = int64_t{1} << 22;

struct ConvShape {
  int64_t batch, in_ch, out_ch, group, in_ch_g, out_ch_g;
  Window win;
};

// Reads the geometry of Conv-like node `ctx`: x is [N, C, spatial...], w is
// [M, C/group, kernel...].
ConvShape conv_shape(const OpContext& ctx, const Tensor& x, const Tensor& w) {
  require_rank(x, 3, 8, "input X");
  if (w.shape().size() != x.shape().size())
    fail("weight W has rank " + std::to_string(w.shape().size()) + ", input X has rank " +
         std::to_string(x.shape().size()));
  ConvShape s;
  s.batch = x.shape()[0];
  s.in_ch = x.shape()[1];
  s.out_ch = w.shape()[0];
  s.group = ctx.i("group", 1);
  if (s.group < 1 || s.in_ch % s.group || s.out_ch % s.group)
    fail("group " + std::to_string(s.group) + " does not divide the channels " +
         std::to_string(s.in_ch) + " -> " + std::to_string(s.out_ch));
  s.in_ch_g = s.in_ch / s.group;
  s.out_ch_g = s.out_ch / s.group;
  if (w.shape()[1] != s.in_ch_g)
    fail("weight W has " + std::to_string(w.shape()[1]) + " input channels per group, expected " +
         std::to_string(s.in_ch_g) + " (X " + shape_string(x.shape()) + ", W " +
         shape_string(w.shape()) + ", group " + std::to_string(s.group) + ")");
  const std::vector<int64_t> spatial(x.shape().begin() + 2, x.shape().end());
  std::vector<int64_t> kernel(w.shape().begin() + 2, w.shape().end());
  const std::vector<int64_t> ks = ctx.ints("kernel_shape", kernel);
  if (ks != kernel)
    fail("kernel_shape " + shape_string(ks) + " differs from the weight's " + shape_string(kernel));
  s.win = read_window(ctx, spatial, kernel, false);
  return s;
}

Shape conv_out_shape(const ConvShape& s) {
  Shape out = {s.batch, s.out_ch};
  out.insert(out.end(), s.win.out.begin(), s.win.out.end());
  return out;
}

// Columns for output positions [outer_begin, outer_end) x all of the last
// spatial axis: row (c, kernel offset), column (output position). x is one
// group's channels, [channels][input spatial]; taps in the padding are zero.
template <typename T>
void im2col(const T* x, int64_t channels, const Window& w, int64_t outer_begin, int64_t outer_end,
            T* col) {
  const size_t r = w.rank();
  const int64_t in_last = w.in[r - 1], out_last = w.out[r - 1];
  const int64_t cols = (outer_end - outer_begin) * out_last;
  const int64_t in_size = product(w.in, 0, r), ksize = w.kernel_size();
  const std::vector<int64_t> in_st = strides_of(w.in);
  std::vector<int64_t> k(r);
  for (int64_t c = 0; c < channels; ++c) {
    for (int64_t kidx = 0; kidx < ksize; ++kidx) {
      for (int64_t d = static_cast<int64_t>(r) - 1, rem = kidx; d >= 0; --d) {
        k[d] = rem % w.kernel[d];
        rem /= w.kernel[d];
      }
      T* row = col + (c * ksize + kidx) * cols;
      const int64_t shift = k[r - 1] * w.dilations[r - 1] - w.pad_begin[r - 1];
      const int64_t step = w.strides[r - 1];
      // Output positions whose tap lands inside the input on the last axis.
      int64_t lo = 0;
      while (lo < out_last && lo * step + shift < 0) ++lo;
      int64_t hi = out_last;
      while (hi > lo && (hi - 1) * step + shift >= in_last) --hi;
      for (int64_t p = outer_begin; p < outer_end; ++p, row += out_last) {
        int64_t base = 0;
        bool inside = true;
        for (int64_t d = static_cast<int64_t>(r) - 2, rem = p; d >= 0; --d) {
          const int64_t od = rem % w.out[d];
          rem /= w.out[d];
          const int64_t id = od * w.strides[d] + k[d] * w.dilations[d] - w.pad_begin[d];
          inside = inside && id >= 0 && id < w.in[d];
          base += id * in_st[d];
        }
        if (!inside) {
          std::fill(row, row + out_last, T{});
          continue;
        }
        const T* src = x + c * in_size + base;
        std::fill(row, row + lo, T{});
        if (step == 1) {
          std::memcpy(row + lo, src + lo + shift, static_cast<size_t>(hi - lo) * sizeof(T));
        } else {
          for (int64_t q = lo; q < hi; ++q) row[q] = src[q * step + shift];
        }
        std::fill(row + hi, row + out_last, T{});
      }
    }
  }
}

bool is_pointwise(const Window& w) {
  for (size_t d = 0; d < w.rank(); ++d)
    if (w.kernel[d] != 1 || w.strides[d] != 1 || w.pad_begin[d] || w.pad_end[d]) return false;
  return true;
}

// Outer output positions (all spatial axes but the last) per im2col chunk.
int64_t chunk_rows(const ConvShape& s) {
  const int64_t per_row = s.in_ch_g * s.win.kernel_size() * s.win.out.back();
  return std::max<int64_t>(1, kColBudget / std::max<int64_t>(per_row, 1));
}

// One image and group: out[M_g x out positions] = W_g · im2col(x_g), out
// pre-filled (bias).
void conv_group_float(const ConvShape& s, const float* x, const float* w, float* out,
                      std::vector<float>& col) {
  const Window& win = s.win;
  const int64_t kdim = s.in_ch_g * win.kernel_size();
  const int64_t out_size = win.out_size(), out_last = win.out.back();
  const MatView wv{w, kdim, 1};
  if (is_pointwise(win)) {
    sgemm(s.out_ch_g, out_size, kdim, wv, {x, out_size, 1}, out, out_size, true);
    return;
  }
  const int64_t outer = out_size / std::max<int64_t>(out_last, 1);
  const int64_t rows = std::min(outer, chunk_rows(s));
  col.resize(static_cast<size_t>(kdim * rows * out_last));
  for (int64_t p = 0; p < outer; p += rows) {
    const int64_t pe = std::min(outer, p + rows);
    const int64_t cols = (pe - p) * out_last;
    im2col(x, s.in_ch_g, win, p, pe, col.data());
    sgemm(s.out_ch_g, cols, kdim, wv, {col.data(), cols, 1}, out + p * out_last, out_size, true);
  }
}

std::vector<Tensor> conv(const OpContext& ctx) {
  const Tensor &x = ctx.in(0), &w = ctx.in(1);
  require_dtype(x, {DType::kFloat32}, "input X");
  require_dtype(w, {DType::kFloat32}, "weight W");
  const ConvShape s = conv_shape(ctx, x, w);
  Tensor y(DType::kFloat32, conv_out_shape(s));
  const int64_t out_size = s.win.out_size(), in_size = product(s.win.in, 0, s.win.rank());
  auto out = y.as<float>();
  if (ctx.has(2)) {
    const Tensor& b = ctx.in(2);
    require_dtype(b, {DType::kFloat32}, "bias B");
    if (b.size() != s.out_ch) fail("bias B has shape " + shape_string(b.shape()));
    for (int64_t n = 0; n < s.batch; ++n)
      for (int64_t m = 0; m < s.out_ch; ++m)
        std::fill_n(out.data() + (n * s.out_ch + m) * out_size, out_size, b.as<float>()[m]);
  }
  const int64_t w_group = s.out_ch_g * s.in_ch_g * s.win.kernel_size();
  std::vector<float> col;
  for (int64_t n = 0; n < s.batch; ++n)
    for (int64_t g = 0; g < s.group; ++g)
      conv_group_float(s, x.as<float>().data() + (n * s.in_ch + g * s.in_ch_g) * in_size,
                       w.as<float>().data() + g * w_group,
                       out.data() + (n * s.out_ch + g * s.out_ch_g) * out_size, col);
  return {std::move(y)};
}

// ---- integer convolution ----

// v - zp[channel] as int32, channel = (i / inner) % channels.
Tensor minus_zero_point(const Tensor& t, const std::vector<int32_t>& zp, int64_t inner,
                        const std::string& what) {
  require_dtype(t, {DType::kInt8, DType::kUint8}, what);
  Tensor out(DType::kInt32, t.shape());
  auto dst = out.as<int32_t>();
  const int64_t channels = static_cast<int64_t>(zp.size());
  for (int64_t i = 0; i < t.size(); ++i)
    dst[i] = static_cast<int32_t>(t.int_at(i)) - zp[(i / inner) % channels];
  return out;
}

// int32 accumulators of a convolution of zero-point-corrected x and w.
Tensor conv_int32(const ConvShape& s, const Tensor& x, const Tensor& w) {
  Tensor y(DType::kInt32, conv_out_shape(s));
  const Window& win = s.win;
  const int64_t kdim = s.in_ch_g * win.kernel_size(), out_size = win.out_size();
  const int64_t in_size = product(win.in, 0, win.rank()), out_last = win.out.back();
  const int64_t outer = out_size / std::max<int64_t>(out_last, 1);
  const int64_t rows = std::min(outer, chunk_rows(s));
  std::vector<int32_t> col(static_cast<size_t>(kdim * rows * out_last));
  const int32_t* xs = x.as<int32_t>().data();
  const int32_t* ws = w.as<int32_t>().data();
  int32_t* ys = y.as<int32_t>().data();
  for (int64_t n = 0; n < s.batch; ++n)
    for (int64_t g = 0; g < s.group; ++g) {
      const int32_t* xg = xs + (n * s.in_ch + g * s.in_ch_g) * in_size;
      int32_t* yg = ys + (n * s.out_ch + g * s.out_ch_g) * out_size;
      for (int64_t p = 0; p < outer; p += rows) {
        const int64_t pe = std::min(outer, p + rows), cols = (pe - p) * out_last;
        im2col(xg, s.in_ch_g, win, p, pe, col.data());
        igemm(s.out_ch_g, cols, kdim, ws + g * s.out_ch_g * kdim, kdim, col.data(), cols,
              yg + p * out_last, out_size);
      }
    }
  return y;
}

std::vector<Tensor> conv_integer(const OpContext& ctx) {
  const Tensor &x = ctx.in(0), &w = ctx.in(1);
  const ConvShape s = conv_shape(ctx, x, w);
  const Tensor xi = minus_zero_point(x, zero_points(ctx, 2, 1, "x_zero_point"), 1, "input x");
  const Tensor wi = minus_zero_point(w, zero_points(ctx, 3, s.out_ch, "w_zero_point"),
                                     w.size() / std::max<int64_t>(s.out_ch, 1), "weight w");
  return {conv_int32(s, xi, wi)};
}

// One scale per output channel (or one for all).
std::vector<float> channel_scales(const Tensor& t, int64_t count, const std::string& what) {
  const std::vector<float> v = read_floats(t, what);
  if (v.size() != 1 && static_cast<int64_t>(v.size()) != count)
    fail(what + " has " + std::to_string(v.size()) + " values, expected 1 or " +
         std::to_string(count));
  std::vector<float> out(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i) out[i] = v[v.size() == 1 ? 0 : i];
  return out;
}

// QLinearConv: x, x_scale, x_zp, w, w_scale, w_zp, y_scale, y_zp, [B int32].
std::vector<Tensor> qlinear_conv(const OpContext& ctx) {
  const Tensor &x = ctx.in(0), &w = ctx.in(3);
  const ConvShape s = conv_shape(ctx, x, w);
  const Tensor xi = minus_zero_point(x, zero_points(ctx, 2, 1, "x_zero_point"), 1, "input x");
  const Tensor wi = minus_zero_point(w, zero_points(ctx, 5, s.out_ch, "w_zero_point"),
                                     w.size() / std::max<int64_t>(s.out_ch, 1), "weight w");
  Tensor acc = conv_int32(s, xi, wi);
  const auto x_scale = static_cast<float>(read_scalar(ctx.in(1), "x_scale"));
  const std::vector<float> w_scale = channel_scales(ctx.in(4), s.out_ch, "w_scale");
  const auto y_scale = static_cast<float>(read_scalar(ctx.in(6), "y_scale"));
  const Tensor& y_zp_t = ctx.in(7);
  require_dtype(y_zp_t, {DType::kInt8, DType::kUint8}, "y_zero_point");
  const auto y_zp = static_cast<int32_t>(read_scalar(y_zp_t, "y_zero_point"));
  std::vector<int32_t> bias(static_cast<size_t>(s.out_ch), 0);
  if (ctx.has(8)) {
    const Tensor& b = ctx.in(8);
    require_dtype(b, {DType::kInt32}, "bias B");
    if (b.size() != s.out_ch) fail("bias B has shape " + shape_string(b.shape()));
    for (int64_t m = 0; m < s.out_ch; ++m) bias[m] = b.as<int32_t>()[m];
  }
  const int64_t out_size = s.win.out_size();
  auto av = acc.as<int32_t>();
  for (int64_t i = 0; i < acc.size(); ++i) av[i] += bias[(i / out_size) % s.out_ch];
  const auto scale = [&](int64_t i) {
    return x_scale * w_scale[(i / out_size) % s.out_ch] / y_scale;
  };
  return {requantize_float(acc, scale, y_zp, y_zp_t.dtype())};
}

// ---- ConvTranspose ----

struct TransposeShape {
  int64_t batch, in_ch, out_ch, group, in_ch_g, out_ch_g;
  Window win;  // win.in: input spatial, win.out: output spatial
};

// Output size and pads of ConvTranspose on axis d (ONNX operator spec).
void transpose_axis(Window& w, size_t d, int64_t out_pad, const std::vector<int64_t>& output_shape,
                    const std::string& auto_pad) {
  const int64_t span = (w.kernel[d] - 1) * w.dilations[d] + 1;
  const int64_t full = w.strides[d] * (w.in[d] - 1) + out_pad + span;
  const bool same = auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER";
  if (!output_shape.empty() || same) {
    w.out[d] = output_shape.empty() ? w.in[d] * w.strides[d] : output_shape[d];
    const int64_t total = full - w.out[d];
    // As ONNX Runtime and the conformance data: the odd pad goes to the end
    // except for SAME_LOWER; a negative total (output_shape beyond the full
    // result) extends the end with zeros.
    w.pad_begin[d] = auto_pad == "SAME_LOWER" ? total - total / 2 : total / 2;
    w.pad_end[d] = total - w.pad_begin[d];
    return;
  }
  w.out[d] = full - w.pad_begin[d] - w.pad_end[d];
  if (w.out[d] < 1) fail("output size on spatial axis " + std::to_string(d) + " is not positive");
}

TransposeShape transpose_shape(const OpContext& ctx, const Tensor& x, const Tensor& w) {
  require_rank(x, 3, 8, "input X");
  if (w.shape().size() != x.shape().size())
    fail("weight W has rank " + std::to_string(w.shape().size()) + ", input X has rank " +
         std::to_string(x.shape().size()));
  TransposeShape s;
  s.batch = x.shape()[0];
  s.in_ch = x.shape()[1];
  s.group = ctx.i("group", 1);
  if (s.group < 1 || s.in_ch % s.group || w.shape()[0] != s.in_ch)
    fail("weight W " + shape_string(w.shape()) + " does not match input X " +
         shape_string(x.shape()) + " with group " + std::to_string(s.group));
  s.in_ch_g = s.in_ch / s.group;
  s.out_ch_g = w.shape()[1];
  s.out_ch = s.out_ch_g * s.group;
  const size_t r = x.shape().size() - 2;
  Window& win = s.win;
  win.in.assign(x.shape().begin() + 2, x.shape().end());
  win.kernel.assign(w.shape().begin() + 2, w.shape().end());
  win.strides = ctx.ints("strides", std::vector<int64_t>(r, 1));
  win.dilations = ctx.ints("dilations", std::vector<int64_t>(r, 1));
  const std::vector<int64_t> pads = ctx.ints("pads", std::vector<int64_t>(2 * r, 0));
  const std::vector<int64_t> out_pad = ctx.ints("output_padding", std::vector<int64_t>(r, 0));
  std::vector<int64_t> output_shape = ctx.ints("output_shape");
  if (output_shape.size() == r + 2)
    output_shape.erase(output_shape.begin(), output_shape.begin() + 2);
  if (win.strides.size() != r || win.dilations.size() != r || pads.size() != 2 * r ||
      out_pad.size() != r || (!output_shape.empty() && output_shape.size() != r))
    fail("strides/dilations/pads/output_padding/output_shape do not match " + std::to_string(r) +
         " spatial dims");
  win.pad_begin.assign(pads.begin(), pads.begin() + static_cast<int64_t>(r));
  win.pad_end.assign(pads.begin() + static_cast<int64_t>(r), pads.end());
  win.out.assign(r, 0);
  const std::string auto_pad = ctx.s("auto_pad", "NOTSET");
  if (auto_pad != "NOTSET" && auto_pad != "VALID" && auto_pad != "SAME_UPPER" &&
      auto_pad != "SAME_LOWER")
    fail("auto_pad '" + auto_pad + "' is not supported");
  for (size_t d = 0; d < r; ++d) transpose_axis(win, d, out_pad[d], output_shape, auto_pad);
  return s;
}

// Scatter-adds col rows (out channel, kernel offset) x (input positions) into
// out [out channels][output spatial].
void col2im(const float* col, int64_t channels, const Window& w, float* out) {
  const size_t r = w.rank();
  const int64_t in_size = product(w.in, 0, r), out_size = product(w.out, 0, r);
  const int64_t ksize = w.kernel_size(), in_last = w.in[r - 1];
  const std::vector<int64_t> out_st = strides_of(w.out);
  std::vector<int64_t> k(r);
  for (int64_t c = 0; c < channels; ++c)
    for (int64_t kidx = 0; kidx < ksize; ++kidx) {
      for (int64_t d = static_cast<int64_t>(r) - 1, rem = kidx; d >= 0; --d) {
        k[d] = rem % w.kernel[d];
        rem /= w.kernel[d];
      }
      const float* row = col + (c * ksize + kidx) * in_size;
      float* dst = out + c * out_size;
      for (int64_t p = 0; p < in_size / in_last; ++p, row += in_last) {
        int64_t base = 0;
        bool inside = true;
        for (int64_t d = static_cast<int64_t>(r) - 2, rem = p; d >= 0; --d) {
          const int64_t id = rem % w.in[d];
          rem /= w.in[d];
          const int64_t od = id * w.strides[d] + k[d] * w.dilations[d] - w.pad_begin[d];
          inside = inside && od >= 0 && od < w.out[d];
          base += od * out_st[d];
        }
        if (!inside) continue;
        const int64_t shift = k[r - 1] * w.dilations[r - 1] - w.pad_begin[r - 1];
        for (int64_t i = 0; i < in_last; ++i) {
          const int64_t o = i * w.strides[r - 1] + shift;
          if (o >= 0 && o < w.out[r - 1]) dst[base + o] += row[i];
        }
      }
    }
}

std::vector<Tensor> conv_transpose(const OpContext& ctx) {
  const Tensor &x = ctx.in(0), &w = ctx.in(1);
  require_dtype(x, {DType::kFloat32}, "input X");
  require_dtype(w, {DType::kFloat32}, "weight W");
  const TransposeShape s = transpose_shape(ctx, x, w);
  Shape out_shape = {s.batch, s.out_ch};
  out_shape.insert(out_shape.end(), s.win.out.begin(), s.win.out.end());
  Tensor y(DType::kFloat32, out_shape);
  const int64_t in_size = product(s.win.in, 0, s.win.rank()), out_size = s.win.out_size();
  const int64_t rows = s.out_ch_g * s.win.kernel_size();  // (out channel, kernel offset)
  std::vector<float> col(static_cast<size_t>(rows * in_size));
  for (int64_t n = 0; n < s.batch; ++n)
    for (int64_t g = 0; g < s.group; ++g) {
      // col = W_g^T · x_g, W_g is [in_ch_g][rows].
      const float* wg = w.as<float>().data() + g * s.in_ch_g * rows;
      const float* xg = x.as<float>().data() + (n * s.in_ch + g * s.in_ch_g) * in_size;
      sgemm(rows, in_size, s.in_ch_g, {wg, 1, rows}, {xg, in_size, 1}, col.data(), in_size, false);
      col2im(col.data(), s.out_ch_g, s.win,
             y.as<float>().data() + (n * s.out_ch + g * s.out_ch_g) * out_size);
    }
  if (ctx.has(2)) {
    const Tensor& b = ctx.in(2);
    require_dtype(b, {DType::kFloat32}, "bias B");
    if (b.size() != s.out_ch) fail("bias B has shape " + shape_string(b.shape()));
    auto out = y.as<float>();
    for (int64_t i = 0; i < y.size(); ++i) out[i] += b.as<float>()[(i / out_size) % s.out_ch];
  }
  return {std::move(y)};
}

}  // namespace

void register_conv_ops(Registry& r) {
  r["Conv"] = conv;
  r["ConvTranspose"] = conv_transpose;
  r["ConvInteger"] = conv_integer;
  r["QLinearConv"] = qlinear_conv;
}

}  // namespace npusim::compiler::ops
