// BatchNormalization (inference form), InstanceNormalization and
// LayerNormalization.
#include <algorithm>
#include <cmath>

#include "kernel.hpp"

namespace npusim::compiler::ops {
namespace {

// One float per channel from input `index`.
std::span<const float> per_channel(const OpContext& ctx, size_t index, int64_t channels,
                                   const std::string& what) {
  const Tensor& t = ctx.in(index);
  require_dtype(t, {DType::kFloat32}, what);
  if (t.size() != channels)
    fail(what + " has shape " + shape_string(t.shape()) + ", expected " + std::to_string(channels) +
         " channel values");
  return t.as<float>();
}

std::vector<Tensor> batch_norm(const OpContext& ctx) {
  const Tensor& x = ctx.in(0);
  require_dtype(x, {DType::kFloat32}, "input X");
  require_rank(x, 2, 8, "input X");
  if (ctx.i("training_mode", 0) != 0)
    fail("training_mode=1 (batch statistics) is not supported; the executor runs inference");
  const int64_t channels = x.shape()[1];
  const auto scale = per_channel(ctx, 1, channels, "scale");
  const auto bias = per_channel(ctx, 2, channels, "B");
  const auto mean = per_channel(ctx, 3, channels, "input_mean");
  const auto var = per_channel(ctx, 4, channels, "input_var");
  const float eps = ctx.f("epsilon", 1e-5f);
  const int64_t inner = product(x.shape(), 2, x.shape().size());
  Tensor y(DType::kFloat32, x.shape());
  auto in = x.as<float>();
  auto out = y.as<float>();
  for (int64_t i = 0, p = 0; i < x.size(); i += inner, ++p) {
    const int64_t c = p % channels;
    const float inv = scale[c] / std::sqrt(var[c] + eps);
    for (int64_t k = 0; k < inner; ++k) out[i + k] = (in[i + k] - mean[c]) * inv + bias[c];
  }
  return {std::move(y)};
}

std::vector<Tensor> instance_norm(const OpContext& ctx) {
  const Tensor& x = ctx.in(0);
  require_dtype(x, {DType::kFloat32}, "input");
  require_rank(x, 3, 8, "input");
  const int64_t channels = x.shape()[1];
  const auto scale = per_channel(ctx, 1, channels, "scale");
  const auto bias = per_channel(ctx, 2, channels, "B");
  const float eps = ctx.f("epsilon", 1e-5f);
  const int64_t inner = product(x.shape(), 2, x.shape().size());
  Tensor y(DType::kFloat32, x.shape());
  auto in = x.as<float>();
  auto out = y.as<float>();
  for (int64_t i = 0, p = 0; i < x.size(); i += inner, ++p) {
    const int64_t c = p % channels;
    double sum = 0, sq = 0;
    for (int64_t k = 0; k < inner; ++k) sum += in[i + k];
    const double mean = sum / static_cast<double>(inner);
    for (int64_t k = 0; k < inner; ++k) sq += (in[i + k] - mean) * (in[i + k] - mean);
    const double inv = 1.0 / std::sqrt(sq / static_cast<double>(inner) + eps);
    for (int64_t k = 0; k < inner; ++k)
      out[i + k] = static_cast<float>((in[i + k] - mean) * inv * scale[c] + bias[c]);
  }
  return {std::move(y)};
}

// LayerNormalization (opset 17): normalise over axes [axis, rank), then
// scale and bias (broadcast to X); optional outputs Mean and InvStdDev.
std::vector<Tensor> layer_norm(const OpContext& ctx) {
  const Tensor &x = ctx.in(0), &scale = ctx.in(1);
  require_dtype(x, {DType::kFloat32}, "input X");
  require_dtype(scale, {DType::kFloat32}, "Scale");
  const Shape& s = x.shape();
  const auto rank = static_cast<int64_t>(s.size());
  const int64_t axis = normalize_axis(ctx.i("axis", -1), rank);
  const float eps = ctx.f("epsilon", 1e-5f);
  const int64_t rows = product(s, 0, axis), cols = product(s, axis, s.size());
  Shape stat_shape = s;
  std::fill(stat_shape.begin() + axis, stat_shape.end(), 1);
  Tensor y(DType::kFloat32, s), mean(DType::kFloat32, stat_shape), inv(DType::kFloat32, stat_shape);
  auto in = x.as<float>();
  auto out = y.as<float>();
  for (int64_t r = 0; r < rows; ++r) {
    const float* row = in.data() + r * cols;
    double sum = 0, sq = 0;
    for (int64_t c = 0; c < cols; ++c) sum += row[c];
    const double m = sum / static_cast<double>(cols);
    for (int64_t c = 0; c < cols; ++c) sq += (row[c] - m) * (row[c] - m);
    const double is = 1.0 / std::sqrt(sq / static_cast<double>(cols) + eps);
    for (int64_t c = 0; c < cols; ++c) out[r * cols + c] = static_cast<float>((row[c] - m) * is);
    mean.as<float>()[r] = static_cast<float>(m);
    inv.as<float>()[r] = static_cast<float>(is);
  }
  const Tensor* bias = ctx.has(2) ? &ctx.in(2) : nullptr;
  if (bias) require_dtype(*bias, {DType::kFloat32}, "B");
  const Shape bias_shape = bias ? bias->shape() : Shape{};
  const float zero = 0.f;
  const float* bv = bias ? bias->as<float>().data() : &zero;
  auto sv = scale.as<float>();
  for_each_broadcast<2>(
      s, {scale.shape(), bias_shape},
      [&](int64_t o, const std::array<int64_t, 2>& i) { out[o] = out[o] * sv[i[0]] + bv[i[1]]; });
  return {std::move(y), std::move(mean), std::move(inv)};
}

}  // namespace

void register_norm_ops(Registry& r) {
  r["LayerNormalization"] = layer_norm;
  r["BatchNormalization"] = batch_norm;
  r["InstanceNormalization"] = instance_norm;
}

}  // namespace npusim::compiler::ops
