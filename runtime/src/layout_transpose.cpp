#include "layout_transpose.hpp"

#include <emmintrin.h>

#include <algorithm>
#include <cstring>

namespace npusim::runtime {
namespace {

// Transposes a 16x16 byte block: row r of the result (at dst + r * dst_stride)
// is column r of the source rows (at src + i * src_stride). Four rounds of
// unpacks interleave the rows; afterwards register k holds column
// bit_reverse(k), hence the store order.
void transpose_16x16(const uint8_t* src, int64_t src_stride, uint8_t* dst, int64_t dst_stride) {
  __m128i a[16], b[16];
  for (int i = 0; i < 16; ++i)
    a[i] = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i * src_stride));
  for (int i = 0; i < 8; ++i) {
    b[i] = _mm_unpacklo_epi8(a[2 * i], a[2 * i + 1]);
    b[i + 8] = _mm_unpackhi_epi8(a[2 * i], a[2 * i + 1]);
  }
  for (int i = 0; i < 8; ++i) {
    a[i] = _mm_unpacklo_epi16(b[2 * i], b[2 * i + 1]);
    a[i + 8] = _mm_unpackhi_epi16(b[2 * i], b[2 * i + 1]);
  }
  for (int i = 0; i < 8; ++i) {
    b[i] = _mm_unpacklo_epi32(a[2 * i], a[2 * i + 1]);
    b[i + 8] = _mm_unpackhi_epi32(a[2 * i], a[2 * i + 1]);
  }
  for (int i = 0; i < 8; ++i) {
    a[i] = _mm_unpacklo_epi64(b[2 * i], b[2 * i + 1]);
    a[i + 8] = _mm_unpackhi_epi64(b[2 * i], b[2 * i + 1]);
  }
  static constexpr int kColumn[16] = {0, 8, 4, 12, 2, 10, 6, 14, 1, 9, 5, 13, 3, 11, 7, 15};
  for (int k = 0; k < 16; ++k)
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + kColumn[k] * dst_stride), a[k]);
}

// dst[col][row] = src[row][col] for a rows x cols byte matrix (row strides
// given): 16x16 blocks, then the ragged edges element by element.
void transpose_bytes(const uint8_t* src, int64_t src_stride, uint8_t* dst, int64_t dst_stride,
                     int64_t rows, int64_t cols) {
  const int64_t rows16 = rows / 16 * 16, cols16 = cols / 16 * 16;
  for (int64_t r = 0; r < rows16; r += 16)
    for (int64_t c = 0; c < cols16; c += 16)
      transpose_16x16(src + r * src_stride + c, src_stride, dst + c * dst_stride + r, dst_stride);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = (r < rows16 ? cols16 : 0); c < cols; ++c)
      dst[c * dst_stride + r] = src[r * src_stride + c];
}

// Few channels: one pass over the pixels, channels as a constant.
template <int C>
void interleave(const uint8_t* __restrict src, uint8_t* __restrict dst, int64_t p) {
  for (int64_t px = 0; px < p; ++px)
    for (int k = 0; k < C; ++k) dst[px * C + k] = src[k * p + px];
}
template <int C>
void deinterleave(const uint8_t* __restrict src, uint8_t* __restrict dst, int64_t p) {
  for (int64_t px = 0; px < p; ++px)
    for (int k = 0; k < C; ++k) dst[k * p + px] = src[px * C + k];
}

// Any element size: tiles of 16 channels x 64 pixels, element by element.
void transpose_elements(const uint8_t* src, uint8_t* dst, int64_t c, int64_t p, size_t elem,
                        bool to_interleaved) {
  constexpr int64_t kTc = 16, kTp = 64;
  for (int64_t c0 = 0; c0 < c; c0 += kTc)
    for (int64_t p0 = 0; p0 < p; p0 += kTp)
      for (int64_t ch = c0; ch < std::min(c, c0 + kTc); ++ch)
        for (int64_t px = p0; px < std::min(p, p0 + kTp); ++px) {
          const size_t planar = size_t(ch * p + px) * elem, inter = size_t(px * c + ch) * elem;
          if (to_interleaved)
            std::memcpy(dst + inter, src + planar, elem);
          else
            std::memcpy(dst + planar, src + inter, elem);
        }
}

}  // namespace

void planar_to_interleaved(const uint8_t* src, uint8_t* dst, int64_t c, int64_t p, size_t elem) {
  if (elem != 1) return transpose_elements(src, dst, c, p, elem, true);
  switch (c) {
    case 1:
      return interleave<1>(src, dst, p);
    case 2:
      return interleave<2>(src, dst, p);
    case 3:
      return interleave<3>(src, dst, p);
    case 4:
      return interleave<4>(src, dst, p);
    default:
      return transpose_bytes(src, p, dst, c, c, p);  // rows = channels
  }
}

void interleaved_to_planar(const uint8_t* src, uint8_t* dst, int64_t c, int64_t p, size_t elem) {
  if (elem != 1) return transpose_elements(src, dst, c, p, elem, false);
  switch (c) {
    case 1:
      return deinterleave<1>(src, dst, p);
    case 2:
      return deinterleave<2>(src, dst, p);
    case 3:
      return deinterleave<3>(src, dst, p);
    case 4:
      return deinterleave<4>(src, dst, p);
    default:
      return transpose_bytes(src, c, dst, p, p, c);  // rows = pixels
  }
}

}  // namespace npusim::runtime
