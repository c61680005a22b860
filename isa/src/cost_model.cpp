// Cost model of the matrix and vector units (docs/timing.md).
#include "npusim/isa/cost_model.hpp"

#include <algorithm>

#include "op_descriptor.hpp"

namespace npusim::isa {
namespace {

uint64_t ceil_div(uint64_t a, uint64_t b) {
  return (a + b - 1) / b;
}

using ops::MatrixJob;

// The job of a matrix-unit instruction, from its descriptor; an empty job
// (issue cost only) for any other.
MatrixJob matrix_job(const Instruction& in) {
  const ops::OpDescriptor* d = ops::find(in.op);
  return d && d->matrix_job ? d->matrix_job(in) : MatrixJob{};
}

// Weight-stationary: weights of (rows x cols) sit in the array; pixels stream
// through, one pass per block of weights (weight_stationary_passes).
uint64_t weight_stationary(const MatrixJob& j, const HwParams& hw) {
  const uint64_t rows = hw.array_rows, cols = hw.array_cols;
  const uint64_t passes = weight_stationary_passes(j.groups, j.reduction, j.outputs, hw);
  const uint64_t pass_cycles = 2 * rows + cols + j.pixels - 2;  // preload + skew + stream + drain
  return passes * pass_cycles;
}

// Output-stationary: each PE accumulates one (pixel, channel) output while
// the reduction streams through; results drain out by rows.
uint64_t output_stationary(const MatrixJob& j, uint64_t rows, uint64_t cols) {
  const uint64_t folds = j.groups * ceil_div(j.pixels, rows) * ceil_div(j.outputs, cols);
  return folds * (2 * rows + cols + j.reduction - 2);
}

// Vector-unit work in element-slots: how many lane-cycles an instruction
// needs, from its descriptor (one per element unless it says otherwise).
uint64_t vector_work(const Instruction& in) {
  const ops::OpDescriptor* d = ops::find(in.op);
  if (!d || !d->elements) return 0;
  const uint64_t e = d->elements(in);
  return d->lane_work ? d->lane_work(in, e) : e;
}

}  // namespace

uint64_t matrix_cycles(const Instruction& in, const HwParams& hw) {
  const MatrixJob job = matrix_job(in);
  if (job.pixels == 0 || job.outputs == 0) return hw.matrix_issue_cycles;
  const uint64_t array = hw.dataflow == Dataflow::kWeightStationary
                             ? weight_stationary(job, hw)
                             : output_stationary(job, hw.array_rows, hw.array_cols);
  return hw.matrix_issue_cycles + array;
}

uint64_t vector_cycles(const Instruction& in, const HwParams& hw) {
  return hw.vector_issue_cycles + ceil_div(vector_work(in), hw.vector_lanes);
}

uint64_t compute_cycles(const Instruction& in, const HwParams& hw) {
  const ops::OpDescriptor* d = ops::find(in.op);
  if (d && d->unit == ops::Unit::kMatrix) return matrix_cycles(in, hw);
  return vector_cycles(in, hw);
}

uint64_t burst_cycles(uint64_t bytes, uint64_t bandwidth, const HwParams& hw) {
  __extension__ typedef unsigned __int128 u128;  // bytes * clock may exceed 64 bits
  const u128 num = static_cast<u128>(bytes) * hw.clock_hz;
  return static_cast<uint64_t>((num + bandwidth - 1) / bandwidth);
}

uint64_t dma_bytes(const Instruction& in) {
  if (in.op != Opcode::kDmaLoad && in.op != Opcode::kDmaStore) return 0;
  return in.u(Field::kLen0) * in.u(Field::kCnt1) * in.u(Field::kCnt2);
}

// Small groups (depthwise convolutions) are packed side by side on the array
// (block-diagonal) when they fit.
uint64_t weight_stationary_passes(uint64_t groups, uint64_t reduction, uint64_t outputs,
                                  const HwParams& hw) {
  const uint64_t rows = hw.array_rows, cols = hw.array_cols;
  uint64_t packed = 1;
  if (reduction <= rows && outputs <= cols)
    packed = std::max<uint64_t>(1, std::min({groups, rows / reduction, cols / outputs}));
  return ceil_div(groups, packed) * ceil_div(reduction, rows) * ceil_div(outputs, cols);
}

}  // namespace npusim::isa
