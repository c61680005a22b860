// Exact int8 GEMM: packing, blocking and the scalar and AVX2 micro-kernels.
// Blocking (GotoBLAS style, one core): the caller hands A in row chunks that
// fit L2; here k is cut into kKc slices so that one B panel slice (16 KiB)
// stays in L1 while the micro-kernel sweeps all row groups of the chunk.
#include "gemm_int8.hpp"

#include <immintrin.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "simd_level.hpp"

namespace npusim::isa::kernels::gemm {

bool zero_point_fits_int16(bool is_signed, int32_t zp) {
  const int32_t lo = is_signed ? -128 : 0, hi = is_signed ? 127 : 255;
  return lo - zp >= INT16_MIN && hi - zp <= INT16_MAX;
}

void widen_row(const uint8_t* src, int64_t n, bool is_signed, int32_t zp, int16_t* dst) {
  // Two separate loops so the compiler vectorises each without a per-element branch.
  if (is_signed) {
    const auto* s = reinterpret_cast<const int8_t*>(src);
    for (int64_t i = 0; i < n; ++i) dst[i] = static_cast<int16_t>(s[i] - zp);
  } else {
    for (int64_t i = 0; i < n; ++i) dst[i] = static_cast<int16_t>(src[i] - zp);
  }
}

void pack_b(const uint8_t* b, int64_t n, int64_t k, int64_t ldb, bool is_signed, int32_t zp,
            PackedB& out) {
  out.n = n;
  out.kp = padded_k(k);
  const int64_t panels = (n + kNr - 1) / kNr;
  out.data.assign(static_cast<size_t>(panels * out.kp * kNr), 0);
  if (out.kp == 0) return;  // no products; and no pointer arithmetic on empty data
  std::vector<int16_t> row(static_cast<size_t>(out.kp), 0);
  for (int64_t j = 0; j < n; ++j) {
    widen_row(b + j * ldb, k, is_signed, zp, row.data());
    int16_t* dst = out.data.data() + (j / kNr) * out.kp * kNr + 2 * (j % kNr);
    for (int64_t p = 0; p < out.kp / 2; ++p) {
      dst[p * 2 * kNr] = row[2 * p];
      dst[p * 2 * kNr + 1] = row[2 * p + 1];
    }
  }
}

namespace {

// Adds an mr x nr tile of 32-bit sums into C, or to init[] and stores into C,
// with wrap-around (unsigned add, no UB); C may be unaligned, hence memcpy.
void add_tile(const uint32_t* tile, int mr, int nr, uint8_t* c, int64_t ldc, const uint32_t* init) {
  for (int r = 0; r < mr; ++r) {
    uint8_t* row = c + r * ldc * 4;
    for (int j = 0; j < nr; ++j) {
      uint32_t v;
      if (init)
        v = init[j];
      else
        std::memcpy(&v, row + 4 * j, 4);
      v += tile[r * kNr + j];
      std::memcpy(row + 4 * j, &v, 4);
    }
  }
}

// Portable micro-kernel: same data layout and modulo-2^32 result as AVX2.
void micro_scalar(const int16_t* a, int64_t lda, const int16_t* b, int64_t kpairs, uint8_t* c,
                  int64_t ldc, int mr, int nr, const uint32_t* init) {
  uint32_t tile[kMr * kNr] = {};
  for (int r = 0; r < mr; ++r) {
    const int16_t* ar = a + r * lda;
    for (int64_t p = 0; p < kpairs; ++p) {
      const int32_t a0 = ar[2 * p], a1 = ar[2 * p + 1];
      const int16_t* bp = b + p * 2 * kNr;
      for (int j = 0; j < kNr; ++j)  // int16*int16 fits int32; sums wrap as uint32
        tile[r * kNr + j] += uint32_t(a0 * bp[2 * j]) + uint32_t(a1 * bp[2 * j + 1]);
    }
  }
  add_tile(tile, mr, nr, c, ldc, init);
}

// AVX2 micro-kernel for MR rows x 16 columns: 2*MR accumulators + 2 B vectors
// + 1 broadcast fit the 16 ymm registers for MR = 6.
template <int MR>
__attribute__((target("avx2,fma"))) void micro_avx2(const int16_t* a, int64_t lda, const int16_t* b,
                                                    int64_t kpairs, uint8_t* c, int64_t ldc, int nr,
                                                    const uint32_t* init) {
  __m256i acc[MR][2];
  for (int r = 0; r < MR; ++r) acc[r][0] = acc[r][1] = _mm256_setzero_si256();
  for (int64_t p = 0; p < kpairs; ++p) {
    const __m256i b0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b + p * 2 * kNr));
    const __m256i b1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b + p * 2 * kNr + 16));
    for (int r = 0; r < MR; ++r) {
      int32_t pair;  // {A[r][2p], A[r][2p+1]} as one 32-bit lane
      std::memcpy(&pair, a + r * lda + 2 * p, 4);
      const __m256i av = _mm256_set1_epi32(pair);
      acc[r][0] = _mm256_add_epi32(acc[r][0], _mm256_madd_epi16(av, b0));
      acc[r][1] = _mm256_add_epi32(acc[r][1], _mm256_madd_epi16(av, b1));
    }
  }
  if (nr == kNr) {
    const auto* in = reinterpret_cast<const __m256i_u*>(init);
    for (int r = 0; r < MR; ++r) {
      auto* row = reinterpret_cast<__m256i_u*>(c + r * ldc * 4);
      const __m256i c0 = _mm256_loadu_si256(init ? in : row);
      const __m256i c1 = _mm256_loadu_si256(init ? in + 1 : row + 1);
      _mm256_storeu_si256(row, _mm256_add_epi32(c0, acc[r][0]));
      _mm256_storeu_si256(row + 1, _mm256_add_epi32(c1, acc[r][1]));
    }
    return;
  }
  uint32_t tile[kMr * kNr];
  for (int r = 0; r < MR; ++r) {
    _mm256_storeu_si256(reinterpret_cast<__m256i_u*>(tile + r * kNr), acc[r][0]);
    _mm256_storeu_si256(reinterpret_cast<__m256i_u*>(tile + r * kNr + 8), acc[r][1]);
  }
  add_tile(tile, MR, nr, c, ldc, init);
}

using MicroFn = void (*)(const int16_t*, int64_t, const int16_t*, int64_t, uint8_t*, int64_t, int,
                         const uint32_t*);
constexpr MicroFn kAvx2Kernels[kMr + 1] = {nullptr,       micro_avx2<1>, micro_avx2<2>,
                                           micro_avx2<3>, micro_avx2<4>, micro_avx2<5>,
                                           micro_avx2<6>};

}  // namespace

// NPUSIM_KERNELS_SCALAR=1 (or NPUSIM_KERNELS_SIMD=scalar) forces the portable
// path, to test it on AVX2 machines.
bool avx2_available() {
  return host_simd() >= Simd::kAvx2;
}

void gemm_s16(const int16_t* a, int64_t m, int64_t lda, const PackedB& b, uint8_t* c, int64_t ldc,
              Path path, const uint32_t* init) {
  const bool avx2 = path != Path::kScalar && avx2_available();
  if (b.kp == 0 && init) {  // no products: C is just the initial value
    for (int64_t i = 0; i < m; ++i) std::memcpy(c + i * ldc * 4, init, 4 * b.n);
    return;
  }
  for (int64_t k0 = 0; k0 < b.kp; k0 += kKc) {
    const int64_t kpairs = std::min<int64_t>(kKc, b.kp - k0) / 2;
    const uint32_t* first = k0 == 0 ? init : nullptr;  // later slices accumulate into C
    for (int64_t j = 0; j < b.n; j += kNr) {
      const int nr = static_cast<int>(std::min<int64_t>(kNr, b.n - j));
      const int16_t* bp = b.panel(j / kNr) + k0 * kNr;
      const uint32_t* in = first ? first + j : nullptr;
      for (int64_t i = 0; i < m; i += kMr) {
        const int mr = static_cast<int>(std::min<int64_t>(kMr, m - i));
        const int16_t* ap = a + i * lda + k0;
        uint8_t* cp = c + (i * ldc + j) * 4;
        if (avx2)
          kAvx2Kernels[mr](ap, lda, bp, kpairs, cp, ldc, nr, in);
        else
          micro_scalar(ap, lda, bp, kpairs, cp, ldc, mr, nr, in);
      }
    }
  }
}

}  // namespace npusim::isa::kernels::gemm
