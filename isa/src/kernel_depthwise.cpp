// Depthwise convolution (one input channel per group): a GEMM would have
// n = 1 per group, so instead each output pixel accumulates its taps
// vectorised across channels. The AVX2 path pairs taps (t, t+1) so that
// vpmaddwd computes x_t*w_t + x_u*w_u per channel exactly in int32.
#include <immintrin.h>

#include <algorithm>
#include <vector>

#include "gemm_int8.hpp"
#include "kernel_impl.hpp"
#include "kernel_matrix.hpp"
#include "npusim/isa/int8.hpp"

namespace npusim::isa::kernels::detail {
namespace {

// Weights as int16 (w - zp), laid out [tap][out_c] so a tap's weights are contiguous.
std::vector<int16_t> tap_major_weights(const MatrixOp& op) {
  const int64_t taps = op.s.k_h * op.s.k_w, oc = op.s.out_c;
  std::vector<int16_t> w(static_cast<size_t>(taps * oc));
  for (int64_t o = 0; o < oc; ++o)
    for (int64_t t = 0; t < taps; ++t)
      w[t * oc + o] =
          static_cast<int16_t>(load_q(op.wgt + o * taps + t, op.wgt_signed) - op.wgt_zp);
  return w;
}

// Pointers to the input pixel of every tap of output (oy, ox); null in the padding.
void tap_pointers(const MatrixOp& op, int64_t oy, int64_t ox, std::vector<const uint8_t*>& px) {
  const ConvShape& s = op.s;
  size_t t = 0;
  for (int64_t kh = 0; kh < s.k_h; ++kh)
    for (int64_t kw = 0; kw < s.k_w; ++kw, ++t) {
      int64_t iy, ix;
      px[t] = tap_pixel(s, oy, ox, kh, kw, iy, ix) ? op.src + (iy * s.in_w + ix) * s.in_c : nullptr;
    }
}

// Portable: channels [c0, oc) of one pixel; output channel o reads input o / mult.
void pixel_scalar(const MatrixOp& op, const std::vector<const uint8_t*>& px,
                  const std::vector<int16_t>& w, int64_t c0, uint8_t* out) {
  const int64_t oc = op.s.out_c, mult = op.s.out_cg();
  for (int64_t o = c0; o < oc; ++o) {
    uint32_t acc = 0;  // wraps like the device's int32 accumulator
    for (size_t t = 0; t < px.size(); ++t)
      if (px[t])
        acc += static_cast<uint32_t>((load_q(px[t] + o / mult, op.src_signed) - op.src_zp) *
                                     int32_t{w[t * oc + o]});
    store_i32(out + 4 * o, wrap_add(load_i32(out + 4 * o), acc));
  }
}

// 16 channels of x - zp as int16.
template <bool kSigned>
__attribute__((target("avx2"))) inline __m256i widen16(const uint8_t* p, __m256i zp) {
  const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  return _mm256_sub_epi16(kSigned ? _mm256_cvtepi8_epi16(v) : _mm256_cvtepu8_epi16(v), zp);
}

// Weights per (16-channel block, tap pair) interleaved exactly as the
// in-lane unpacks interleave the inputs: [block][pair][lo/hi][16 int16].
__attribute__((target("avx2"))) std::vector<int16_t> paired_weights(const std::vector<int16_t>& w,
                                                                    int64_t taps, int64_t oc) {
  const int64_t blocks = oc / 16, pairs = (taps + 1) / 2;
  std::vector<int16_t> zero(16, 0);
  std::vector<int16_t> out(static_cast<size_t>(blocks * pairs * 2 * 16));
  for (int64_t b = 0; b < blocks; ++b)
    for (int64_t p = 0; p < pairs; ++p) {
      const int16_t* rt = &w[2 * p * oc + b * 16];
      const int16_t* ru = 2 * p + 1 < taps ? &w[(2 * p + 1) * oc + b * 16] : zero.data();
      const __m256i wt = _mm256_loadu_si256(reinterpret_cast<const __m256i_u*>(rt));
      const __m256i wu = _mm256_loadu_si256(reinterpret_cast<const __m256i_u*>(ru));
      auto* dst = reinterpret_cast<__m256i_u*>(&out[(b * pairs + p) * 32]);
      _mm256_storeu_si256(dst, _mm256_unpacklo_epi16(wt, wu));
      _mm256_storeu_si256(dst + 1, _mm256_unpackhi_epi16(wt, wu));
    }
  return out;
}

// 16 output channels [c, c + 16) of one pixel: dst += sum over tap pairs.
// px has an even number of entries; padded taps point at a row of zero points.
template <bool kSigned>
__attribute__((target("avx2"))) inline void block16(const uint8_t* const* px, int64_t pairs,
                                                    int64_t c, const __m256i_u* wb, __m256i zp,
                                                    uint8_t* out) {
  __m256i lo = _mm256_setzero_si256(), hi = _mm256_setzero_si256();
  for (int64_t p = 0; p < pairs; ++p) {
    const __m256i xt = widen16<kSigned>(px[2 * p] + c, zp);
    const __m256i xu = widen16<kSigned>(px[2 * p + 1] + c, zp);
    lo = _mm256_add_epi32(
        lo, _mm256_madd_epi16(_mm256_unpacklo_epi16(xt, xu), _mm256_loadu_si256(wb + 2 * p)));
    hi = _mm256_add_epi32(
        hi, _mm256_madd_epi16(_mm256_unpackhi_epi16(xt, xu), _mm256_loadu_si256(wb + 2 * p + 1)));
  }
  // lo holds channels 0-3 | 8-11, hi 4-7 | 12-15 (the unpacks work per 128-bit lane).
  auto* d = reinterpret_cast<__m256i_u*>(out + 4 * c);
  _mm256_storeu_si256(
      d, _mm256_add_epi32(_mm256_loadu_si256(d), _mm256_permute2x128_si256(lo, hi, 0x20)));
  _mm256_storeu_si256(
      d + 1, _mm256_add_epi32(_mm256_loadu_si256(d + 1), _mm256_permute2x128_si256(lo, hi, 0x31)));
}

// Requires out_c == in_c (no channel multiplier) and src_zp inside the 8-bit
// range, so that a padded tap can read a row of zero points (x - zp = 0).
template <bool kSigned>
__attribute__((target("avx2"))) void depthwise_avx2(const MatrixOp& op,
                                                    const std::vector<int16_t>& w) {
  const ConvShape& s = op.s;
  const int64_t taps = s.k_h * s.k_w, oc = s.out_c, pairs = (taps + 1) / 2;
  const std::vector<int16_t> wp = paired_weights(w, taps, oc);
  const std::vector<uint8_t> pad_row(static_cast<size_t>(oc), static_cast<uint8_t>(op.src_zp));
  const __m256i zp = _mm256_set1_epi16(static_cast<int16_t>(op.src_zp));
  std::vector<const uint8_t*> px(static_cast<size_t>(2 * pairs)),
      taps_px(static_cast<size_t>(taps));
  for (int64_t oy = 0; oy < s.out_h; ++oy)
    for (int64_t ox = 0; ox < s.out_w; ++ox) {
      tap_pointers(op, oy, ox, taps_px);
      for (size_t t = 0; t < px.size(); ++t)
        px[t] = t < taps_px.size() && taps_px[t] ? taps_px[t] : pad_row.data();
      uint8_t* out = op.dst + (oy * s.out_w + ox) * oc * 4;
      int64_t c = 0;
      for (; c + 16 <= oc; c += 16)
        block16<kSigned>(px.data(), pairs, c,
                         reinterpret_cast<const __m256i_u*>(wp.data() + (c / 16) * pairs * 32), zp,
                         out);
      if (c < oc) pixel_scalar(op, taps_px, w, c, out);
    }
}

}  // namespace

void conv_depthwise(const MatrixOp& op) {
  const std::vector<int16_t> w = tap_major_weights(op);
  const bool zp_in_range = op.src_zp >= qmin(op.src_signed) && op.src_zp <= qmax(op.src_signed);
  if (op.s.out_cg() == 1 && zp_in_range && gemm::avx2_available())
    return op.src_signed ? depthwise_avx2<true>(op, w) : depthwise_avx2<false>(op, w);
  std::vector<const uint8_t*> px(static_cast<size_t>(op.s.k_h * op.s.k_w));
  for (int64_t oy = 0; oy < op.s.out_h; ++oy)
    for (int64_t ox = 0; ox < op.s.out_w; ++ox) {
      tap_pointers(op, oy, ox, px);
      pixel_scalar(op, px, w, 0, op.dst + (oy * op.s.out_w + ox) * op.s.out_c * 4);
    }
}

}  // namespace npusim::isa::kernels::detail
