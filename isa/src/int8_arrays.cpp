// quantize_linear / dequantize_linear over whole tensors. The loops below are
// the scalar definitions (int8.cpp) rewritten so that GCC vectorises them
// (vdivps, vrndscaleps in the current rounding mode = nearbyint, vmaxps/vminps
// with NaN going to the lower bound as fmax does), compiled per SIMD level and
// chosen at run time.
//
// quantize_linear clamps q + zp to [qmin, qmax] in double; for an integral q
// (or ±inf, NaN) that equals clamping q to [qmin - zp, qmax - zp] in float and
// adding zp afterwards, exact while |zp| < 2^24 (else the scalar loop runs).
#include <cmath>

#include "int8_arrays.hpp"

#include "npusim/isa/int8.hpp"

namespace npusim::isa {
namespace {

[[gnu::always_inline]] inline uint8_t quantize_one(float x, float scale, float lo, float hi,
                                                   int32_t zp) {
  float q = std::nearbyint(x / scale);
  q = q > lo ? q : lo;  // NaN > lo is false: NaN becomes lo, like fmax(NaN, lo)
  q = q < hi ? q : hi;
  return static_cast<uint8_t>(static_cast<int32_t>(q) + zp);
}

template <typename T>
[[gnu::always_inline]] inline void dequantize_loop(const uint8_t* __restrict x, int64_t n,
                                                   float scale, int32_t zp, float* __restrict out) {
  const auto* v = reinterpret_cast<const T*>(x);
  for (int64_t i = 0; i < n; ++i) out[i] = static_cast<float>(int32_t{v[i]} - zp) * scale;
}

#define NPUSIM_QDQ_LOOPS(SUFFIX, TARGET)                                                     \
  TARGET void quantize_##SUFFIX(const float* __restrict x, int64_t n, float scale, float lo, \
                                float hi, int32_t zp, uint8_t* __restrict out) {             \
    for (int64_t i = 0; i < n; ++i) out[i] = quantize_one(x[i], scale, lo, hi, zp);          \
  }                                                                                          \
  TARGET void dequantize_##SUFFIX(const uint8_t* __restrict x, int64_t n, bool in_signed,    \
                                  float scale, int32_t zp, float* __restrict out) {          \
    if (in_signed)                                                                           \
      dequantize_loop<int8_t>(x, n, scale, zp, out);                                         \
    else                                                                                     \
      dequantize_loop<uint8_t>(x, n, scale, zp, out);                                        \
  }

NPUSIM_QDQ_LOOPS(scalar, )
NPUSIM_QDQ_LOOPS(avx2, __attribute__((target("avx2"))))
NPUSIM_QDQ_LOOPS(avx512, __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl"))))
#undef NPUSIM_QDQ_LOOPS

}  // namespace

namespace detail {

void quantize_linear(const float* x, int64_t n, float scale, int32_t zero_point, bool out_signed,
                     uint8_t* out, kernels::Simd level) {
  if (zero_point <= -(1 << 24) || zero_point >= (1 << 24)) {
    for (int64_t i = 0; i < n; ++i)
      out[i] = static_cast<uint8_t>(isa::quantize_linear(x[i], scale, zero_point, out_signed));
    return;
  }
  const auto lo = static_cast<float>(qmin(out_signed) - zero_point);
  const auto hi = static_cast<float>(qmax(out_signed) - zero_point);
  switch (kernels::usable(level)) {
    case kernels::Simd::kAvx512:
      return quantize_avx512(x, n, scale, lo, hi, zero_point, out);
    case kernels::Simd::kAvx2:
      return quantize_avx2(x, n, scale, lo, hi, zero_point, out);
    default:
      return quantize_scalar(x, n, scale, lo, hi, zero_point, out);
  }
}

void dequantize_linear(const uint8_t* x, int64_t n, bool in_signed, float scale, int32_t zero_point,
                       float* out, kernels::Simd level) {
  switch (kernels::usable(level)) {
    case kernels::Simd::kAvx512:
      return dequantize_avx512(x, n, in_signed, scale, zero_point, out);
    case kernels::Simd::kAvx2:
      return dequantize_avx2(x, n, in_signed, scale, zero_point, out);
    default:
      return dequantize_scalar(x, n, in_signed, scale, zero_point, out);
  }
}

}  // namespace detail

void quantize_linear(const float* x, int64_t n, float scale, int32_t zero_point, bool out_signed,
                     uint8_t* out) {
  detail::quantize_linear(x, n, scale, zero_point, out_signed, out, kernels::host_simd());
}

void dequantize_linear(const uint8_t* x, int64_t n, bool in_signed, float scale, int32_t zero_point,
                       float* out) {
  detail::dequantize_linear(x, n, in_signed, scale, zero_point, out, kernels::host_simd());
}

}  // namespace npusim::isa
