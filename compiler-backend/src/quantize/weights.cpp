// Weight and bias quantisation (weights.hpp).
#include "weights.hpp"

#include <algorithm>
#include <cmath>

namespace npusim::compiler::quant {
namespace {

// Channel of flat element i along `axis` (0 for per-tensor).
struct ChannelOf {
  int64_t inner = 1, channels = 1;
  ChannelOf(const Shape& s, int64_t axis) {
    if (axis < 0) return;
    channels = s.at(static_cast<size_t>(axis));
    for (size_t d = static_cast<size_t>(axis) + 1; d < s.size(); ++d) inner *= s[d];
  }
  size_t operator()(int64_t i) const { return static_cast<size_t>((i / inner) % channels); }
};

}  // namespace

std::vector<float> weight_scales(const Tensor& w, int64_t axis, const std::vector<float>& floor) {
  const ChannelOf ch(w.shape(), axis);
  std::vector<double> amax(static_cast<size_t>(ch.channels), 0.0);
  const auto v = w.as<float>();
  for (int64_t i = 0; i < w.size(); ++i)
    amax[ch(i)] = std::max(amax[ch(i)], double(std::fabs(v[i])));
  std::vector<float> scales(amax.size());
  for (size_t c = 0; c < amax.size(); ++c) {
    // An all-zero channel quantises to zeros at any scale; 1 keeps ratios tame.
    scales[c] = amax[c] > 0 ? static_cast<float>(amax[c] / 127.0) : 1.0f;
    if (c < floor.size()) scales[c] = std::max(scales[c], floor[c]);
  }
  return scales;
}

Tensor quantize_weights(const Tensor& w, int64_t axis, const std::vector<float>& scales) {
  const ChannelOf ch(w.shape(), axis);
  Tensor q(DType::kInt8, w.shape());
  const auto v = w.as<float>();
  auto out = q.as<int8_t>();
  for (int64_t i = 0; i < w.size(); ++i)
    out[i] = static_cast<int8_t>(std::clamp(std::nearbyint(v[i] / scales[ch(i)]), -127.0f, 127.0f));
  return q;
}

std::vector<float> bias_scale_floor(const Tensor& b, float x_scale, const Tensor& w, int64_t axis) {
  const ChannelOf ch(w.shape(), axis);
  const size_t channels = static_cast<size_t>(ch.channels);
  std::vector<double> abs_sum(channels, 0.0);
  const auto v = w.as<float>();
  for (int64_t i = 0; i < w.size(); ++i) abs_sum[ch(i)] += std::fabs(double(v[i]));
  // Each weight code rounds up by at most 1/2, the bias code by 1/2.
  const double per_channel = double(w.size()) / double(channels);
  const double room = kBiasLimit - 255.0 * (per_channel / 2 + 1);
  std::vector<float> floor(channels, 0.0f);
  if (room <= 0) return floor;
  for (int64_t i = 0; i < b.size(); ++i) {
    const size_t c = channels == 1 ? 0 : static_cast<size_t>(i);
    if (c >= channels) continue;
    const double need = (std::fabs(b.at(i)) / double(x_scale) + 255.0 * abs_sum[c]) / room;
    floor[c] = std::max(floor[c], static_cast<float>(need * (1 + 1e-6)));
  }
  return floor;
}

Tensor quantize_bias(const Tensor& b, float x_scale, const std::vector<float>& w_scales,
                     std::vector<float>& bias_scales) {
  const int64_t n = b.size();
  Tensor q(DType::kInt32, {n});
  bias_scales.assign(static_cast<size_t>(n), 0.0f);
  for (int64_t c = 0; c < n; ++c) {
    const float ws = w_scales.size() == 1 ? w_scales[0] : w_scales.at(static_cast<size_t>(c));
    bias_scales[c] = x_scale * ws;
    const double v = std::nearbyint(b.at(c) / double(bias_scales[c]));
    q.as<int32_t>()[c] = static_cast<int32_t>(std::clamp(v, -kBiasLimit, kBiasLimit));
  }
  return q;
}

}  // namespace npusim::compiler::quant
