// QLut: a 256-entry table per element (activations, PRelu, integer Clip).
// The op's attributes (what lowering writes on the node) and its golden
// function: the reference executor's semantics on int8 codes, written as
// plain loops over ONNX layouts (NCHW), independently of the device's kernels.
// Its lowering and code generation: codegen/lut_codegen.cpp and the lower_*.cpp
// files its register_compiler_lut names (docs/compiler.md "Adding an NPU op").
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "../npu_op.hpp"

namespace npusim::compiler {

// QLut: y = table[(uint8) x]. With table_shape (broadcasting to x's shape: a
// PRelu's slope shape), table holds 256 entries per element of table_shape
// and each element of x uses its own.
struct QLutAttrs {
  static constexpr const char* kOp = "QLut";
  TableStage lut;
  Ints table_shape;

  template <typename V>
  void visit(V&& v) {
    lut.visit(v), v("table_shape", table_shape);
  }
};

namespace npu_ops {

inline std::vector<Tensor> qlut(const OpContext& c, const QLutAttrs& a) {
  const Tensor& x = c.in(0);
  require_8bit(x, "input X");
  const Ints& table_shape = a.table_shape;
  Tensor y(out_type(a.lut.y_signed), x.shape());
  if (table_shape.empty()) {  // one table for every element
    const Ints& table = a.lut.table;
    if (table.size() != 256) fail("attribute 'table' must hold 256 entries");
    for (int64_t i = 0; i < x.size(); ++i) set_element(y, i, lookup(table, element(x, i)));
    return {std::move(y)};
  }
  // Tables laid out as a tensor of shape table_shape that broadcasts to x.
  const Ints& tables = a.lut.table;
  if (tables.size() != size_t(256 * element_count(table_shape)))
    fail("attribute 'table' must hold 256 entries per element of table_shape");
  if (broadcast_shapes(table_shape, x.shape()) != x.shape())
    fail("table_shape does not broadcast to the input's shape");
  for_each_broadcast<1>(x.shape(), {Shape(table_shape)},
                        [&](int64_t o, const std::array<int64_t, 1>& t) {
                          const auto code = static_cast<uint8_t>(element(x, o));
                          set_element(y, o, static_cast<int32_t>(tables[256 * t[0] + code]));
                        });
  return {std::move(y)};
}

inline void register_golden_lut(Goldens& goldens) {
  goldens.add<qlut>("QLut");
}

}  // namespace npu_ops
}  // namespace npusim::compiler
