// The verilated systolic array (sim/rtl) against the ISA's arithmetic and the
// cost model: results bit-exact, cycles exactly 2R + C + P - 2 per pass and
// matrix_cycles() - matrix_issue_cycles per mat.mm (docs/rtl.md).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <random>

#include "npusim/isa/hw_params.hpp"
#include "npusim/isa/instruction.hpp"
#include "npusim/isa/kernels.hpp"
#include "npusim/sim/timing_model.hpp"
#include "rtl_matrix_unit.hpp"

namespace npusim::sim::rtl {
namespace {

using F = isa::Field;

// One mat.mm problem: 8-bit operands with their signedness and zero points.
struct MatMul {
  int m, k, n;
  bool src_signed, wgt_signed;
  int32_t src_zp, wgt_zp;
  std::vector<uint8_t> src, wgt;  // [m][k], [n][k]
};

// Zero points anywhere in the operand's own range, as quantised models use.
MatMul random_matmul(int m, int k, int n, std::mt19937& rng) {
  std::uniform_int_distribution<int> byte(0, 255), coin(0, 1);
  MatMul mm{m, k, n, coin(rng) == 1, coin(rng) == 1, 0, 0, {}, {}};
  mm.src_zp = mm.src_signed ? byte(rng) - 128 : byte(rng);
  mm.wgt_zp = mm.wgt_signed ? byte(rng) - 128 : byte(rng);
  mm.src.resize(size_t(m) * k);
  mm.wgt.resize(size_t(n) * k);
  for (auto& b : mm.src) b = uint8_t(byte(rng));
  for (auto& b : mm.wgt) b = uint8_t(byte(rng));
  return mm;
}

int32_t value(uint8_t b, bool is_signed, int32_t zp) {
  return (is_signed ? int32_t(int8_t(b)) : int32_t(b)) - zp;
}

// The plain definition: int32 sums (mod 2^32) of products of centred values.
std::vector<int32_t> naive_matmul(const MatMul& mm) {
  std::vector<int32_t> out(size_t(mm.m) * mm.n);
  for (int i = 0; i < mm.m; ++i)
    for (int j = 0; j < mm.n; ++j) {
      uint32_t s = 0;
      for (int t = 0; t < mm.k; ++t)
        s += uint32_t(value(mm.src[i * mm.k + t], mm.src_signed, mm.src_zp) *
                      value(mm.wgt[j * mm.k + t], mm.wgt_signed, mm.wgt_zp));
      out[i * mm.n + j] = int32_t(s);
    }
  return out;
}

isa::Instruction instruction(const MatMul& mm, int64_t src, int64_t wgt, int64_t dst) {
  return isa::make(isa::Opcode::kMatMul, {{F::kSrc, src},
                                          {F::kWgt, wgt},
                                          {F::kDst, dst},
                                          {F::kM, mm.m},
                                          {F::kK, mm.k},
                                          {F::kN, mm.n},
                                          {F::kSrcSigned, mm.src_signed},
                                          {F::kWgtSigned, mm.wgt_signed},
                                          {F::kSrcZp, mm.src_zp},
                                          {F::kWgtZp, mm.wgt_zp}});
}

// What the simulator's functional model (isa::kernels) computes for mat.mm.
std::vector<int32_t> isa_matmul(const MatMul& mm) {
  const size_t src = 0, wgt = mm.src.size(), dst = wgt + mm.wgt.size();
  const size_t out_bytes = 4 * size_t(mm.m) * mm.n;
  std::vector<uint8_t> sram(dst + out_bytes);
  std::memcpy(sram.data() + src, mm.src.data(), mm.src.size());
  std::memcpy(sram.data() + wgt, mm.wgt.data(), mm.wgt.size());
  isa::kernels::execute(instruction(mm, src, wgt, dst), isa::kernels::Bytes(sram));
  std::vector<int32_t> out(size_t(mm.m) * mm.n);
  std::memcpy(out.data(), sram.data() + dst, out_bytes);
  return out;
}

isa::HwParams hw_for(ArrayShape s) {
  isa::HwParams hw = isa::preset("small");
  hw.array_rows = s.rows;
  hw.array_cols = s.cols;
  return hw;
}

// The cost model's array cycles for this mat.mm, issue cost excluded.
uint64_t model_cycles(const MatMul& mm, ArrayShape s) {
  const isa::HwParams hw = hw_for(s);
  return matrix_cycles(instruction(mm, 0, 0, 0), hw) - uint64_t(hw.matrix_issue_cycles);
}

RtlRun run_rtl(RtlMatrixUnit& unit, const MatMul& mm) {
  return unit.mat_mm({mm.src, mm.src_signed, mm.src_zp}, {mm.wgt, mm.wgt_signed, mm.wgt_zp}, mm.m,
                     mm.k, mm.n);
}

struct Shape {
  int m, k, n;
};

// Single passes (k <= R, n <= C) and tiled ones, for a 16x16 array: P = 1,
// K < R, N < C, K = R, N = C, and splits of K, N and both.
const std::vector<Shape> kShapes16 = {{1, 16, 16},  {1, 1, 1},    {5, 7, 3},    {9, 16, 16},
                                      {33, 16, 5},  {4, 3, 16},   {2, 17, 16},  {8, 16, 33},
                                      {17, 40, 37}, {3, 100, 20}, {64, 64, 64}, {1, 48, 1}};

void check_shapes(ArrayShape array, const std::vector<Shape>& shapes, uint32_t seed) {
  RtlMatrixUnit unit(array);
  std::mt19937 rng(seed);
  const uint64_t r = array.rows, c = array.cols;
  for (const Shape& s : shapes) {
    SCOPED_TRACE(testing::Message() << "m=" << s.m << " k=" << s.k << " n=" << s.n);
    const MatMul mm = random_matmul(s.m, s.k, s.n, rng);
    const RtlRun run = run_rtl(unit, mm);
    EXPECT_EQ(run.out, naive_matmul(mm));
    EXPECT_EQ(run.out, isa_matmul(mm));
    const uint64_t passes = uint64_t((s.k + r - 1) / r) * ((s.n + c - 1) / c);
    ASSERT_EQ(run.pass_cycles.size(), passes);
    for (uint64_t p : run.pass_cycles) EXPECT_EQ(p, 2 * r + c + s.m - 2);
    EXPECT_EQ(run.cycles, model_cycles(mm, array));
  }
}

TEST(RtlMatrixUnit, Array16x16IsBitExactAndTakesTheModelledCycles) {
  check_shapes({16, 16}, kShapes16, 1);
}

// Non-square, so a formula that mixed up R and C (2C + R) would fail here.
TEST(RtlMatrixUnit, Array12x8IsBitExactAndTakesTheModelledCycles) {
  check_shapes({12, 8}, {{1, 12, 8}, {1, 1, 1}, {6, 5, 3}, {10, 12, 8}, {7, 13, 9}, {20, 50, 30}},
               2);
}

TEST(RtlMatrixUnit, SinglePassCyclesMatchTheFormulaForEveryP) {
  RtlMatrixUnit unit;
  for (int p = 1; p <= 40; ++p) {
    const std::vector<int16_t> a(size_t(p) * 16, 1), w(16 * 16, 1);
    const RtlRun run = unit.pass(a, w, p, 16, 16);
    EXPECT_EQ(run.cycles, uint64_t(2 * 16 + 16 + p - 2)) << "p=" << p;
    EXPECT_EQ(run.out, std::vector<int32_t>(size_t(p) * 16, 16));
  }
}

// The extremes of the 9-bit operand range, in the array's own accumulation.
TEST(RtlMatrixUnit, NineBitExtremesAreExact) {
  RtlMatrixUnit unit;
  std::vector<int16_t> a(3 * 16), w(16 * 16);
  for (size_t i = 0; i < a.size(); ++i) a[i] = i % 3 == 0 ? -256 : (i % 3 == 1 ? 255 : -1);
  for (size_t i = 0; i < w.size(); ++i) w[i] = i % 2 == 0 ? -256 : 255;
  const RtlRun run = unit.pass(a, w, 3, 16, 16);
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 16; ++j) {
      int64_t s = 0;
      for (int t = 0; t < 16; ++t) s += int64_t(a[i * 16 + t]) * w[j * 16 + t];
      EXPECT_EQ(run.out[i * 16 + j], s);
    }
}

// Sums past 2^31 wrap, as the ISA defines (the tiles accumulate mod 2^32).
TEST(RtlMatrixUnit, LongReductionsWrapModulo2To32) {
  RtlMatrixUnit unit;
  const int k = 16 * 2049;  // 2049 passes of 16 products of 2^16 each
  const std::vector<int16_t> a(k, -256), w(k, -256);
  const RtlRun run = unit.gemm(a, w, 1, k, 1);
  EXPECT_EQ(run.out.at(0), int32_t(uint32_t(uint64_t(k) << 16)));
  EXPECT_EQ(run.cycles, 2049u * (2 * 16 + 16 + 1 - 2));
}

// Withheld beats stretch the pass by exactly the number of idle cycles.
TEST(RtlMatrixUnit, HandshakeStallsAddExactlyTheStalledCycles) {
  RtlMatrixUnit unit;
  std::mt19937 rng(3);
  const MatMul mm = random_matmul(21, 35, 20, rng);
  std::vector<int16_t> a(mm.src.size()), w(mm.wgt.size());
  for (size_t i = 0; i < a.size(); ++i) a[i] = int16_t(value(mm.src[i], mm.src_signed, mm.src_zp));
  for (size_t i = 0; i < w.size(); ++i) w[i] = int16_t(value(mm.wgt[i], mm.wgt_signed, mm.wgt_zp));
  for (int period : {2, 3, 7}) {
    const RtlRun run = unit.gemm(a, w, mm.m, mm.k, mm.n, {period});
    EXPECT_EQ(run.out, naive_matmul(mm)) << "period " << period;
    EXPECT_GT(run.stall_cycles, 0u);
    EXPECT_EQ(run.cycles, model_cycles(mm, {16, 16}) + run.stall_cycles) << "period " << period;
  }
}

TEST(RtlMatrixUnit, RejectsWhatTheArrayCannotRun) {
  EXPECT_THROW(RtlMatrixUnit({64, 128}), std::invalid_argument);
  RtlMatrixUnit unit;
  const std::vector<uint8_t> one(16, 0x80);
  // uint8 0x80 = 128 minus zero point -200 = 328: wider than 9 bits.
  EXPECT_THROW(unit.mat_mm({one, false, -200}, {one, true, 0}, 1, 16, 1), std::invalid_argument);
  const std::vector<int16_t> a(17), w(17);
  EXPECT_THROW(unit.pass(a, w, 1, 17, 1), std::invalid_argument);
  EXPECT_THROW(unit.gemm(a, w, 1, 16, 1), std::invalid_argument);  // sizes do not match
}

// Not a check: records the verilated model's speed for docs/rtl.md, in CPU
// time (wall time on a loaded build machine says little).
TEST(RtlMatrixUnit, ReportsSimulationSpeed) {
  for (ArrayShape shape : available_shapes()) {
    RtlMatrixUnit unit(shape);
    const int m = 50000, k = shape.rows, n = shape.cols;  // one long pass
    const std::vector<int16_t> a(size_t(m) * k, 3), w(size_t(n) * k, -5);
    const std::clock_t t0 = std::clock();
    const RtlRun run = unit.gemm(a, w, m, k, n);
    const double s = std::max(1e-6, double(std::clock() - t0) / CLOCKS_PER_SEC);
    const double rate = double(run.cycles) / s;
    std::printf("[ speed    ] %dx%d array: %llu cycles in %.3f s CPU = %.0f cycles/s\n", shape.rows,
                shape.cols, static_cast<unsigned long long>(run.cycles), s, rate);
    RecordProperty(
        "cycles_per_second_" + std::to_string(shape.rows) + "x" + std::to_string(shape.cols),
        std::to_string(int64_t(rate)));
    EXPECT_EQ(run.out.at(0), k * 3 * -5);
  }
}

}  // namespace
}  // namespace npusim::sim::rtl
