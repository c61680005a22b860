// QPad: constant padding (and the interior padding of ConvTranspose).
// The op's attributes (what lowering writes on the node) and its golden
// function: the reference executor's semantics on int8 codes, written as
// plain loops over ONNX layouts (NCHW), independently of the device's kernels.
// Its lowering and code generation: codegen/pad_codegen.cpp and the lower_*.cpp
// files its register_compiler_pad names (docs/compiler.md "Adding an NPU op").
#pragma once

#include <cstdint>
#include <vector>

#include "../npu_op.hpp"

namespace npusim::compiler {

// QPad: constant padding of x with pad_code (pads: begin per axis, then end;
// >= 0), interior pad elements between neighbours per axis (empty: none),
// through the optional table.
struct QPadAttrs {
  static constexpr const char* kOp = "QPad";
  Ints pads, interior;
  int64_t pad_code = 0;
  TableStage table;

  template <typename V>
  void visit(V&& v) {
    v("pads", pads), v("interior", interior), v("pad_code", pad_code), table.visit(v);
  }
};

namespace npu_ops {

inline std::vector<Tensor> qpad(const OpContext& c, const QPadAttrs& a) {
  const Tensor& x = c.in(0);
  require_8bit(x, "input X");
  const Shape& in = x.shape();
  const size_t rank = in.size();
  const Ints& pads = a.pads;
  if (pads.size() != 2 * rank) fail("QPad: pads needs a begin and an end per axis");
  Ints interior = a.interior;  // pad elements between neighbours
  if (interior.empty()) interior.assign(rank, 0);
  if (interior.size() != rank) fail("QPad: interior needs one entry per axis");
  const Ints& table = a.table.table;
  Shape out(rank);
  for (size_t d = 0; d < rank; ++d)
    out[d] = in[d] + (in[d] - 1) * interior[d] + pads[d] + pads[rank + d];
  Tensor y(table.empty() ? x.dtype() : out_type(a.table.y_signed), out);
  const int32_t code = static_cast<int32_t>(a.pad_code);
  std::vector<int64_t> o(rank, 0);
  for (int64_t i = 0; i < y.size(); ++i) {
    int64_t src = 0;
    bool inside = true;
    for (size_t d = 0; d < rank; ++d) {
      const int64_t s = o[d] - pads[d], step = interior[d] + 1;
      inside = inside && s >= 0 && s % step == 0 && s / step < in[d];
      src = src * in[d] + s / step;
    }
    const int32_t v = inside ? element(x, src) : code;
    set_element(y, i, inside && !table.empty() ? lookup(table, v) : v);
    for (size_t d = rank; d-- > 0;) {
      if (++o[d] < out[d]) break;
      o[d] = 0;
    }
  }
  return {std::move(y)};
}

inline void register_golden_pad(Goldens& goldens) {
  goldens.add<qpad>("QPad");
}

}  // namespace npu_ops
}  // namespace npusim::compiler
