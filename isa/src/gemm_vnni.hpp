// Internal: exact 8-bit GEMM with AVX-512 VNNI (vpdpbusd), for CPUs that have it.
//
// C[i][j] += sum_k (x[i][k] - zx) * (w[j][k] - zw) with C in int32 wrap-around.
// vpdpbusd multiplies unsigned by signed bytes and adds groups of four exact
// products into int32 lanes (modulo 2^32, no saturation). A holds the raw
// activations x (either signedness), four bytes broadcast per row; B holds
// the weights stored with the other signedness, b = w - cb (cb = 0, +128 or
// -128), so vpdpbusd(u8, s8) gives sum x*b exactly. Then, over the k range
// padded to a multiple of four with x = zx in the padding (terms that vanish),
//   sum (x - zx)(w - zw) = sum x*b + bw * sum x - zx * sum b - kp * zx * bw
// with bw = cb - zw: a per-column constant (packed with B) and, when bw != 0,
// a per-row term from the row sums of A. Everything is modulo 2^32, like the
// device's accumulator, so the result equals the definition bit for bit.
#pragma once

#include <cstdint>
#include <vector>

namespace npusim::isa::kernels::gemm {

inline constexpr int kVnniMr = 8;   // rows of C per micro-kernel call
inline constexpr int kVnniNr = 32;  // columns per micro-kernel call (two 16-lane vectors)

// k rounded up to whole groups of four.
inline int64_t padded_k4(int64_t k) {
  return (k + 3) & ~int64_t{3};
}

// The CPU has AVX-512 VNNI (and the environment allows AVX-512).
bool vnni_available();

// Whether the VNNI form applies: the activations' zero point must be a value
// of their type (it fills the padding).
bool vnni_applies(bool a_signed, int32_t a_zp);

// B: n rows of k weights (row stride ldw bytes), packed for activations of the
// given type and zero point: panels of kVnniNr columns, per k-quad 4 bytes of
// each column; columns beyond n and the k tail hold 0.
struct PackedB8 {
  int64_t n = 0, kp = 0;
  bool a_signed = false;
  uint32_t bw = 0;            // cb - zw modulo 2^32: the row sums' factor
  std::vector<uint8_t> data;  // panels of kp * kVnniNr bytes
  std::vector<uint32_t> col;  // per column: -zx * sum b - kp * zx * bw (padded to the panels)
  const uint8_t* panel(int64_t j_panel) const { return data.data() + j_panel * kp * kVnniNr; }
};
void pack_b8(const uint8_t* w, int64_t n, int64_t k, int64_t ldw, bool w_signed, int32_t w_zp,
             bool a_signed, int32_t a_zp, PackedB8& out);

// out[i] = bw * (sum of the kp values of row i of A), modulo 2^32; all zero
// when bw is 0. A's rows are raw 8-bit values of the packed type.
void row_terms(const uint8_t* a, int64_t m, int64_t lda, const PackedB8& b, uint32_t* out);

// C (int32 at any byte alignment, row stride ldc elements) = (init[j], or C
// when init is null) + sum_k x*b + col[j] + rows[i], for m rows. A: m rows of
// b.kp bytes, row stride lda. Requires vnni_available().
void gemm_u8s8(const uint8_t* a, int64_t m, int64_t lda, const PackedB8& b, const uint32_t* rows,
               uint8_t* c, int64_t ldc, const uint32_t* init);

}  // namespace npusim::isa::kernels::gemm
