// Resize (opset 10: scales input; 11+: roi/scales/sizes) and Upsample.
// Interpolation is separable, as in the ONNX reference (which recurses axis
// by axis): each axis gets a table of (input index, weight) taps per output
// index, and the passes run one axis at a time in double precision.
#include <algorithm>
#include <cmath>
#include <limits>

#include "kernel.hpp"

namespace npusim::compiler::ops {
namespace {

struct ResizeSpec {
  std::string mode = "nearest";                     // nearest | linear | cubic
  std::string coord = "half_pixel";                 // coordinate_transformation_mode
  std::string nearest_mode = "round_prefer_floor";  // + "simple" (opset <= 10)
  double cubic_a = -0.75;
  bool exclude_outside = false;
  double extrapolation = 0.0;
  std::vector<double> scales;  // per axis: output / input
  Shape out;
  std::vector<double> roi;  // [starts..., ends...] or empty
};

// One output index of one axis: weighted input indices, or (extrapolate)
// the extrapolation value.
struct Taps {
  std::vector<std::pair<int64_t, double>> taps;
  bool extrapolate = false;
};

// Input coordinate of output index x (ONNX reference, interpolate_1d_with_x).
double source_coord(const ResizeSpec& s, size_t axis, double x, int64_t in) {
  const double scale = s.scales[axis], out_width = scale * static_cast<double>(in);
  const std::string& m = s.coord;
  if (m == "align_corners") return out_width == 1 ? 0.0 : x * double(in - 1) / (out_width - 1);
  if (m == "asymmetric") return x / scale;
  if (m == "tf_half_pixel_for_nn") return (x + 0.5) / scale;
  if (m == "pytorch_half_pixel") return out_width == 1 ? -0.5 : (x + 0.5) / scale - 0.5;
  if (m == "half_pixel") return (x + 0.5) / scale - 0.5;
  if (m == "tf_crop_and_resize") {
    const size_t r = s.scales.size();
    const double start = s.roi.empty() ? 0.0 : s.roi[axis];
    const double end = s.roi.empty() ? 1.0 : s.roi[r + axis];
    const double span = (end - start) * double(in - 1);
    return start * double(in - 1) + (out_width == 1 ? span / 2 : x * span / (out_width - 1));
  }
  fail("coordinate_transformation_mode '" + m + "' is not supported");
}

std::vector<double> cubic_coeffs(double r, double a) {
  const double s = 1 - r;
  return {((a * (r + 1) - 5 * a) * (r + 1) + 8 * a) * (r + 1) - 4 * a,
          ((a + 2) * r - (a + 3)) * r * r + 1, ((a + 2) * s - (a + 3)) * s * s + 1,
          ((a * (s + 1) - 5 * a) * (s + 1) + 8 * a) * (s + 1) - 4 * a};
}

// Weights of the neighbours [base, base + n) for fractional position ratio in (0, 1].
std::vector<double> coefficients(const ResizeSpec& s, double ratio, bool integral, double scale) {
  if (s.mode == "linear") return {1 - ratio, ratio};
  if (s.mode == "cubic") return cubic_coeffs(ratio, s.cubic_a);
  if (integral) return {0, 1};
  const std::string& m = s.nearest_mode;
  if (m == "round_prefer_floor") return {ratio <= 0.5 ? 1.0 : 0.0, ratio > 0.5 ? 1.0 : 0.0};
  if (m == "round_prefer_ceil") return {ratio < 0.5 ? 1.0 : 0.0, ratio >= 0.5 ? 1.0 : 0.0};
  if (m == "floor") return {1, 0};
  if (m == "ceil") return {0, 1};
  if (m == "simple") return scale < 1 ? std::vector<double>{0, 1} : std::vector<double>{1, 0};
  fail("nearest_mode '" + m + "' is not supported");
}

Taps axis_taps(const ResizeSpec& s, size_t axis, int64_t x, int64_t in) {
  Taps t;
  const double xo = source_coord(s, axis, static_cast<double>(x), in);
  if (s.coord == "tf_crop_and_resize" && (xo < 0 || xo > double(in - 1))) {
    t.extrapolate = true;
    return t;
  }
  // Neighbours lie left of xo first: ratio in (0, 1], as the reference.
  int64_t base = static_cast<int64_t>(std::floor(xo));
  double ratio = xo - std::floor(xo);
  const bool integral = ratio == 0;
  if (integral) {
    base -= 1;
    ratio = 1;
  }
  std::vector<double> c = coefficients(s, ratio, integral, s.scales[axis]);
  const auto n = static_cast<int64_t>(c.size());
  const int64_t first = base - (n / 2 - 1);
  if (s.exclude_outside) {
    double sum = 0;
    for (int64_t j = 0; j < n; ++j) {
      if (first + j < 0 || first + j >= in) c[j] = 0;
      sum += c[j];
    }
    for (double& v : c) v /= sum;
  }
  for (int64_t j = 0; j < n; ++j)
    if (c[j] != 0) t.taps.emplace_back(std::clamp<int64_t>(first + j, 0, in - 1), c[j]);
  return t;
}

// Resamples axis `axis` of data (shape `shape`) to `out_len` elements.
std::vector<double> resize_axis(const std::vector<double>& data, Shape& shape, size_t axis,
                                int64_t out_len, const ResizeSpec& s) {
  const int64_t in_len = shape[axis];
  if (in_len == 0 && out_len > 0) fail("cannot resize an empty axis to a non-empty one");
  const int64_t outer = product(shape, 0, axis), inner = product(shape, axis + 1, shape.size());
  std::vector<Taps> table(static_cast<size_t>(out_len));
  for (int64_t x = 0; x < out_len; ++x) table[x] = axis_taps(s, axis, x, in_len);
  std::vector<double> out(static_cast<size_t>(outer * out_len * inner));
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t x = 0; x < out_len; ++x) {
      double* dst = out.data() + (o * out_len + x) * inner;
      if (table[x].extrapolate) {
        std::fill(dst, dst + inner, s.extrapolation);
        continue;
      }
      for (const auto& [idx, w] : table[x].taps) {
        const double* src = data.data() + (o * in_len + idx) * inner;
        for (int64_t i = 0; i < inner; ++i) dst[i] += w * src[i];
      }
    }
  shape[axis] = out_len;
  return out;
}

Tensor run_resize(const Tensor& x, const ResizeSpec& s) {
  if (s.mode != "nearest" && s.mode != "linear" && s.mode != "cubic")
    fail("mode '" + s.mode + "' is not supported");
  std::vector<double> data(static_cast<size_t>(x.size()));
  for (int64_t i = 0; i < x.size(); ++i) data[i] = x.at(i);
  Shape shape = x.shape();
  for (size_t d = 0; d < shape.size(); ++d)
    if (s.out[d] != shape[d] || s.scales[d] != 1.0 || s.coord == "tf_crop_and_resize")
      data = resize_axis(data, shape, d, s.out[d], s);
  return visit_numeric(x.dtype(), "input X", [&]<typename T>(Tag<T>) {
    Tensor y(x.dtype(), shape);
    auto out = y.as<T>();
    for (size_t i = 0; i < data.size(); ++i) {
      if constexpr (std::is_floating_point_v<T>) {
        out[i] = static_cast<T>(data[i]);
      } else {  // integer data: round half to even and saturate
        const double v = std::clamp(std::nearbyint(data[i]), double(std::numeric_limits<T>::min()),
                                    double(std::numeric_limits<T>::max()));
        out[i] = static_cast<T>(v);
      }
    }
    return y;
  });
}

// Output size from scales (floor(in * scale), as the reference).
void sizes_from_scales(ResizeSpec& s, const Shape& in, const std::vector<float>& scales) {
  if (scales.size() != in.size())
    fail("scales has " + std::to_string(scales.size()) + " values for rank " +
         std::to_string(in.size()));
  for (size_t d = 0; d < in.size(); ++d) {
    if (!(scales[d] > 0)) fail("scales must be positive");
    s.scales.push_back(scales[d]);
    s.out.push_back(static_cast<int64_t>(std::floor(double(scales[d]) * double(in[d]))));
  }
}

std::vector<Tensor> resize(const OpContext& ctx) {
  const Tensor& x = ctx.in(0);
  ResizeSpec s;
  s.mode = ctx.s("mode", "nearest");
  if (ctx.opset() < 11) {  // Resize-10: scales input, asymmetric, simple nearest
    s.coord = "asymmetric";
    s.nearest_mode = "simple";
    sizes_from_scales(s, x.shape(), read_floats(ctx.in(1), "scales"));
    return {run_resize(x, s)};
  }
  s.coord = ctx.s("coordinate_transformation_mode", "half_pixel");
  s.nearest_mode = ctx.s("nearest_mode", "round_prefer_floor");
  s.cubic_a = ctx.f("cubic_coeff_a", -0.75f);
  s.exclude_outside = ctx.i("exclude_outside", 0) != 0;
  s.extrapolation = ctx.f("extrapolation_value", 0.f);
  if (ctx.has(1) && ctx.in(1).size() > 0) {
    const Tensor& roi = ctx.in(1);
    for (int64_t i = 0; i < roi.size(); ++i) s.roi.push_back(roi.at(i));
    if (s.roi.size() != 2 * x.shape().size() && s.coord == "tf_crop_and_resize")
      fail("roi has " + std::to_string(s.roi.size()) + " values, expected 2 x rank");
  }
  if (ctx.has(3) && ctx.in(3).size() > 0) {
    s.out = read_ints(ctx.in(3), "sizes");
    if (s.out.size() != x.shape().size()) fail("sizes has the wrong number of values");
    for (size_t d = 0; d < s.out.size(); ++d)
      s.scales.push_back(double(s.out[d]) / double(x.shape()[d]));
  } else if (ctx.has(2) && ctx.in(2).size() > 0) {
    sizes_from_scales(s, x.shape(), read_floats(ctx.in(2), "scales"));
  } else {
    fail("needs either scales or sizes");
  }
  return {run_resize(x, s)};
}

// Upsample (opset 7: scales attribute; 9: scales input): asymmetric coordinates.
std::vector<Tensor> upsample(const OpContext& ctx) {
  const Tensor& x = ctx.in(0);
  ResizeSpec s;
  s.mode = ctx.s("mode", "nearest");
  s.coord = "asymmetric";
  s.nearest_mode = "simple";
  const std::vector<float> scales =
      ctx.has(1) ? read_floats(ctx.in(1), "scales") : ctx.floats("scales");
  sizes_from_scales(s, x.shape(), scales);
  return {run_resize(x, s)};
}

}  // namespace

void register_resize_ops(Registry& r) {
  r["Resize"] = resize;
  r["Upsample"] = upsample;
}

}  // namespace npusim::compiler::ops
