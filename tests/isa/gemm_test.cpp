// The internal exact int8 GEMM: both micro-kernels against a plain int64 loop,
// on adversarial extremes (where the int32 accumulator wraps) and odd shapes.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "../../isa/src/gemm_int8.hpp"
#include "../../isa/src/gemm_vnni.hpp"

namespace npusim::isa::kernels::gemm {
namespace {

struct Operand {
  std::vector<uint8_t> data;  // rows x cols 8-bit values
  int64_t rows, cols;
  bool is_signed;
  int32_t zp;
  int32_t at(int64_t r, int64_t c) const {
    const uint8_t v = data[r * cols + c];
    return (is_signed ? static_cast<int8_t>(v) : v) - zp;
  }
};

Operand random_operand(std::mt19937& rng, int64_t rows, int64_t cols, bool is_signed, int32_t zp) {
  Operand o{std::vector<uint8_t>(rows * cols), rows, cols, is_signed, zp};
  for (auto& v : o.data) v = static_cast<uint8_t>(rng());
  return o;
}

Operand constant_operand(int64_t rows, int64_t cols, uint8_t v, bool is_signed, int32_t zp) {
  return Operand{std::vector<uint8_t>(rows * cols, v), rows, cols, is_signed, zp};
}

// C (int32 with two's-complement wrap) = c0 + A * B^T, by definition.
std::vector<int32_t> reference(const Operand& a, const Operand& b, int32_t c0) {
  std::vector<int32_t> c(a.rows * b.rows);
  for (int64_t i = 0; i < a.rows; ++i)
    for (int64_t j = 0; j < b.rows; ++j) {
      int64_t sum = c0;
      for (int64_t k = 0; k < a.cols; ++k) sum += int64_t{a.at(i, k)} * b.at(j, k);
      c[i * b.rows + j] = static_cast<int32_t>(static_cast<uint32_t>(sum));
    }
  return c;
}

// Runs gemm_s16 with C at an odd byte offset inside a wider matrix (ldc > n),
// checking the result and that the columns beyond n are untouched.
std::vector<int32_t> run(const Operand& a, const Operand& b, int32_t c0, Path path) {
  const int64_t m = a.rows, n = b.rows, k = a.cols;
  PackedB pb;
  pack_b(b.data.data(), n, k, k, b.is_signed, b.zp, pb);
  std::vector<int16_t> a16(m * pb.kp, 0);
  for (int64_t i = 0; i < m; ++i)
    widen_row(a.data.data() + i * k, k, a.is_signed, a.zp, a16.data() + i * pb.kp);
  const int64_t ldc = n + 3;
  std::vector<uint8_t> cbuf(1 + 4 * m * ldc);
  for (int64_t i = 0; i < m * ldc; ++i) std::memcpy(&cbuf[1 + 4 * i], &c0, 4);
  gemm_s16(a16.data(), m, pb.kp, pb, cbuf.data() + 1, ldc, path);
  std::vector<int32_t> c(m * n);
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) std::memcpy(&c[i * n + j], &cbuf[1 + 4 * (i * ldc + j)], 4);
    for (int64_t j = n; j < ldc; ++j) {
      int32_t v;
      std::memcpy(&v, &cbuf[1 + 4 * (i * ldc + j)], 4);
      EXPECT_EQ(v, c0) << "column " << j << " beyond n was written";
    }
  }
  return c;
}

// The VNNI GEMM the same way: A's rows padded to a multiple of four bytes
// with the zero point (as the convolution's im2col does); `init` (n values)
// replaces C's contents when given.
std::vector<int32_t> run_vnni(const Operand& a, const Operand& b, int32_t c0,
                              const std::vector<uint32_t>* init = nullptr) {
  const int64_t m = a.rows, n = b.rows, k = a.cols;
  PackedB8 pb;
  pack_b8(b.data.data(), n, k, k, b.is_signed, b.zp, a.is_signed, a.zp, pb);
  std::vector<uint8_t> a8(m * pb.kp, static_cast<uint8_t>(a.zp));
  // copy_n, not memcpy(&a8[..], &a.data[..]): with k = 0 both vectors are
  // empty, and operator[] on them or memcpy from null is undefined behaviour
  for (int64_t i = 0; i < m; ++i) std::copy_n(a.data.data() + i * k, k, a8.data() + i * pb.kp);
  std::vector<uint32_t> rows(m);
  row_terms(a8.data(), m, pb.kp, pb, rows.data());
  const int64_t ldc = n + 3;
  std::vector<uint8_t> cbuf(1 + 4 * m * ldc);
  for (int64_t i = 0; i < m * ldc; ++i) std::memcpy(&cbuf[1 + 4 * i], &c0, 4);
  gemm_u8s8(a8.data(), m, pb.kp, pb, rows.data(), cbuf.data() + 1, ldc,
            init ? init->data() : nullptr);
  std::vector<int32_t> c(m * n);
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) std::memcpy(&c[i * n + j], &cbuf[1 + 4 * (i * ldc + j)], 4);
    for (int64_t j = n; j < ldc; ++j) {
      int32_t v;
      std::memcpy(&v, &cbuf[1 + 4 * (i * ldc + j)], 4);
      EXPECT_EQ(v, c0) << "column " << j << " beyond n was written";
    }
  }
  return c;
}

void expect_exact(const Operand& a, const Operand& b, int32_t c0 = 0) {
  const auto want = reference(a, b, c0);
  EXPECT_EQ(run(a, b, c0, Path::kScalar), want) << "scalar path";
  if (avx2_available()) {
    EXPECT_EQ(run(a, b, c0, Path::kAvx2), want) << "avx2 path";
  }
  if (vnni_available() && vnni_applies(a.is_signed, a.zp)) {
    EXPECT_EQ(run_vnni(a, b, c0), want) << "vnni path";
  }
}

TEST(Gemm, ZeroPointRangeForInt16) {
  EXPECT_TRUE(zero_point_fits_int16(false, 255));
  EXPECT_TRUE(zero_point_fits_int16(true, -128));
  EXPECT_TRUE(zero_point_fits_int16(false, -32512));  // 255 + 32512 = 32767
  EXPECT_FALSE(zero_point_fits_int16(false, -32513));
  EXPECT_TRUE(zero_point_fits_int16(true, 32640));  // -128 - 32640 = -32768
  EXPECT_FALSE(zero_point_fits_int16(true, 32641));
}

TEST(Gemm, WidenRowSubtractsZeroPoint) {
  const uint8_t src[4] = {0, 127, 128, 255};
  int16_t out[4];
  widen_row(src, 4, true, -3, out);
  EXPECT_EQ(out[0], 3);
  EXPECT_EQ(out[1], 130);
  EXPECT_EQ(out[2], -125);
  EXPECT_EQ(out[3], 2);
  widen_row(src, 4, false, 255, out);
  EXPECT_EQ(out[0], -255);
  EXPECT_EQ(out[3], 0);
}

// (x - zp) = -255 and (w - zp) = +-255: the largest products; k large enough
// that the int32 sum wraps (65025 * 40000 > 2^31).
TEST(Gemm, AdversarialExtremesWrapLikeInt32) {
  const int64_t k = 40000;
  const Operand a = constant_operand(7, k, 0x80, true, 127);       // -128 - 127 = -255
  const Operand b_pos = constant_operand(17, k, 0xff, false, 0);   // 255
  const Operand b_neg = constant_operand(17, k, 0x80, true, 127);  // -255
  expect_exact(a, b_pos);
  expect_exact(a, b_neg, -5);
}

TEST(Gemm, AlternatingExtremes) {
  // Mixed signs within each vpmaddwd pair exercise both halves of the pair sum.
  const int64_t m = 13, n = 33, k = 1201;
  Operand a = constant_operand(m, k, 0, false, 255);
  Operand b = constant_operand(n, k, 0, true, 127);
  for (int64_t i = 0; i < m * k; ++i) a.data[i] = (i % 3) ? 255 : 0;      // 0 or -255
  for (int64_t i = 0; i < n * k; ++i) b.data[i] = (i % 2) ? 0x80 : 0x7f;  // -255 or 0
  expect_exact(a, b, 123456789);
}

TEST(Gemm, RandomOddShapesAllSignednesses) {
  std::mt19937 rng(1234);
  const int64_t sizes[][3] = {{1, 1, 1},     {1, 16, 2},  {6, 16, 512},  {5, 15, 511}, {7, 17, 513},
                              {13, 3, 1025}, {19, 31, 7}, {6, 32, 1030}, {2, 48, 64},  {25, 20, 3}};
  for (const auto& s : sizes) {
    for (int signs = 0; signs < 4; ++signs) {
      const bool as = signs & 1, bs = signs & 2;
      SCOPED_TRACE(testing::Message() << "m=" << s[0] << " n=" << s[1] << " k=" << s[2]
                                      << " a_signed=" << as << " b_signed=" << bs);
      const Operand a = random_operand(rng, s[0], s[2], as, as ? -7 : 131);
      const Operand b = random_operand(rng, s[1], s[2], bs, bs ? 3 : 200);
      expect_exact(a, b, static_cast<int32_t>(rng()));
    }
  }
}

// With an initial row, C's previous contents are ignored: C = init + A * B^T.
TEST(Gemm, InitialRowReplacesC) {
  std::mt19937 rng(99);
  for (const int64_t k : {0, 3, 600, 1500}) {  // 0: no products; 1500: several k slices
    SCOPED_TRACE(testing::Message() << "k=" << k);
    const int64_t m = 8, n = 21, ldc = n + 2;
    const Operand a = random_operand(rng, m, k, true, -1);
    const Operand b = random_operand(rng, n, k, false, 128);
    std::vector<uint32_t> init(n);
    for (auto& v : init) v = rng();
    PackedB pb;
    pack_b(b.data.data(), n, k, k, b.is_signed, b.zp, pb);
    std::vector<int16_t> a16(m * std::max<int64_t>(pb.kp, 1), 0);
    for (int64_t i = 0; i < m; ++i)
      widen_row(a.data.data() + i * k, k, a.is_signed, a.zp, a16.data() + i * pb.kp);
    const auto product = reference(a, b, 0);
    for (Path path : {Path::kScalar, Path::kAvx2}) {
      std::vector<uint8_t> c(4 * m * ldc, 0xab);
      gemm_s16(a16.data(), m, pb.kp, pb, c.data(), ldc, path, init.data());
      for (int64_t i = 0; i < m; ++i)
        for (int64_t j = 0; j < ldc; ++j) {
          uint32_t got;
          std::memcpy(&got, &c[4 * (i * ldc + j)], 4);
          const uint32_t want =
              j < n ? init[j] + static_cast<uint32_t>(product[i * n + j]) : 0xabababab;
          ASSERT_EQ(got, want) << "i=" << i << " j=" << j;
        }
    }
  }
}

TEST(Gemm, VnniAppliesToZeroPointsOfTheType) {
  EXPECT_TRUE(vnni_applies(true, -128));
  EXPECT_TRUE(vnni_applies(true, 127));
  EXPECT_FALSE(vnni_applies(true, 128));
  EXPECT_TRUE(vnni_applies(false, 0));
  EXPECT_TRUE(vnni_applies(false, 255));
  EXPECT_FALSE(vnni_applies(false, -1));
}

// Every pairing of signednesses and zero points at the ends of the range
// (the packed weights flip, the row sums' factor is nonzero or zero), with
// and without an initial row, k across several slices.
TEST(Gemm, VnniEveryZeroPointPairing) {
  if (!vnni_available()) GTEST_SKIP() << "the CPU has no AVX-512 VNNI";
  std::mt19937 rng(77);
  for (int signs = 0; signs < 4; ++signs)
    for (int32_t za : {0, 1, 255, 127})
      for (int32_t zb : {0, -3, 128, -128, 300, -32768}) {
        const bool as = signs & 1, bs = signs & 2;
        const int32_t a_zp = as ? za - 128 : za;
        SCOPED_TRACE(testing::Message() << "a_signed=" << as << " b_signed=" << bs
                                        << " a_zp=" << a_zp << " b_zp=" << zb);
        const Operand a = random_operand(rng, 11, 1031, as, a_zp);
        const Operand b = random_operand(rng, 37, 1031, bs, zb);
        const int32_t c0 = static_cast<int32_t>(rng());
        EXPECT_EQ(run_vnni(a, b, c0), reference(a, b, c0));
        std::vector<uint32_t> init(37);
        for (auto& v : init) v = rng();
        const auto product = reference(a, b, 0);
        const auto got = run_vnni(a, b, c0, &init);
        for (int64_t i = 0; i < 11; ++i)
          for (int64_t j = 0; j < 37; ++j)
            ASSERT_EQ(static_cast<uint32_t>(got[i * 37 + j]),
                      init[j] + static_cast<uint32_t>(product[i * 37 + j]))
                << "init, i=" << i << " j=" << j;
      }
}

TEST(Gemm, EmptyKLeavesC) {
  const Operand a = constant_operand(3, 0, 0, true, 0);
  const Operand b = constant_operand(5, 0, 0, true, 0);
  expect_exact(a, b, 42);
}

}  // namespace
}  // namespace npusim::isa::kernels::gemm
