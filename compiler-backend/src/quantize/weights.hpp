// Internal to the quantiser: int8 weights per channel and int32 biases.
#pragma once

#include <vector>

#include "npusim/compiler/graph.hpp"

namespace npusim::compiler::quant {

// Largest bias code: biases must fit the int32 accumulator.
inline constexpr double kBiasLimit = 2147483647.0;

// Symmetric scales max|w| / 127 per index of `axis` (-1: one scale), at
// least `floor[c]` where given (raised to keep a bias in int32).
std::vector<float> weight_scales(const Tensor& w, int64_t axis,
                                 const std::vector<float>& floor = {});
// round(w / scale[c]) in [-127, 127], int8.
Tensor quantize_weights(const Tensor& w, int64_t axis, const std::vector<float>& scales);
// The smallest weight scale s per channel (of `w` along `axis`, -1: one)
// with which the layer's int32 accumulator cannot overflow: the bias code
// plus the largest sum of products, |round(b / (x_scale * s))| +
// 255 * sum |round(w / s)| <= 2^31 - 1 (|x - x_zp| <= 255 for 8-bit
// activations). A bias that alone fits but leaves no room wraps the
// NPU's accumulator (PP-OCRv4 det: -2147481598 plus a sum of -2562).
std::vector<float> bias_scale_floor(const Tensor& b, float x_scale, const Tensor& w, int64_t axis);
// round(b / (x_scale * w_scale[c])) as int32 [N] (N = b's size); `bias_scales`
// receives x_scale * w_scale[c].
Tensor quantize_bias(const Tensor& b, float x_scale, const std::vector<float>& w_scales,
                     std::vector<float>& bias_scales);

// Bias correction: the mean error the int8 weights `q` (scales per `axis`)
// add to each output channel of `n` (Conv, ConvTranspose, Gemm, MatMul with
// weights at input `w_input`), given the mean of each input channel:
// sum over the reduction of (q * scale - w) * mean. Empty when the means do
// not fit the node (or the op has no such closed form).
std::vector<double> weight_error_shift(const Node& n, size_t w_input, const Tensor& w,
                                       const Tensor& q, const std::vector<float>& scales,
                                       int64_t axis, const std::vector<double>& mean);

}  // namespace npusim::compiler::quant
