// The split and batch-size search on time curves whose optimum is known
// exactly (docs/coop.md).
#include <gtest/gtest.h>

#include <cmath>

#include "npusim/runtime/split_plan.hpp"

namespace npusim::runtime {
namespace {

using Shares = std::vector<int64_t>;
constexpr double kMs = 1e9;  // ps

// A unit taking `ms` per query, one at a time: measured at a few batch sizes.
UnitCurve linear(double ms, std::vector<int64_t> at = {1, 16, 64}) {
  UnitCurve c;
  for (int64_t n : at) c.add(n, double(n) * ms * kMs);
  return c;
}

// A unit with `cores` lanes taking `ms` per query: every n known.
UnitCurve cores(int cores, double ms, int64_t up_to) {
  UnitCurve c;
  for (int64_t n = 1; n <= up_to; ++n) c.add(n, double((n + cores - 1) / cores) * ms * kMs);
  return c;
}

TEST(SplitPlan, CurvesInterpolateAndExtrapolate) {
  UnitCurve c;
  c.add(4, 8 * kMs);
  c.add(8, 12 * kMs);
  EXPECT_DOUBLE_EQ(c.at(0), 0);
  EXPECT_DOUBLE_EQ(c.at(2), 4 * kMs);    // 0 at 0 to 8 at 4
  EXPECT_DOUBLE_EQ(c.at(6), 10 * kMs);   // between the points
  EXPECT_DOUBLE_EQ(c.at(16), 24 * kMs);  // the last point's 1.5 ms per query
  EXPECT_DOUBLE_EQ(c.qps(8), 8 / 12e-3);
}

TEST(SplitPlan, ProportionalSharesAddUpByLargestRemainder) {
  EXPECT_EQ(proportional_shares(16, {3, 1}), (Shares{12, 4}));
  EXPECT_EQ(proportional_shares(10, {1, 1, 1}), (Shares{4, 3, 3}));
  EXPECT_EQ(proportional_shares(7, {2, 5}), (Shares{2, 5}));
  EXPECT_EQ(proportional_shares(5, {0, 0}), (Shares{5, 0}));
  EXPECT_EQ(proportional_shares(0, {1, 2}), (Shares{0, 0}));
}

// 1 ms and 3 ms per query: the best split of 16 is 12:4 (12 ms each), exactly.
TEST(SplitPlan, TwoLinearUnitsSplitByThroughput) {
  const std::vector<UnitCurve> curves = {linear(1), linear(3)};
  EXPECT_EQ(best_shares(16, curves), (Shares{12, 4}));
  EXPECT_DOUBLE_EQ(predicted_span_ps(Shares{12, 4}, curves), 12 * kMs);
  EXPECT_EQ(best_shares(64, curves), (Shares{48, 16}));
}

// A 4-core CPU at 3 ms per query (its time steps every 4 queries) beside
// a 1 ms/query NPU, 16 queries: alone they give 1,000 and 1,333 q/s, so the
// proportional split is 7:9 (NPU 7 ms, CPU 3 rounds = 9 ms); the one
// optimum is 8:8 (NPU 8 ms, CPU 2 rounds = 6 ms).
TEST(SplitPlan, StepCurvesFindTheExactOptimum) {
  const std::vector<UnitCurve> curves = {linear(1, {1, 16}), cores(4, 3, 16)};
  EXPECT_EQ(proportional_shares(16, {curves[0].qps(16), curves[1].qps(16)}), (Shares{7, 9}));
  const Shares best = best_shares(16, curves);
  EXPECT_EQ(best, (Shares{8, 8}));
  EXPECT_DOUBLE_EQ(predicted_span_ps(best, curves), 8 * kMs);
  for (int64_t first = 0; first <= 16; ++first)  // every other split is slower
    if (first != 8) {
      EXPECT_GT(predicted_span_ps({first, 16 - first}, curves), 8 * kMs) << first;
    }
}

// Three units at 1, 2 and 4 ms per query: 7 queries split 4:2:1, all 4 ms.
TEST(SplitPlan, ThreeUnitsBalanceGreedily) {
  const std::vector<UnitCurve> curves = {linear(1), linear(2), linear(4)};
  EXPECT_EQ(best_shares(7, curves), (Shares{4, 2, 1}));
  EXPECT_DOUBLE_EQ(predicted_span_ps(best_shares(70, curves), curves), 40 * kMs);
}

BatchPoint point(int64_t batch, double combined, double latency_us) {
  BatchPoint p;
  p.batch = batch;
  p.alone_qps = {combined * 0.75, combined * 0.25};
  p.combined_qps = combined;
  p.combined_span_us = latency_us;
  return p;
}

TEST(SplitPlan, BestBatchWithinTheLatencyBound) {
  const std::vector<BatchPoint> points = {point(1, 100, 10), point(16, 900, 18),
                                          point(64, 1000, 64), point(256, 1000, 256)};
  EXPECT_EQ(best_batch(points), 2u);  // ties: the smaller batch
  EXPECT_EQ(best_batch(points, 20), 1u);
  EXPECT_EQ(best_batch(points, 5), kNoBatch);
  EXPECT_DOUBLE_EQ(points[2].efficiency(), 1.0);
  EXPECT_DOUBLE_EQ(points[2].gain(), 1 / 0.75);
}

}  // namespace
}  // namespace npusim::runtime
