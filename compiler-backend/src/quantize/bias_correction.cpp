// Bias correction (weights.hpp): int8 rounding of the weights shifts each
// output channel's mean by sum (w_q - w) * E[x]. Squeeze-excitation blocks
// average whole feature maps, so such shifts, small per pixel, become the
// signal's error there (PP-OCRv4 det: weights-only SQNR 17 -> 25 dB).
#include <numeric>

#include "weights.hpp"

namespace npusim::compiler::quant {
namespace {

// The dequantised weights minus the float ones, element by element.
std::vector<double> weight_errors(const Tensor& w, const Tensor& q,
                                  const std::vector<float>& scales, int64_t axis) {
  const Shape& s = w.shape();
  int64_t inner = 1, channels = 1;
  if (axis >= 0) {
    channels = s[static_cast<size_t>(axis)];
    for (size_t d = static_cast<size_t>(axis) + 1; d < s.size(); ++d) inner *= s[d];
  }
  std::vector<double> e(static_cast<size_t>(w.size()));
  for (int64_t i = 0; i < w.size(); ++i)
    e[i] = double(q.as<int8_t>()[i]) * scales[static_cast<size_t>((i / inner) % channels)] -
           double(w.as<float>()[i]);
  return e;
}

// Conv: W [OC, IC/G, k...]; output channel o reads input channels of its group.
std::vector<double> conv_shift(const Node& n, const Shape& s, const std::vector<double>& e,
                               const std::vector<double>& mean) {
  const int64_t oc = s[0], icg = s[1], group = n.i("group", 1);
  const int64_t taps = std::accumulate(s.begin() + 2, s.end(), int64_t(1), std::multiplies<>());
  if (static_cast<int64_t>(mean.size()) != icg * group || oc % group) return {};
  std::vector<double> shift(static_cast<size_t>(oc), 0.0);
  for (int64_t o = 0; o < oc; ++o)
    for (int64_t ic = 0; ic < icg; ++ic) {
      double sum = 0;
      for (int64_t k = 0; k < taps; ++k) sum += e[(o * icg + ic) * taps + k];
      shift[o] += sum * mean[(o / (oc / group)) * icg + ic];
    }
  return shift;
}

// ConvTranspose (group 1): W [IC, OC, k...]; an output pixel receives taps/strides
// taps on average.
std::vector<double> conv_transpose_shift(const Node& n, const Shape& s,
                                         const std::vector<double>& e,
                                         const std::vector<double>& mean) {
  const int64_t ic = s[0], oc = s[1];
  const int64_t taps = std::accumulate(s.begin() + 2, s.end(), int64_t(1), std::multiplies<>());
  double stride = 1;
  for (int64_t v : n.ints("strides", std::vector<int64_t>(s.size() - 2, 1))) stride *= double(v);
  if (n.i("group", 1) != 1 || static_cast<int64_t>(mean.size()) != ic) return {};
  std::vector<double> shift(static_cast<size_t>(oc), 0.0);
  for (int64_t i = 0; i < ic; ++i)
    for (int64_t o = 0; o < oc; ++o) {
      double sum = 0;
      for (int64_t k = 0; k < taps; ++k) sum += e[(i * oc + o) * taps + k];
      shift[o] += sum * mean[i] / stride;
    }
  return shift;
}

// Gemm / MatMul with 2-D weights, [K, N] or (transB) [N, K].
std::vector<double> matrix_shift(const Node& n, const Shape& s, const std::vector<double>& e,
                                 const std::vector<double>& mean) {
  const bool trans = n.op == "Gemm" && n.i("transB", 0) != 0;
  if (s.size() != 2 || (n.op == "Gemm" && n.i("transA", 0) != 0)) return {};
  const int64_t k = trans ? s[1] : s[0], cols = trans ? s[0] : s[1];
  if (static_cast<int64_t>(mean.size()) != k) return {};
  const double alpha = n.op == "Gemm" ? n.f("alpha", 1.0f) : 1.0;
  std::vector<double> shift(static_cast<size_t>(cols), 0.0);
  for (int64_t c = 0; c < cols; ++c)
    for (int64_t i = 0; i < k; ++i)
      shift[c] += alpha * e[trans ? c * k + i : i * cols + c] * mean[i];
  return shift;
}

}  // namespace

std::vector<double> weight_error_shift(const Node& n, size_t w_input, const Tensor& w,
                                       const Tensor& q, const std::vector<float>& scales,
                                       int64_t axis, const std::vector<double>& mean) {
  if (w_input != 1 || w.shape().size() < 2) return {};
  const std::vector<double> e = weight_errors(w, q, scales, axis);
  if (n.op == "Conv") return conv_shift(n, w.shape(), e, mean);
  if (n.op == "ConvTranspose") return conv_transpose_shift(n, w.shape(), e, mean);
  return matrix_shift(n, w.shape(), e, mean);
}

}  // namespace npusim::compiler::quant
