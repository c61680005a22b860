// vec.pool: max and average pooling over HWC 8-bit tensors (floor output size,
// dilation 1). Max keeps the input's quantisation; average requantises the
// zero-point-corrected window sum divided by the window count.
#include <algorithm>
#include <climits>
#include <string>
#include <vector>

#include "kernel_impl.hpp"
#include "kernel_shapes.hpp"
#include "npusim/isa/int8.hpp"
#include "op_descriptor.hpp"

namespace npusim::isa::kernels::detail {
namespace {

using F = Field;

struct PoolOp {
  PoolShape s;
  const uint8_t* src;
  uint8_t* dst;
  bool is_signed;
};

// Visits the valid (non-padded) input pixels of output pixel (oy, ox).
template <typename Visit>
int64_t for_each_tap(const PoolOp& op, int64_t oy, int64_t ox, Visit visit) {
  const PoolShape& s = op.s;
  int64_t valid = 0;
  for (int64_t kh = 0; kh < s.k_h; ++kh) {
    const int64_t iy = oy * s.stride_h - s.pad_t + kh;
    if (iy < 0 || iy >= s.in_h) continue;
    for (int64_t kw = 0; kw < s.k_w; ++kw) {
      const int64_t ix = ox * s.stride_w - s.pad_l + kw;
      if (ix < 0 || ix >= s.in_w) continue;
      visit(op.src + (iy * s.in_w + ix) * s.in_c);
      ++valid;
    }
  }
  return valid;
}

// A window entirely in the padding yields the lowest value of the type.
void max_pool(const PoolOp& op) {
  const int64_t c = op.s.in_c;
  std::vector<int32_t> best(static_cast<size_t>(c));
  for (int64_t oy = 0; oy < op.s.out_h; ++oy)
    for (int64_t ox = 0; ox < op.s.out_w; ++ox) {
      std::fill(best.begin(), best.end(), qmin(op.is_signed));
      for_each_tap(op, oy, ox, [&](const uint8_t* px) {
        for (int64_t i = 0; i < c; ++i) best[i] = std::max(best[i], load_q(px + i, op.is_signed));
      });
      uint8_t* out = op.dst + (oy * op.s.out_w + ox) * c;
      for (int64_t i = 0; i < c; ++i) out[i] = static_cast<uint8_t>(best[i]);
    }
}

void avg_pool(const PoolOp& op, const Instruction& in) {
  const int64_t c = op.s.in_c;
  const auto zp = static_cast<int32_t>(in[F::kSrcZp]);
  const auto out_zp = static_cast<int32_t>(in[F::kOutZp]);
  const auto mult = static_cast<int32_t>(in[F::kMult]);
  const auto shift = static_cast<int32_t>(in[F::kShift]);
  const bool count_pad = in[F::kCountPad] != 0;
  std::vector<int64_t> sum(static_cast<size_t>(c));
  for (int64_t oy = 0; oy < op.s.out_h; ++oy)
    for (int64_t ox = 0; ox < op.s.out_w; ++ox) {
      std::fill(sum.begin(), sum.end(), 0);
      const int64_t valid = for_each_tap(op, oy, ox, [&](const uint8_t* px) {
        for (int64_t i = 0; i < c; ++i) sum[i] += load_q(px + i, op.is_signed) - zp;
      });
      const int64_t cnt = count_pad ? op.s.k_h * op.s.k_w : valid;
      uint8_t* out = op.dst + (oy * op.s.out_w + ox) * c;
      for (int64_t i = 0; i < c; ++i) {
        const int64_t q = cnt > 0 ? requantize_div(sum[i], mult, shift, cnt) : 0;
        out[i] = static_cast<uint8_t>(saturate(out_zp + q, qmin(op.is_signed), qmax(op.is_signed)));
      }
    }
}

void exec_pool(const Instruction& in, Bytes sram) {
  const PoolOp op{pool_shape(in), sram.data() + in[F::kSrc], sram.data() + in[F::kDst],
                  in[F::kSrcSigned] != 0};
  switch (in[F::kMode]) {
    case kPoolMax:
      return max_pool(op);
    case kPoolAverage:
      return avg_pool(op, in);
    default:
      throw IsaError("vec.pool: invalid mode " + std::to_string(in[F::kMode]) +
                     " (0 = max, 1 = average)");
  }
}

// --- what the verifier, the access ranges and the cost model know of it ---

using verify_detail::at_least_1;
using verify_detail::Issue;

void pool_rules(const Instruction& in, std::vector<Issue>& out) {
  at_least_1(in, {F::kInH, F::kInW, F::kInC, F::kKH, F::kKW, F::kStrideH, F::kStrideW}, out);
  if (in[F::kMode] > kPoolAverage)
    out.push_back({F::kMode, "pool mode must be 0 (max) or 1 (average), got " +
                                 std::to_string(in[F::kMode])});
  if (!out.empty()) return;
  const PoolShape s = pool_shape(in);
  if (s.out_h < 1) out.push_back({F::kKH, "output height is " + std::to_string(s.out_h)});
  if (s.out_w < 1) out.push_back({F::kKW, "output width is " + std::to_string(s.out_w)});
}

void pool_accesses(const Instruction& in, ops::AccessBuilder& b) {
  const PoolShape s = pool_shape(in);
  b.read(in[F::kSrc], uint64_t(s.in_h * s.in_w * s.in_c));
  b.write(in[F::kDst], uint64_t(s.out_h * s.out_w * s.in_c));
}

uint64_t pool_elements(const Instruction& in) {
  const PoolShape s = pool_shape(in);
  return uint64_t(s.out_h * s.out_w * s.in_c);
}

// Each output element takes one lane-slot per window tap.
uint64_t pool_lane_work(const Instruction& in, uint64_t elements) {
  return elements * in.u(F::kKH) * in.u(F::kKW);
}

}  // namespace

}  // namespace npusim::isa::kernels::detail

namespace npusim::isa::ops {

using namespace kernels::detail;

constinit const OpDescriptor kVecPoolOp{.opcode = Opcode::kVecPool,
                                        .unit = Unit::kVector,
                                        .shape = pool_rules,
                                        .accesses = pool_accesses,
                                        .execute = exec_pool,
                                        .elements = pool_elements,
                                        .lane_work = pool_lane_work};

}  // namespace npusim::isa::ops
