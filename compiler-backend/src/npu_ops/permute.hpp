// QPermute: Slice, Transpose, Reshape, Flatten, Squeeze, Unsqueeze as one data
// movement.
// The op's attributes (what lowering writes on the node) and its golden
// function: the reference executor's semantics on int8 codes, written as
// plain loops over ONNX layouts (NCHW), independently of the device's kernels.
// Its lowering and code generation: codegen/permute_codegen.cpp and the lower_*.cpp
// files its register_compiler_permute names (docs/compiler.md "Adding an NPU op").
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "../npu_op.hpp"

namespace npusim::compiler {

// QPermute: y = reshape(transpose(slice(x), perm), out_shape), through the
// optional table (Slice, Transpose, Reshape, Flatten, Squeeze, Unsqueeze:
// pure data movement). The slice: starts/steps/counts per axis (steps > 0;
// empty: all of x).
struct QPermuteAttrs {
  static constexpr const char* kOp = "QPermute";
  Ints perm, out_shape;
  Ints starts, steps, counts;
  TableStage table;

  template <typename V>
  void visit(V&& v) {
    v("perm", perm), v("out_shape", out_shape), v("starts", starts), v("steps", steps);
    v("counts", counts), table.visit(v);
  }
};

namespace npu_ops {

inline std::vector<Tensor> qpermute(const OpContext& c, const QPermuteAttrs& a) {
  const Tensor& x = c.in(0);
  require_8bit(x, "input X");
  const Shape& in = x.shape();
  const Ints& perm = a.perm;
  const Shape& out = a.out_shape;
  if (perm.size() != in.size())
    fail("QPermute: perm has " + std::to_string(perm.size()) + " axes, the input " +
         std::to_string(in.size()));
  const Ints& table = a.table.table;
  const size_t rank = in.size();
  // The slice taken first (starts, steps, counts per axis; default: all of x).
  Ints start = a.starts, step = a.steps;
  Shape count = a.counts;
  if (start.empty()) start.assign(rank, 0);
  if (step.empty()) step.assign(rank, 1);
  if (count.empty()) count = in;
  if (start.size() != rank || step.size() != rank || count.size() != rank)
    fail("QPermute: starts, steps and counts need one entry per input axis");
  if (product(out, 0, out.size()) != product(count, 0, rank))
    fail("QPermute: out_shape does not hold the sliced input's elements");
  Tensor y(table.empty() ? x.dtype() : out_type(a.table.y_signed), out);
  // Walk the transposed slice in row-major order: its flat index is y's.
  std::vector<int64_t> stride(rank, 1), t(rank, 0);  // x's strides; index into the transposed slice
  for (size_t d = rank; d-- > 1;) stride[d - 1] = stride[d] * in[d];
  for (int64_t i = 0; i < y.size(); ++i) {
    int64_t src = 0;
    for (size_t d = 0; d < rank; ++d) {
      const int64_t a = perm[d];
      src += (start[a] + t[d] * step[a]) * stride[a];
    }
    const int32_t v = element(x, src);
    set_element(y, i, table.empty() ? v : lookup(table, v));
    for (size_t d = rank; d-- > 0;) {  // next index of the transposed slice
      if (++t[d] < count[perm[d]]) break;
      t[d] = 0;
    }
  }
  return {std::move(y)};
}

inline void register_golden_permute(Goldens& goldens) {
  goldens.add<qpermute>("QPermute");
}

}  // namespace npu_ops
}  // namespace npusim::compiler
