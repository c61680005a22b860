// Internal: exact 8-bit GEMM for the matrix unit.
//
// C[i][j] += sum_k A[i][k] * B[j][k], where A and B hold the zero-point-
// corrected 8-bit operands (x - zp) widened to int16, and C is int32 with
// two's-complement wrap-around (the device's 32-bit accumulator). The AVX2
// path multiplies with vpmaddwd, which sums two exact int16 products into an
// int32 lane; that sum is exact modulo 2^32 for every int16 input, so the
// result is bit-identical to the scalar definition for all inputs.
#pragma once

#include <cstdint>
#include <vector>

namespace npusim::isa::kernels::gemm {

inline constexpr int kMr = 6;    // rows of C per micro-kernel call
inline constexpr int kNr = 16;   // columns of C per micro-kernel call (two 8-lane vectors)
inline constexpr int kKc = 512;  // k elements per cache block (B panel slice = 16 KiB)

// k rounded up to whole pairs: vpmaddwd consumes k two at a time.
inline int64_t padded_k(int64_t k) {
  return (k + 1) & ~int64_t{1};
}

// Whether (x - zp) fits int16 for every 8-bit x of the type; if not, callers
// must use an exact non-GEMM path.
bool zero_point_fits_int16(bool is_signed, int32_t zp);

// dst[i] = x[i] - zp for n 8-bit values (int16 wrap if zp is out of range).
void widen_row(const uint8_t* src, int64_t n, bool is_signed, int32_t zp, int16_t* dst);

// The B operand (n rows of k 8-bit values, row stride ldb bytes) packed for the
// micro-kernel: panels of kNr rows; within a panel, for each k pair p, the
// 2*kNr int16 values {B[j][2p], B[j][2p+1]} for j = 0..kNr-1. Rows beyond n and
// the odd k tail are zero.
struct PackedB {
  int64_t n = 0, kp = 0;
  std::vector<int16_t> data;
  const int16_t* panel(int64_t j_panel) const { return data.data() + j_panel * kp * kNr; }
};
void pack_b(const uint8_t* b, int64_t n, int64_t k, int64_t ldb, bool is_signed, int32_t zp,
            PackedB& out);

enum class Path { kAuto, kScalar, kAvx2 };
// The CPU has AVX2 (and the environment allows it: simd_level.hpp).
bool avx2_available();

// C (int32, row stride ldc elements, at any byte alignment) += A * B^T for
// m rows; or, when `init` is given (n values), C = init (per column) + A * B^T,
// which saves a pass over C. A is int16, row-major with row stride
// lda >= b.kp, its columns [k, b.kp) zero. kAvx2 without AVX2 runs scalar.
void gemm_s16(const int16_t* a, int64_t m, int64_t lda, const PackedB& b, uint8_t* c, int64_t ldc,
              Path path = Path::kAuto, const uint32_t* init = nullptr);

}  // namespace npusim::isa::kernels::gemm
