// The AVX-512 VNNI GEMM (see gemm_vnni.hpp for the arithmetic). Blocking as in
// gemm_int8.cpp: k is cut into slices whose B panel (kKcQuads * 128 bytes)
// stays in L1 while the micro-kernel sweeps the rows of A.
#include "gemm_vnni.hpp"

#include <immintrin.h>

#include <algorithm>
#include <cstring>

#include "simd_level.hpp"

namespace npusim::isa::kernels::gemm {
namespace {

constexpr int64_t kKcQuads = 256;  // k-quads per slice: a 32 KiB B panel slice

int32_t value_of(uint8_t byte, bool is_signed) {
  return is_signed ? static_cast<int8_t>(byte) : byte;
}

#define NPUSIM_VNNI __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni")))

// Masks for the columns [0, 16) and [16, 32) of a panel holding nr columns.
NPUSIM_VNNI inline void column_masks(int nr, __mmask16& m0, __mmask16& m1) {
  m0 = static_cast<__mmask16>(nr >= 16 ? 0xFFFF : (1u << nr) - 1);
  m1 = static_cast<__mmask16>(nr >= 32 ? 0xFFFF : nr > 16 ? (1u << (nr - 16)) - 1 : 0);
}

// MR rows x 32 columns. kFirst: the first k slice, which starts from init (or
// C) and adds the column and row terms; later slices add their products to C.
template <int MR, bool kASigned>
NPUSIM_VNNI void micro(const uint8_t* a, int64_t lda, const uint8_t* b, int64_t quads, uint8_t* c,
                       int64_t ldc, int nr, bool first, const uint32_t* init, const uint32_t* col,
                       const uint32_t* rows) {
  __m512i acc[MR][2];
  for (int r = 0; r < MR; ++r) acc[r][0] = acc[r][1] = _mm512_setzero_si512();
  for (int64_t q = 0; q < quads; ++q) {
    const __m512i b0 = _mm512_loadu_si512(b + q * 128);
    const __m512i b1 = _mm512_loadu_si512(b + q * 128 + 64);
    for (int r = 0; r < MR; ++r) {
      int32_t quad;  // four bytes of row r: one 32-bit lane, broadcast
      std::memcpy(&quad, a + r * lda + 4 * q, 4);
      const __m512i x = _mm512_set1_epi32(quad);
      if constexpr (kASigned) {  // u8 = weights, s8 = activations
        acc[r][0] = _mm512_dpbusd_epi32(acc[r][0], b0, x);
        acc[r][1] = _mm512_dpbusd_epi32(acc[r][1], b1, x);
      } else {  // u8 = activations, s8 = weights
        acc[r][0] = _mm512_dpbusd_epi32(acc[r][0], x, b0);
        acc[r][1] = _mm512_dpbusd_epi32(acc[r][1], x, b1);
      }
    }
  }
  __mmask16 m0, m1;
  column_masks(nr, m0, m1);
  __m512i add0 = _mm512_setzero_si512(), add1 = _mm512_setzero_si512();
  if (first) {
    add0 = _mm512_maskz_loadu_epi32(m0, col);
    add1 = _mm512_maskz_loadu_epi32(m1, col + 16);
  }
  const bool from_init = first && init;
  const __m512i i0 = from_init ? _mm512_maskz_loadu_epi32(m0, init) : _mm512_setzero_si512();
  const __m512i i1 = from_init ? _mm512_maskz_loadu_epi32(m1, init + 16) : _mm512_setzero_si512();
  for (int r = 0; r < MR; ++r) {
    uint8_t* row = c + r * ldc * 4;
    const __m512i base0 = from_init ? i0 : _mm512_maskz_loadu_epi32(m0, row);
    const __m512i base1 = from_init ? i1 : _mm512_maskz_loadu_epi32(m1, row + 64);
    const __m512i rt = _mm512_set1_epi32(first ? static_cast<int32_t>(rows[r]) : 0);
    const __m512i v0 =
        _mm512_add_epi32(_mm512_add_epi32(base0, acc[r][0]), _mm512_add_epi32(add0, rt));
    const __m512i v1 =
        _mm512_add_epi32(_mm512_add_epi32(base1, acc[r][1]), _mm512_add_epi32(add1, rt));
    _mm512_mask_storeu_epi32(row, m0, v0);
    _mm512_mask_storeu_epi32(row + 64, m1, v1);
  }
}

using MicroFn = void (*)(const uint8_t*, int64_t, const uint8_t*, int64_t, uint8_t*, int64_t, int,
                         bool, const uint32_t*, const uint32_t*, const uint32_t*);

template <bool kASigned>
constexpr MicroFn kMicro[kVnniMr + 1] = {nullptr,
                                         micro<1, kASigned>,
                                         micro<2, kASigned>,
                                         micro<3, kASigned>,
                                         micro<4, kASigned>,
                                         micro<5, kASigned>,
                                         micro<6, kASigned>,
                                         micro<7, kASigned>,
                                         micro<8, kASigned>};

// Sum of n raw 8-bit values of one type (n a multiple of 4 or not).
NPUSIM_VNNI int64_t byte_sum(const uint8_t* p, int64_t n, bool is_signed) {
  const __m512i flip = _mm512_set1_epi8(static_cast<char>(is_signed ? 0x80 : 0));
  __m512i total = _mm512_setzero_si512();
  int64_t i = 0;
  for (; i + 64 <= n; i += 64)
    total = _mm512_add_epi64(
        total,
        _mm512_sad_epu8(_mm512_xor_si512(_mm512_loadu_si512(p + i), flip), _mm512_setzero_si512()));
  int64_t lanes[8];  // (not _mm512_reduce_add_epi64: GCC 12's header warns inside it)
  _mm512_storeu_si512(lanes, total);
  int64_t sum = 0;
  for (int64_t v : lanes) sum += v;
  for (; i < n; ++i) sum += static_cast<uint8_t>(p[i] ^ (is_signed ? 0x80 : 0));
  return is_signed ? sum - 128 * n : sum;  // x = (x ^ 0x80) - 128 for int8
}

}  // namespace

bool vnni_available() {
  return host_vnni();
}

bool vnni_applies(bool a_signed, int32_t a_zp) {
  return a_zp >= (a_signed ? -128 : 0) && a_zp <= (a_signed ? 127 : 255);
}

void pack_b8(const uint8_t* w, int64_t n, int64_t k, int64_t ldw, bool w_signed, int32_t w_zp,
             bool a_signed, int32_t a_zp, PackedB8& out) {
  // Weights take the signedness A does not have: flipping bit 7 maps int8 to
  // uint8 as w + 128 and uint8 to int8 as w - 128.
  const bool flip = a_signed == w_signed;
  const int32_t cb = flip ? (w_signed ? -128 : 128) : 0;  // w = b + cb
  out.n = n;
  out.kp = padded_k4(k);
  out.a_signed = a_signed;
  out.bw = static_cast<uint32_t>(cb - w_zp);
  const int64_t panels = (n + kVnniNr - 1) / kVnniNr;
  out.data.assign(static_cast<size_t>(panels * out.kp * kVnniNr), 0);
  out.col.assign(static_cast<size_t>(panels * kVnniNr), 0);
  const auto zx = static_cast<uint32_t>(a_zp);
  for (int64_t j = 0; j < n; ++j) {
    uint8_t* panel = out.data.data() + (j / kVnniNr) * out.kp * kVnniNr;
    uint32_t sum_b = 0;
    for (int64_t kk = 0; kk < k; ++kk) {
      const uint8_t b = w[j * ldw + kk] ^ (flip ? 0x80 : 0);
      panel[((kk / 4) * kVnniNr + j % kVnniNr) * 4 + kk % 4] = b;
      sum_b += static_cast<uint32_t>(value_of(b, !a_signed));
    }
    out.col[j] = 0u - zx * sum_b - static_cast<uint32_t>(out.kp) * zx * out.bw;
  }
}

void row_terms(const uint8_t* a, int64_t m, int64_t lda, const PackedB8& b, uint32_t* out) {
  if (b.bw == 0) {
    std::fill(out, out + m, 0u);
    return;
  }
  for (int64_t i = 0; i < m; ++i)
    out[i] = b.bw * static_cast<uint32_t>(byte_sum(a + i * lda, b.kp, b.a_signed));
}

void gemm_u8s8(const uint8_t* a, int64_t m, int64_t lda, const PackedB8& b, const uint32_t* rows,
               uint8_t* c, int64_t ldc, const uint32_t* init) {
  const MicroFn* kernels = b.a_signed ? kMicro<true> : kMicro<false>;
  const int64_t quads = b.kp / 4;
  int64_t q0 = 0;
  do {  // at least once: with k = 0, C is still init (or C) plus the terms
    const int64_t slice = std::min(kKcQuads, quads - q0);
    const bool first = q0 == 0;
    for (int64_t j = 0; j < b.n; j += kVnniNr) {
      const int nr = static_cast<int>(std::min<int64_t>(kVnniNr, b.n - j));
      const uint8_t* bp = b.panel(j / kVnniNr) + q0 * 4 * kVnniNr;
      for (int64_t i = 0; i < m; i += kVnniMr) {
        const int mr = static_cast<int>(std::min<int64_t>(kVnniMr, m - i));
        kernels[mr](a + i * lda + 4 * q0, lda, bp, slice, c + (i * ldc + j) * 4, ldc, nr, first,
                    init ? init + j : nullptr, b.col.data() + j, rows + i);
      }
    }
    q0 += kKcQuads;
  } while (q0 < quads);
}

}  // namespace npusim::isa::kernels::gemm
