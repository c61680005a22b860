// Unit tests of the device's int8 arithmetic (docs/int8.md).
#include "npusim/isa/int8.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <iostream>
#include <limits>
#include <random>
#include <stdexcept>
#include <vector>

namespace npusim::isa {
namespace {

constexpr int64_t kI64Max = std::numeric_limits<int64_t>::max();
constexpr int64_t kI64Min = std::numeric_limits<int64_t>::min();

// The multiplier for an exact power-of-two scale 2^e: mult = 2^30, shift = e + 1.
FixedMultiplier pow2(int e) {
  return {1 << 30, e + 1};
}

// Independent oracle: x * mult * 2^(shift-31) is exact in long double for
// |x| < 2^32 (64-bit mantissa), and nearbyintl rounds half to even.
int64_t requantize_oracle(int64_t x, int32_t mult, int32_t shift) {
  const long double v = std::ldexp(static_cast<long double>(x) * mult, shift - 31);
  return static_cast<int64_t>(std::nearbyintl(v));
}

double value_of(FixedMultiplier m) {
  return std::ldexp(static_cast<double>(m.mult), m.shift - 31);
}

TEST(QuantizeMultiplier, RelativeErrorBelow2PowMinus30AcrossScales) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> log10_scale(-6.0, 3.0);
  std::vector<double> scales = {1e-6, 1e-3, 0.1, 0.5, 1.0, 1.5, 3.0, 1e3};
  for (int i = 0; i < 20000; ++i) scales.push_back(std::pow(10.0, log10_scale(rng)));
  for (double s : scales) {
    const FixedMultiplier m = quantize_multiplier(s);
    ASSERT_GE(m.mult, 1 << 30) << s;
    ASSERT_LE(m.mult, std::numeric_limits<int32_t>::max()) << s;
    ASSERT_LT(std::fabs(value_of(m) - s) / s, std::ldexp(1.0, -30)) << s;
  }
}

TEST(QuantizeMultiplier, PowersOfTwoAreExact) {
  for (int e = -31; e <= 29; ++e) {
    const FixedMultiplier m = quantize_multiplier(std::ldexp(1.0, e));
    EXPECT_EQ(m.mult, 1 << 30) << e;
    EXPECT_EQ(m.shift, e + 1) << e;
  }
}

TEST(QuantizeMultiplier, RoundingUpToOneRenormalises) {
  // fraction * 2^31 rounds to 2^31: must become 2^30 with the next shift.
  const FixedMultiplier m = quantize_multiplier(1.0 - std::ldexp(1.0, -33));
  EXPECT_EQ(m.mult, 1 << 30);
  EXPECT_EQ(m.shift, 1);
}

TEST(QuantizeMultiplier, ZeroTinyAndInvalidScales) {
  EXPECT_EQ(quantize_multiplier(0.0).mult, 0);
  EXPECT_EQ(quantize_multiplier(0.0).shift, 0);
  // Below 2^-32, x * scale < 0.5 for any int32 accumulator: zero is exact.
  EXPECT_EQ(quantize_multiplier(std::ldexp(1.0, -40)).mult, 0);
  EXPECT_THROW(quantize_multiplier(-1e-3), std::invalid_argument);
  EXPECT_THROW(quantize_multiplier(std::nan("")), std::invalid_argument);
  EXPECT_THROW(quantize_multiplier(INFINITY), std::invalid_argument);
  EXPECT_THROW(quantize_multiplier(std::ldexp(1.0, 31)), std::invalid_argument);
}

// Exact ties round to the even neighbour, on both sides of zero.
TEST(Requantize, TiesRoundHalfToEven) {
  const FixedMultiplier half = pow2(-1);  // exactly 0.5
  const std::vector<std::pair<int64_t, int64_t>> table = {
      {1, 0},   {3, 2},   {5, 2},   {7, 4}, {9, 4}, {-1, 0},  {-3, -2},
      {-5, -2}, {-7, -4}, {-9, -4}, {0, 0}, {2, 1}, {-2, -1}, {255, 128},
  };
  for (const auto& [x, want] : table) EXPECT_EQ(requantize(x, half.mult, half.shift), want) << x;
  const FixedMultiplier quarter = pow2(-2);  // 0.25: ties at x = 2 mod 4
  EXPECT_EQ(requantize(2, quarter.mult, quarter.shift), 0);
  EXPECT_EQ(requantize(6, quarter.mult, quarter.shift), 2);
  EXPECT_EQ(requantize(-6, quarter.mult, quarter.shift), -2);
  EXPECT_EQ(requantize(-10, quarter.mult, quarter.shift), -2);
  EXPECT_EQ(requantize(3, quarter.mult, quarter.shift), 1);    // 0.75
  EXPECT_EQ(requantize(-3, quarter.mult, quarter.shift), -1);  // -0.75
  EXPECT_EQ(requantize(5, quarter.mult, quarter.shift), 1);    // 1.25
}

TEST(Requantize, MatchesLongDoubleOracle) {
  std::mt19937_64 rng(11);
  std::uniform_int_distribution<int64_t> acc(INT32_MIN, INT32_MAX);
  std::uniform_int_distribution<int32_t> mult(1 << 30, INT32_MAX);
  std::uniform_int_distribution<int32_t> shift(-31, 30);
  for (int i = 0; i < 200000; ++i) {
    const int64_t x = acc(rng) >> (i % 24);  // many small accumulators too
    const int32_t m = mult(rng), s = shift(rng);
    ASSERT_EQ(requantize(x, m, s), requantize_oracle(x, m, s)) << x << " " << m << " " << s;
  }
}

TEST(Requantize, ScaleAboveOneAndSaturatingRange) {
  const FixedMultiplier m = quantize_multiplier(3.0);
  EXPECT_EQ(requantize(1000, m.mult, m.shift), 3000);
  EXPECT_EQ(requantize(-1000, m.mult, m.shift), -3000);
  const FixedMultiplier big = quantize_multiplier(std::ldexp(1.0, 30) - 1.0);
  EXPECT_EQ(requantize(kI64Max, big.mult, big.shift), kI64Max);  // clamps, no wrap
  EXPECT_EQ(requantize(kI64Min, big.mult, big.shift), kI64Min);
}

// Shifts from requantisation parameters a program put in SRAM can be far
// outside what quantize_multiplier gives: they saturate or round to 0, with
// no undefined shift (UBSan checks this test).
TEST(Requantize, ShiftsOutsideTheMultipliersRangeSaturate) {
  for (const int32_t s : {31, 40}) {  // scale 2^(s-1): exact
    EXPECT_EQ(requantize(1, 1 << 30, s), int64_t{1} << (s - 1)) << s;
    EXPECT_EQ(requantize(-5, 1 << 30, s), -5 * (int64_t{1} << (s - 1))) << s;
    EXPECT_EQ(requantize_div(3, 1 << 30, s, 2), 3 * (int64_t{1} << (s - 2))) << s;
  }
  for (const int32_t s : {96, 127, 128, 1000, INT32_MAX}) {  // beyond 64 bits: saturates
    EXPECT_EQ(requantize(1, 1 << 30, s), kI64Max) << s;
    EXPECT_EQ(requantize(-5, 1 << 30, s), kI64Min) << s;
    EXPECT_EQ(requantize(0, 1 << 30, s), 0) << s;
    EXPECT_EQ(requantize_div(3, 1 << 30, s, 2), kI64Max) << s;
  }
  for (const int32_t s : {-100, -1000, INT32_MIN}) {  // below 2^-94: rounds to 0
    EXPECT_EQ(requantize(kI64Max, INT32_MAX, s), 0) << s;
    EXPECT_EQ(requantize_div(kI64Max, INT32_MAX, s, 3), 0) << s;
  }
}

TEST(RequantizeDiv, TiesAndAveragePool) {
  const FixedMultiplier one = pow2(0);
  EXPECT_EQ(requantize_div(10, one.mult, one.shift, 4), 2);    // 2.5
  EXPECT_EQ(requantize_div(14, one.mult, one.shift, 4), 4);    // 3.5
  EXPECT_EQ(requantize_div(-10, one.mult, one.shift, 4), -2);  // -2.5
  EXPECT_EQ(requantize_div(-14, one.mult, one.shift, 4), -4);  // -3.5
  EXPECT_EQ(requantize_div(11, one.mult, one.shift, 4), 3);    // 2.75
  EXPECT_EQ(requantize_div(-11, one.mult, one.shift, 4), -3);
  EXPECT_EQ(requantize_div(1, one.mult, one.shift, 3), 0);
  EXPECT_EQ(requantize_div(2, one.mult, one.shift, 3), 1);
  // Scale and count together: 9 * 0.5 / 9 = 0.5 -> 0; 27 * 0.5 / 9 = 1.5 -> 2.
  const FixedMultiplier half = pow2(-1);
  EXPECT_EQ(requantize_div(9, half.mult, half.shift, 9), 0);
  EXPECT_EQ(requantize_div(27, half.mult, half.shift, 9), 2);
  EXPECT_EQ(requantize_div(-27, half.mult, half.shift, 9), -2);
  EXPECT_THROW(requantize_div(1, one.mult, one.shift, 0), std::invalid_argument);
  EXPECT_THROW(requantize_div(1, one.mult, one.shift, -2), std::invalid_argument);
}

// Dividing by one is requantize; a unit scale is div_round_half_even.
TEST(RequantizeDiv, ConsistentWithRequantizeAndDivision) {
  std::mt19937_64 rng(5);
  std::uniform_int_distribution<int64_t> acc(-(int64_t(1) << 40), int64_t(1) << 40);
  std::uniform_int_distribution<int32_t> mult(1 << 30, INT32_MAX);
  std::uniform_int_distribution<int32_t> shift(-31, 30);
  std::uniform_int_distribution<int64_t> div(1, 1 << 16);
  const FixedMultiplier one = pow2(0);
  for (int i = 0; i < 100000; ++i) {
    const int64_t x = acc(rng), d = div(rng);
    const int32_t m = mult(rng), s = shift(rng);
    ASSERT_EQ(requantize_div(x, m, s, 1), requantize(x, m, s));
    ASSERT_EQ(requantize_div(x, one.mult, one.shift, d), div_round_half_even(x, d))
        << x << "/" << d;
  }
}

TEST(DivRoundHalfEven, Table) {
  struct Row {
    int64_t num, den, want;
  };
  const std::vector<Row> rows = {
      {7, 2, 4},   {5, 2, 2},   {3, 2, 2},    {1, 2, 0},     {-1, 2, 0},
      {-3, 2, -2}, {-5, 2, -2}, {-7, 2, -4},  {5, -2, -2},   {-5, -2, 2},
      {7, -2, -4}, {0, 5, 0},   {1, 3, 0},    {2, 3, 1},     {-2, 3, -1},
      {-1, 3, 0},  {10, 4, 2},  {14, 4, 4},   {6, 4, 2},     {9, 4, 2},
      {11, 4, 3},  {-9, 4, -2}, {-11, 4, -3}, {100, 1, 100}, {-100, -1, 100},
  };
  for (const auto& r : rows)
    EXPECT_EQ(div_round_half_even(r.num, r.den), r.want) << r.num << "/" << r.den;
  EXPECT_THROW(div_round_half_even(1, 0), std::invalid_argument);
}

// Near the int64 limits: no overflow in the remainder test or the negation.
TEST(DivRoundHalfEven, ExtremeOperands) {
  EXPECT_EQ(div_round_half_even(int64_t(1) << 62, kI64Max), 1);  // just above one half
  EXPECT_EQ(div_round_half_even(-(int64_t(1) << 62), kI64Max), -1);
  EXPECT_EQ(div_round_half_even(kI64Max, kI64Max), 1);
  EXPECT_EQ(div_round_half_even(kI64Min, kI64Min), 1);
  EXPECT_EQ(div_round_half_even(kI64Min, 2), kI64Min / 2);
  EXPECT_EQ(div_round_half_even(1, kI64Min), 0);
  EXPECT_EQ(div_round_half_even(kI64Min, -1), kI64Max);  // saturates like requantize
}

TEST(Saturate, ClampsToBounds) {
  EXPECT_EQ(saturate(200, -128, 127), 127);
  EXPECT_EQ(saturate(-200, -128, 127), -128);
  EXPECT_EQ(saturate(5, -128, 127), 5);
  EXPECT_EQ(saturate(kI64Max, 0, 255), 255);
  EXPECT_EQ(saturate(kI64Min, 0, 255), 0);
  EXPECT_EQ(qmin(true), -128);
  EXPECT_EQ(qmax(true), 127);
  EXPECT_EQ(qmin(false), 0);
  EXPECT_EQ(qmax(false), 255);
}

TEST(RequantizeTo8Bit, ZeroPointAndSaturation) {
  const FixedMultiplier half = pow2(-1);
  EXPECT_EQ(requantize_to_8bit(5, half, 10, true), 12);   // 2.5 -> 2, + 10
  EXPECT_EQ(requantize_to_8bit(7, half, -10, true), -6);  // 3.5 -> 4, - 10
  EXPECT_EQ(requantize_to_8bit(1000, half, 0, true), 127);
  EXPECT_EQ(requantize_to_8bit(-1000, half, 0, true), -128);
  EXPECT_EQ(requantize_to_8bit(1000, half, 0, false), 255);
  EXPECT_EQ(requantize_to_8bit(-1000, half, 128, false), 0);
  EXPECT_EQ(requantize_to_8bit(-20, half, 128, false), 118);
}

// Accumulators far beyond int32 (or a large scale) must saturate, not wrap
// when the zero point is added.
TEST(RequantizeTo8Bit, HugeAccumulatorSaturates) {
  const FixedMultiplier big = quantize_multiplier(1000.0);
  EXPECT_EQ(requantize_to_8bit(kI64Max, big, 5, true), 127);
  EXPECT_EQ(requantize_to_8bit(kI64Min, big, -5, true), -128);
  EXPECT_EQ(requantize_to_8bit(kI64Max, big, 255, false), 255);
  EXPECT_EQ(requantize_to_8bit(kI64Min, big, 0, false), 0);
}

// The fixed-point multiplier against ONNX's float definition (double scale,
// round half to even) on random accumulators and scales: at most 1 LSB apart,
// and how often they differ is printed for docs/int8.md.
TEST(RequantizeTo8Bit, FixedPointWithinOneLsbOfFloat) {
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> log10_scale(-5.0, 0.0);
  std::uniform_int_distribution<int64_t> acc(-(1 << 20), 1 << 20);
  std::uniform_int_distribution<int32_t> zp(-128, 127);
  int64_t exact = 0, off = 0;
  for (int i = 0; i < 1'000'000; ++i) {
    const double scale = std::pow(10.0, log10_scale(rng));
    const int64_t a = acc(rng);
    const int32_t z = zp(rng);
    const double ref = std::clamp(std::nearbyint(double(a) * scale) + z, -128.0, 127.0);
    const int32_t got = requantize_to_8bit(a, quantize_multiplier(scale), z, true);
    ASSERT_LE(std::fabs(got - ref), 1.0) << a << " * " << scale;
    (got == ref ? exact : off) += 1;
  }
  RecordProperty("exact", static_cast<int>(exact));
  RecordProperty("off_by_one", static_cast<int>(off));
  std::cout << "random requantisations: " << exact << " exact, " << off << " off by one\n";
}

// Where the two definitions part: 15 * 0.1 is a tie in real numbers. In
// double, 15 * 0.1 rounds to exactly 1.5 (-> 2); the 31-bit multiplier of 0.1
// rounds down, so the device sees 1.4999999... (-> 1).
TEST(RequantizeTo8Bit, KnownOneLsbDifferenceAtDecimalTies) {
  const FixedMultiplier m = quantize_multiplier(0.1);
  EXPECT_EQ(std::nearbyint(15 * 0.1), 2.0);
  EXPECT_EQ(requantize_to_8bit(15, m, 0, true), 1);
  EXPECT_EQ(requantize_to_8bit(25, m, 0, true), 2);  // 2.5: both round to even 2
}

// Scales with few decimal digits make ties common: the worst case for the
// fixed-point form. Counted for docs/int8.md.
TEST(RequantizeTo8Bit, DecimalScalesWithinOneLsbOfFloat) {
  int64_t exact = 0, off = 0;
  for (int n = 1; n <= 1000; ++n) {
    const double scale = n / 1000.0;
    const FixedMultiplier m = quantize_multiplier(scale);
    for (int64_t a = -2000; a <= 2000; ++a) {
      const double ref = std::clamp(std::nearbyint(double(a) * scale), -128.0, 127.0);
      const int32_t got = requantize_to_8bit(a, m, 0, true);
      ASSERT_LE(std::fabs(got - ref), 1.0) << a << " * " << scale;
      (got == ref ? exact : off) += 1;
    }
  }
  RecordProperty("exact", static_cast<int>(exact));
  RecordProperty("off_by_one", static_cast<int>(off));
  std::cout << "decimal scales n/1000: " << exact << " exact, " << off << " off by one\n";
}

TEST(RequantizeTo8Bit, ClampsIntersectWith8BitRange) {
  const FixedMultiplier one = pow2(0);
  // Fused ReLU: clamp_lo = zero point.
  EXPECT_EQ(requantize_to_8bit(-50, one, 3, true, 3, 127), 3);
  EXPECT_EQ(requantize_to_8bit(50, one, 3, true, 3, 127), 53);
  // ReLU6-style upper clamp.
  EXPECT_EQ(requantize_to_8bit(100, one, 0, true, 0, 60), 60);
  // Clamps wider than the type change nothing.
  EXPECT_EQ(requantize_to_8bit(1000, one, 0, false, -1000, 1000), 255);
  EXPECT_EQ(requantize_to_8bit(-1000, one, 0, true, -1000, 1000), -128);
  // Defaults are the full 16-bit range: the type range decides.
  EXPECT_EQ(requantize_to_8bit(300, one, 0, true), 127);
}

TEST(ZeroScale, GivesTheZeroPoint) {
  const FixedMultiplier zero = quantize_multiplier(0.0);
  EXPECT_EQ(requantize(123456789, zero.mult, zero.shift), 0);
  EXPECT_EQ(requantize_div(-123456789, zero.mult, zero.shift, 7), 0);
  EXPECT_EQ(requantize_to_8bit(123456789, zero, 17, true), 17);
  EXPECT_EQ(requantize_to_8bit(-123456789, zero, 200, false), 200);
  EXPECT_EQ(dequantize_linear(77, 0.0f, 3), 0.0f);
  // QuantizeLinear divides by the scale: +-inf saturates to the type range.
  EXPECT_EQ(quantize_linear(1.0f, 0.0f, 0, true), 127);
  EXPECT_EQ(quantize_linear(-1.0f, 0.0f, 0, true), -128);
}

TEST(QuantizeLinear, RoundHalfToEvenAndSaturation) {
  EXPECT_EQ(quantize_linear(2.5f, 1.0f, 0, true), 2);
  EXPECT_EQ(quantize_linear(3.5f, 1.0f, 0, true), 4);
  EXPECT_EQ(quantize_linear(-2.5f, 1.0f, 0, true), -2);
  EXPECT_EQ(quantize_linear(-3.5f, 1.0f, 0, true), -4);
  EXPECT_EQ(quantize_linear(1.0f, 2.0f, 128, false), 128);  // 0.5 -> 0
  EXPECT_EQ(quantize_linear(3.0f, 2.0f, 128, false), 130);  // 1.5 -> 2
  EXPECT_EQ(quantize_linear(1000.0f, 2.0f, 128, false), 255);
  EXPECT_EQ(quantize_linear(-1000.0f, 2.0f, 128, false), 0);
  EXPECT_EQ(quantize_linear(1e30f, 1e-3f, 0, true), 127);
  EXPECT_EQ(quantize_linear(-1e30f, 1e-3f, 0, true), -128);
  EXPECT_EQ(quantize_linear(0.0f, 0.1f, -5, true), -5);
}

TEST(DequantizeLinear, Basic) {
  EXPECT_EQ(dequantize_linear(0, 2.0f, 128), -256.0f);
  EXPECT_EQ(dequantize_linear(255, 2.0f, 128), 254.0f);
  EXPECT_EQ(dequantize_linear(-128, 0.5f, 0), -64.0f);
  EXPECT_EQ(dequantize_linear(1 << 20, 1.0f, 0), 1048576.0f);  // int32 inputs
}

// quantize(dequantize(q)) is the identity for every 8-bit value.
TEST(QuantizeLinear, InvertsDequantize) {
  for (bool is_signed : {true, false}) {
    const int32_t zp = is_signed ? -3 : 131;
    for (int32_t q = qmin(is_signed); q <= qmax(is_signed); ++q)
      ASSERT_EQ(quantize_linear(dequantize_linear(q, 0.037f, zp), 0.037f, zp, is_signed), q);
  }
}

}  // namespace
}  // namespace npusim::isa
