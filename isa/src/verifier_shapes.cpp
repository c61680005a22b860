// Shape checks of compute instructions (docs/isa.md, "Verification"): sizes,
// strides and modes that kernels::accesses() and the kernels require.
#include "verifier_shapes.hpp"

#include <algorithm>

#include "npusim/isa/kernels.hpp"

namespace npusim::isa::verify_detail {
namespace {

using F = Field;

std::string fname(F f) {
  return std::string(field_name(f));
}

}  // namespace

void at_least_1(const Instruction& in, std::initializer_list<F> fields, std::vector<Issue>& out) {
  for (F f : fields)
    if (in[f] < 1)
      out.push_back({f, fname(f) + " must be >= 1 (got " + std::to_string(in[f]) + ")"});
}

namespace {

void conv_shape(const Instruction& in, std::vector<Issue>& out) {
  at_least_1(in,
             {F::kInH, F::kInW, F::kInC, F::kOutC, F::kKH, F::kKW, F::kStrideH, F::kStrideW,
              F::kDilH, F::kDilW},
             out);
  if (!out.empty()) return;
  // groups = 0 means 1 (docs/isa-compute.md), so a zero-initialised field is valid.
  const int64_t g = std::max<int64_t>(in[F::kGroups], 1);
  for (F c : {F::kInC, F::kOutC})
    if (in[c] % g)
      out.push_back({F::kGroups, "groups=" + std::to_string(g) + " does not divide " + fname(c) +
                                     "=" + std::to_string(in[c])});
  const int64_t oh = kernels::conv_out_size(in[F::kInH], in[F::kPadT], in[F::kPadB], in[F::kKH],
                                            in[F::kStrideH], in[F::kDilH]);
  const int64_t ow = kernels::conv_out_size(in[F::kInW], in[F::kPadL], in[F::kPadR], in[F::kKW],
                                            in[F::kStrideW], in[F::kDilW]);
  if (oh < 1)
    out.push_back({F::kKH, "output height is " + std::to_string(oh) +
                               " (window larger than the padded input)"});
  if (ow < 1)
    out.push_back({F::kKW, "output width is " + std::to_string(ow) +
                               " (window larger than the padded input)"});
}

void pool_shape(const Instruction& in, std::vector<Issue>& out) {
  at_least_1(in, {F::kInH, F::kInW, F::kInC, F::kKH, F::kKW, F::kStrideH, F::kStrideW}, out);
  if (in[F::kMode] > 1)
    out.push_back({F::kMode, "pool mode must be 0 (max) or 1 (average), got " +
                                 std::to_string(in[F::kMode])});
  if (!out.empty()) return;
  const int64_t oh = kernels::conv_out_size(in[F::kInH], in[F::kPadT], in[F::kPadB], in[F::kKH],
                                            in[F::kStrideH], 1);
  const int64_t ow = kernels::conv_out_size(in[F::kInW], in[F::kPadL], in[F::kPadR], in[F::kKW],
                                            in[F::kStrideW], 1);
  if (oh < 1) out.push_back({F::kKH, "output height is " + std::to_string(oh)});
  if (ow < 1) out.push_back({F::kKW, "output width is " + std::to_string(ow)});
}

void copy_shape(const Instruction& in, std::vector<Issue>& out) {
  const int64_t e = in[F::kElem];
  if (e != 1 && e != 2 && e != 4)
    out.push_back({F::kElem, "elem must be 1, 2 or 4 bytes, got " + std::to_string(e)});
  at_least_1(in, {F::kCnt0, F::kCnt1, F::kCnt2}, out);
}

void elementwise_shape(const Instruction& in, std::vector<Issue>& out) {
  at_least_1(in, {F::kCount, F::kChannels}, out);
  if (in[F::kClampLo] > in[F::kClampHi])
    out.push_back({F::kClampLo, "clamp_lo=" + std::to_string(in[F::kClampLo]) +
                                    " is above clamp_hi=" + std::to_string(in[F::kClampHi])});
}

void resize_shape(const Instruction& in, std::vector<Issue>& out) {
  at_least_1(in, {F::kInH, F::kInW, F::kInC, F::kOutH, F::kOutW}, out);
  if (in[F::kMode] > 4)
    out.push_back({F::kMode, "resize mode must be <= 4, got " + std::to_string(in[F::kMode])});
}

}  // namespace

// Shape problems of a compute instruction; empty if its shape is valid.
std::vector<Issue> shape_issues(const Instruction& in) {
  std::vector<Issue> out;
  switch (in.op) {
    case Opcode::kMatConv:
      conv_shape(in, out);
      break;
    case Opcode::kMatMul:
      at_least_1(in, {F::kM, F::kK, F::kN}, out);
      break;
    case Opcode::kVecRequant:
    case Opcode::kVecAdd:
    case Opcode::kVecMul:
      elementwise_shape(in, out);
      break;
    case Opcode::kVecLut:
    case Opcode::kVecFill:
      at_least_1(in, {F::kLen}, out);
      break;
    case Opcode::kVecLutN:
      at_least_1(in, {F::kLen, F::kTables}, out);
      break;
    case Opcode::kVecPool:
      pool_shape(in, out);
      break;
    case Opcode::kVecCopy:
      copy_shape(in, out);
      break;
    case Opcode::kVecResize:
      resize_shape(in, out);
      break;
    default:
      break;
  }
  return out;
}

}  // namespace npusim::isa::verify_detail

namespace npusim::isa {

std::string shape_problem(const Instruction& in) {
  const std::vector<verify_detail::Issue> issues = verify_detail::shape_issues(in);
  if (issues.empty()) return "";
  return std::string(field_name(issues.front().field)) + ": " + issues.front().message;
}

}  // namespace npusim::isa
