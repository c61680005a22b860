// The vectorised output stage (isa/src/output_stage.*) against the scalar
// definition, isa::requantize_to_8bit, at every SIMD level the CPU offers:
// accumulator extremes, exact ties, every shift (inside and outside the
// vectorised range), negative and extreme multipliers, zero points, clamps
// (also clamp_lo > clamp_hi) and per-position multipliers with offsets.
#include <gtest/gtest.h>

#include <climits>
#include <cstdint>
#include <random>
#include <vector>

#include "../../isa/src/output_stage.hpp"
#include "npusim/isa/int8.hpp"

namespace npusim::isa::kernels::detail {
namespace {

const Simd kLevels[] = {Simd::kScalar, Simd::kAvx2, Simd::kAvx512};

// Accumulators that stress rounding: extremes, small values and, for the
// multiplier, values whose product lands exactly on a tie.
std::vector<int32_t> hard_accumulators(std::mt19937& rng, const FixedMultiplier& m, int count) {
  std::vector<int32_t> acc = {0,
                              1,
                              -1,
                              2,
                              -2,
                              3,
                              -3,
                              INT32_MAX,
                              INT32_MIN,
                              INT32_MIN + 1,
                              INT32_MAX - 1,
                              1 << 30,
                              -(1 << 30),
                              127,
                              -128,
                              255,
                              256};
  const int n = 31 - m.shift;
  for (int i = 0; i < 64 && n >= 1 && n <= 40; ++i) {  // x = k * 2^(n-1) / mult, nearby
    const int64_t target = (int64_t{i} - 32) * (int64_t{1} << (n - 1));
    if (m.mult == 0) break;
    const int64_t x = target / m.mult;
    for (int64_t d = -1; d <= 1; ++d)
      if (x + d >= INT32_MIN && x + d <= INT32_MAX) acc.push_back(static_cast<int32_t>(x + d));
  }
  std::uniform_int_distribution<int32_t> any(INT32_MIN, INT32_MAX), small(-70000, 70000);
  while (int(acc.size()) < count) acc.push_back(acc.size() % 2 ? any(rng) : small(rng));
  return acc;
}

void expect_matches_definition(const std::vector<FixedMultiplier>& ms, int32_t zp, bool out_signed,
                               int32_t lo, int32_t hi, const std::vector<int32_t>& acc,
                               int64_t first) {
  std::vector<uint8_t> want(acc.size());
  for (size_t i = 0; i < acc.size(); ++i)
    want[i] = static_cast<uint8_t>(requantize_to_8bit(
        acc[i], ms[(first + int64_t(i)) % int64_t(ms.size())], zp, out_signed, lo, hi));
  for (Simd level : kLevels) {
    const OutputStage stage(ms, zp, out_signed, lo, hi, level);
    std::vector<uint8_t> got(acc.size(), 0xEE);
    stage.run(acc.data(), int64_t(acc.size()), first, got.data());
    ASSERT_EQ(got, want) << simd_name(usable(level)) << " mult " << ms[0].mult << " shift "
                         << ms[0].shift << " zp " << zp << " clamp [" << lo << ", " << hi << "]"
                         << (out_signed ? " int8" : " uint8") << " first " << first;
  }
}

TEST(OutputStage, EveryShiftAndExtremeMultipliersMatchTheDefinition) {
  std::mt19937 rng(11);
  for (int shift = -40; shift <= 40; ++shift)
    for (int32_t mult :
         {1 << 30, (1 << 30) + 12345, INT32_MAX, INT32_MIN, -(1 << 30) - 7, 0, 1, -1, 1518500250}) {
      const FixedMultiplier m{mult, shift};
      expect_matches_definition({m}, 3, true, -32768, 32767, hard_accumulators(rng, m, 300), 0);
    }
}

TEST(OutputStage, ZeroPointsClampsAndSignednessMatchTheDefinition) {
  std::mt19937 rng(12);
  const FixedMultiplier m{1 << 30, -5};  // 2^-6
  const std::vector<int32_t> acc = hard_accumulators(rng, m, 500);
  for (bool out_signed : {false, true})
    for (int32_t zp : {0, 1, -1, 128, -128, 255, 32767, -32768})
      for (auto [lo, hi] : std::vector<std::pair<int32_t, int32_t>>{
               {-32768, 32767}, {0, 6}, {-20, 100}, {5, 5}, {0, 0}, {50, -50}, {300, 400}})
        expect_matches_definition({m}, zp, out_signed, lo, hi, acc, 0);
}

TEST(OutputStage, VectorisedExactlyWhereDocumented) {
  EXPECT_TRUE(OutputStage(std::vector<FixedMultiplier>{{1 << 30, 30}}, 0, true, -32768, 32767)
                  .vectorised());  // n = 1
  EXPECT_TRUE(OutputStage(std::vector<FixedMultiplier>{{1 << 30, -31}}, 0, true, -32768, 32767)
                  .vectorised());  // n = 62
  EXPECT_FALSE(OutputStage(std::vector<FixedMultiplier>{{1 << 30, 31}}, 0, true, -32768, 32767)
                   .vectorised());  // n = 0
  EXPECT_FALSE(OutputStage(std::vector<FixedMultiplier>{{1 << 30, -32}}, 0, true, -32768, 32767)
                   .vectorised());  // n = 63
  EXPECT_FALSE(OutputStage(std::vector<FixedMultiplier>{{1 << 30, 0}}, 0, true, 10, -10)
                   .vectorised());  // clamp_lo > clamp_hi
}

TEST(OutputStage, PerPositionMultipliersWithOffsetsMatchTheDefinition) {
  std::mt19937 rng(13);
  std::uniform_int_distribution<int32_t> mult(INT32_MIN, INT32_MAX), shift(-20, 20);
  for (int channels : {2, 3, 7, 16, 63, 64, 65, 200}) {
    std::vector<FixedMultiplier> ms(channels);
    for (auto& m : ms) m = {mult(rng), shift(rng)};
    const std::vector<int32_t> acc = hard_accumulators(rng, ms[0], 1000);
    for (int64_t first : {0, 1, channels - 1, 5 * channels + 2})
      expect_matches_definition(ms, -7, false, 0, 255, acc, first);
  }
}

TEST(OutputStage, OneChannelOutsideTheRangeTakesTheDefinitionForAll) {
  std::mt19937 rng(14);
  std::vector<FixedMultiplier> ms = {{1 << 30, -3}, {1 << 30, 31}, {1 << 30, 2}};
  EXPECT_FALSE(OutputStage(ms, 0, true, -32768, 32767).vectorised());
  expect_matches_definition(ms, 0, true, -32768, 32767, hard_accumulators(rng, ms[0], 300), 1);
}

}  // namespace
}  // namespace npusim::isa::kernels::detail
