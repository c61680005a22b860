// Cost model of the matrix and vector units (docs/timing.md).
#include "npusim/sim/timing_model.hpp"

#include <algorithm>

#include "npusim/isa/kernels.hpp"

namespace npusim::sim {
namespace {

using isa::Field;

uint64_t ceil_div(uint64_t a, uint64_t b) {
  return (a + b - 1) / b;
}

// A GEMM-shaped job for the array: `groups` independent products, each
// reducing over `reduction` and producing `outputs` channels for `pixels` rows.
struct MatrixJob {
  uint64_t groups, reduction, outputs, pixels;
};

MatrixJob matrix_job(const isa::Instruction& in) {
  if (in.op == isa::Opcode::kMatMul) return {1, in.u(Field::kK), in.u(Field::kN), in.u(Field::kM)};
  const uint64_t g = std::max<uint64_t>(1, in.u(Field::kGroups));
  const int64_t oh =
      isa::kernels::conv_out_size(in[Field::kInH], in[Field::kPadT], in[Field::kPadB],
                                  in[Field::kKH], in[Field::kStrideH], in[Field::kDilH]);
  const int64_t ow =
      isa::kernels::conv_out_size(in[Field::kInW], in[Field::kPadL], in[Field::kPadR],
                                  in[Field::kKW], in[Field::kStrideW], in[Field::kDilW]);
  return {g, in.u(Field::kInC) / g * in.u(Field::kKH) * in.u(Field::kKW), in.u(Field::kOutC) / g,
          static_cast<uint64_t>(std::max<int64_t>(0, oh) * std::max<int64_t>(0, ow))};
}

// Weight-stationary: weights of (rows x cols) sit in the array; pixels stream
// through. Small groups are packed side by side (block-diagonal) when they fit.
uint64_t weight_stationary(const MatrixJob& j, uint64_t rows, uint64_t cols) {
  uint64_t packed = 1;
  if (j.reduction <= rows && j.outputs <= cols)
    packed = std::max<uint64_t>(1, std::min({j.groups, rows / j.reduction, cols / j.outputs}));
  const uint64_t passes =
      ceil_div(j.groups, packed) * ceil_div(j.reduction, rows) * ceil_div(j.outputs, cols);
  const uint64_t pass_cycles = 2 * rows + cols + j.pixels - 2;  // preload + skew + stream + drain
  return passes * pass_cycles;
}

// Output-stationary: each PE accumulates one (pixel, channel) output while
// the reduction streams through; results drain out by rows.
uint64_t output_stationary(const MatrixJob& j, uint64_t rows, uint64_t cols) {
  const uint64_t folds = j.groups * ceil_div(j.pixels, rows) * ceil_div(j.outputs, cols);
  return folds * (2 * rows + cols + j.reduction - 2);
}

// Vector-unit work in element-slots: how many lane-cycles an instruction needs.
uint64_t vector_work(const isa::Instruction& in) {
  const uint64_t e = isa::kernels::vector_elements(in);
  switch (in.op) {
    case isa::Opcode::kVecPool:
      return e * in.u(Field::kKH) * in.u(Field::kKW);
    case isa::Opcode::kVecResize:
      return in[Field::kMode] == 4 ? 4 * e : e;
    case isa::Opcode::kVecCopy:
      return e * std::max<uint64_t>(1, in.u(Field::kElem));
    default:
      return e;
  }
}

}  // namespace

uint64_t matrix_cycles(const isa::Instruction& in, const isa::HwParams& hw) {
  const MatrixJob job = matrix_job(in);
  if (job.pixels == 0 || job.outputs == 0) return hw.matrix_issue_cycles;
  const uint64_t rows = hw.array_rows, cols = hw.array_cols;
  const uint64_t array = hw.dataflow == isa::Dataflow::kWeightStationary
                             ? weight_stationary(job, rows, cols)
                             : output_stationary(job, rows, cols);
  return hw.matrix_issue_cycles + array;
}

uint64_t vector_cycles(const isa::Instruction& in, const isa::HwParams& hw) {
  return hw.vector_issue_cycles + ceil_div(vector_work(in), hw.vector_lanes);
}

uint64_t compute_cycles(const isa::Instruction& in, const isa::HwParams& hw) {
  if (in.op == isa::Opcode::kMatConv || in.op == isa::Opcode::kMatMul) return matrix_cycles(in, hw);
  return vector_cycles(in, hw);
}

uint64_t burst_cycles(uint64_t bytes, uint64_t bandwidth, const isa::HwParams& hw) {
  __extension__ typedef unsigned __int128 u128;  // bytes * clock may exceed 64 bits
  const u128 num = static_cast<u128>(bytes) * hw.clock_hz;
  return static_cast<uint64_t>((num + bandwidth - 1) / bandwidth);
}

uint64_t cycle_ps(const isa::HwParams& hw) {
  return isa::clock_period_ps(hw.clock_hz);
}

}  // namespace npusim::sim
