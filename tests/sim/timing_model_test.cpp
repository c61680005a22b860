// The cost model's formulas (docs/timing.md) on hand-computed values.
#include <gtest/gtest.h>

#include "npusim/sim/timing_model.hpp"

namespace npusim::sim {
namespace {

using isa::Field;
using isa::Opcode;

isa::Instruction mm(int m, int k, int n) {
  return isa::make(Opcode::kMatMul, {{Field::kM, m}, {Field::kK, k}, {Field::kN, n}});
}

isa::Instruction conv(int h, int w, int c, int oc, int k, int groups, int stride = 1) {
  return isa::make(Opcode::kMatConv, {{Field::kInH, h},
                                      {Field::kInW, w},
                                      {Field::kInC, c},
                                      {Field::kOutC, oc},
                                      {Field::kKH, k},
                                      {Field::kKW, k},
                                      {Field::kStrideH, stride},
                                      {Field::kStrideW, stride},
                                      {Field::kDilH, 1},
                                      {Field::kDilW, 1},
                                      {Field::kPadT, k / 2},
                                      {Field::kPadL, k / 2},
                                      {Field::kPadB, k / 2},
                                      {Field::kPadR, k / 2},
                                      {Field::kGroups, groups}});
}

TEST(TimingModel, WeightStationaryMatmulFoldsRowsAndColumns) {
  const isa::HwParams hw;  // 64 x 128, issue 16
  EXPECT_EQ(matrix_cycles(mm(16, 32, 64), hw), 16u + (2 * 64 + 128 + 16 - 2));
  // k = 256 -> 4 row folds; n = 300 -> 3 column folds: 12 passes
  EXPECT_EQ(matrix_cycles(mm(100, 256, 300), hw), 16u + 12 * (2 * 64 + 128 + 100 - 2));
}

TEST(TimingModel, DepthwiseGroupsArePackedOnTheArray) {
  const isa::HwParams hw;
  // 3x3 depthwise, 32 channels: reduction 9, 1 output per group;
  // floor(64 / 9) = 7 groups per pass -> ceil(32 / 7) = 5 passes of 56x56 pixels
  EXPECT_EQ(matrix_cycles(conv(56, 56, 32, 32, 3, 32), hw), 16u + 5 * (2 * 64 + 128 + 3136 - 2));
}

TEST(TimingModel, OutputStationaryFoldsPixelsAndChannels) {
  isa::HwParams hw;
  hw.dataflow = isa::Dataflow::kOutputStationary;
  // P = 100 -> 2 folds of 64 pixels; N = 64 -> 1 fold; each streams K = 32
  EXPECT_EQ(matrix_cycles(mm(100, 32, 64), hw), 16u + 2 * (2 * 64 + 128 + 32 - 2));
}

TEST(TimingModel, ArrayShapeIsAParameter) {
  isa::HwParams hw;
  hw.array_rows = hw.array_cols = 16;
  hw.matrix_issue_cycles = 0;
  // SCALE-Sim's WS formula per fold: 2R + C + T - 2, here R = C = 16, T = 64;
  // k = 32 -> 2 row folds, n = 32 -> 2 column folds
  EXPECT_EQ(matrix_cycles(mm(64, 32, 32), hw), 4u * (2 * 16 + 16 + 64 - 2));
}

TEST(TimingModel, VectorUnitWorkPerInstruction) {
  const isa::HwParams hw;  // 64 lanes, issue 8
  const auto requant =
      isa::make(Opcode::kVecRequant, {{Field::kCount, 100}, {Field::kChannels, 64}});
  EXPECT_EQ(vector_cycles(requant, hw), 8u + 100);
  const auto bilinear = isa::make(Opcode::kVecResize, {{Field::kInH, 4},
                                                       {Field::kInW, 4},
                                                       {Field::kInC, 16},
                                                       {Field::kOutH, 8},
                                                       {Field::kOutW, 8},
                                                       {Field::kMode, 4}});
  EXPECT_EQ(vector_cycles(bilinear, hw), 8u + 8 * 8 * 16 * 4 / 64);
}

TEST(TimingModel, BurstCyclesRoundUpBytesTimesClockOverBandwidth) {
  const isa::HwParams hw;                                      // 2 GHz
  EXPECT_EQ(burst_cycles(4096, hw.dram_bandwidth, hw), 125u);  // 4096 / 33 = 124.1
  EXPECT_EQ(burst_cycles(512, hw.host_link, hw), 66u);         // 512 / 7.875 = 65.02
  EXPECT_EQ(cycle_ps(hw), 500u);
}

}  // namespace
}  // namespace npusim::sim
