// Float and int32 matrix products for Conv, MatMul and Gemm: GotoBLAS-style
// blocking (B panels in L2, A panels in L1), packed operands and a
// register-blocked micro-kernel written with GCC vector extensions. With AVX
// the kernel uses 8-wide vectors, otherwise 4-wide; both add the products of
// one output element in the same order (no FMA), so results are bit-identical.
#include <algorithm>
#include <cstring>
#include <vector>

#include "kernel.hpp"

namespace npusim::compiler::ops {
namespace {

constexpr int64_t kKc = 256;   // depth of a packed block
constexpr int64_t kMc = 96;    // rows of a packed A block (multiple of every MR)
constexpr int64_t kNc = 1024;  // columns of a packed B block

using MicroKernel = void (*)(int64_t kc, const float* a, const float* b, float* c, int64_t ldc,
                             int m, int n, bool add);

// acc[MR][NV vectors] += a[k][r] * b[k][:], then C = acc (or C += acc); m x n
// is the valid part of the tile at the matrix edges.
template <typename V, int MR, int NV>
[[gnu::always_inline]] inline void micro_kernel(int64_t kc, const float* a, const float* b,
                                                float* c, int64_t ldc, int m, int n, bool add) {
  constexpr int kLanes = sizeof(V) / sizeof(float);
  constexpr int kNr = kLanes * NV;
  V acc[MR][NV] = {};
  for (int64_t k = 0; k < kc; ++k) {
    V bv[NV];
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) std::memcpy(&bv[v], b + v * kLanes, sizeof(V));
#pragma GCC unroll 8
    for (int r = 0; r < MR; ++r) {
      V ar = V{} + a[r];  // broadcast
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) acc[r][v] += ar * bv[v];
    }
    a += MR;
    b += kNr;
  }
  alignas(64) float tile[MR][kNr];
  std::memcpy(tile, acc, sizeof(tile));
  for (int r = 0; r < m; ++r) {
    float* row = c + r * ldc;
    if (add)
      for (int j = 0; j < n; ++j) row[j] += tile[r][j];
    else
      for (int j = 0; j < n; ++j) row[j] = tile[r][j];
  }
}

typedef float V4 __attribute__((vector_size(16)));
typedef float V8 __attribute__((vector_size(32)));

void kernel_sse(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, int m, int n,
                bool add) {
  micro_kernel<V4, 4, 2>(kc, a, b, c, ldc, m, n, add);
}

[[gnu::target("avx")]] void kernel_avx(int64_t kc, const float* a, const float* b, float* c,
                                       int64_t ldc, int m, int n, bool add) {
  micro_kernel<V8, 6, 2>(kc, a, b, c, ldc, m, n, add);
}

// Rows [0, mc) x depth [0, kc) of A into MR-row panels: ap[(panel * kc + k) * MR + r].
void pack_a(MatView a, int64_t mc, int64_t kc, int mr, float* ap) {
  for (int64_t i0 = 0; i0 < mc; i0 += mr) {
    const int rows = static_cast<int>(std::min<int64_t>(mr, mc - i0));
    for (int64_t k = 0; k < kc; ++k, ap += mr) {
      for (int r = 0; r < rows; ++r) ap[r] = a.p[(i0 + r) * a.rs + k * a.cs];
      for (int r = rows; r < mr; ++r) ap[r] = 0.f;
    }
  }
}

// Depth [0, kc) x columns [0, nc) of B into NR-column panels: bp[(panel * kc + k) * NR + j].
void pack_b(MatView b, int64_t kc, int64_t nc, int nr, float* bp) {
  for (int64_t j0 = 0; j0 < nc; j0 += nr) {
    const int cols = static_cast<int>(std::min<int64_t>(nr, nc - j0));
    for (int64_t k = 0; k < kc; ++k, bp += nr) {
      const float* src = b.p + k * b.rs + j0 * b.cs;
      if (b.cs == 1) {
        std::memcpy(bp, src, static_cast<size_t>(cols) * sizeof(float));
      } else {
        for (int j = 0; j < cols; ++j) bp[j] = src[j * b.cs];
      }
      for (int j = cols; j < nr; ++j) bp[j] = 0.f;
    }
  }
}

struct KernelChoice {
  MicroKernel fn;
  int mr, nr;
};

KernelChoice choose_kernel() {
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx")) return {kernel_avx, 6, 16};
  return {kernel_sse, 4, 8};
}

}  // namespace

void sgemm(int64_t m, int64_t n, int64_t k, MatView a, MatView b, float* c, int64_t ldc,
           bool accumulate) {
  static const KernelChoice kc_choice = choose_kernel();
  const auto [kernel, mr, nr] = kc_choice;
  if (k == 0) {
    if (!accumulate)
      for (int64_t i = 0; i < m; ++i) std::fill(c + i * ldc, c + i * ldc + n, 0.f);
    return;
  }
  // Packing buffers sized for this product (small GEMMs stay cheap), reused
  // across calls of the thread.
  thread_local std::vector<float> ap, bp;
  const int64_t depth = std::min(k, kKc);
  const size_t a_need = static_cast<size_t>((std::min(m, kMc) + mr) * depth);
  const size_t b_need = static_cast<size_t>((std::min(n, kNc) + nr) * depth);
  if (ap.size() < a_need) ap.resize(a_need);
  if (bp.size() < b_need) bp.resize(b_need);
  for (int64_t jc = 0; jc < n; jc += kNc) {
    const int64_t nc = std::min(kNc, n - jc);
    for (int64_t pc = 0; pc < k; pc += kKc) {
      const int64_t kc = std::min(kKc, k - pc);
      pack_b({b.p + pc * b.rs + jc * b.cs, b.rs, b.cs}, kc, nc, nr, bp.data());
      const bool add = accumulate || pc > 0;
      for (int64_t ic = 0; ic < m; ic += kMc) {
        const int64_t mc = std::min(kMc, m - ic);
        pack_a({a.p + ic * a.rs + pc * a.cs, a.rs, a.cs}, mc, kc, mr, ap.data());
        for (int64_t jr = 0; jr < nc; jr += nr)
          for (int64_t ir = 0; ir < mc; ir += mr)
            kernel(kc, ap.data() + ir * kc, bp.data() + jr * kc, c + (ic + ir) * ldc + jc + jr, ldc,
                   static_cast<int>(std::min<int64_t>(mr, mc - ir)),
                   static_cast<int>(std::min<int64_t>(nr, nc - jr)), add);
      }
    }
  }
}

void igemm(int64_t m, int64_t n, int64_t k, const int32_t* a, int64_t lda, const int32_t* b,
           int64_t ldb, int32_t* c, int64_t ldc) {
  // Column blocks keep a K x 256 slab of B in L2 while every row of A passes.
  constexpr int64_t kBlock = 256;
  for (int64_t j0 = 0; j0 < n; j0 += kBlock) {
    const int64_t nb = std::min(kBlock, n - j0);
    for (int64_t i = 0; i < m; ++i) {
      int32_t* crow = c + i * ldc + j0;
      for (int64_t p = 0; p < k; ++p) {
        const int32_t av = a[i * lda + p];
        if (av == 0) continue;
        const int32_t* brow = b + p * ldb + j0;
        for (int64_t j = 0; j < nb; ++j) crow[j] += av * brow[j];
      }
    }
  }
}

}  // namespace npusim::compiler::ops
