// QConcat / QSplit: concatenation and splitting along any axis, each input
// (output) through its own requantisation table.
// The op's attributes (what lowering writes on the node) and its golden
// function: the reference executor's semantics on int8 codes, written as
// plain loops over ONNX layouts (NCHW), independently of the device's kernels.
// Its lowering and code generation: codegen/concat_codegen.cpp and the lower_*.cpp
// files its register_compiler_concat names (docs/compiler.md "Adding an NPU op").
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "../npu_op.hpp"

namespace npusim::compiler {

// QConcat: inputs x0..xn-1 along axis; input k through table k (256 each).
struct QConcatAttrs {
  static constexpr const char* kOp = "QConcat";
  int64_t axis = 1;
  Ints tables;
  bool y_signed = true;

  template <typename V>
  void visit(V&& v) {
    v("axis", axis), v("tables", tables), v(OutputQuant::kSigned, y_signed);
  }
};

// QSplit: outputs y0..yn-1 of sizes split along axis; output k through
// table k, with its own zero point and signedness (1: int8).
struct QSplitAttrs {
  static constexpr const char* kOp = "QSplit";
  int64_t axis = 0;
  Ints split, tables, y_zps, y_signs;

  template <typename V>
  void visit(V&& v) {
    v("axis", axis), v("split", split), v("tables", tables), v("y_zps", y_zps);
    v("y_signs", y_signs);
  }
};

namespace npu_ops {

// Concatenation along `axis`; input k goes through table k (256 entries each).
inline std::vector<Tensor> qconcat(const OpContext& c, const QConcatAttrs& a) {
  const Tensor& first = c.in(0);
  const int64_t rank = static_cast<int64_t>(first.shape().size());
  const int64_t axis = normalize_axis(a.axis, rank);
  const Ints& tables = a.tables;
  const size_t inputs = c.input_count();
  if (tables.size() != 256 * inputs) fail("QConcat needs one 256-entry table per input");
  Shape out = first.shape();
  out[axis] = 0;
  for (size_t k = 0; k < inputs; ++k) {
    require_8bit(c.in(k), "input " + std::to_string(k));
    out[axis] += c.in(k).shape()[axis];
  }
  const int64_t outer = product(out, 0, axis), inner = product(out, axis + 1, rank);
  Tensor y(out_type(a.y_signed), out);
  int64_t at = 0;  // offset of input k along the axis
  for (size_t k = 0; k < inputs; ++k) {
    const Tensor& x = c.in(k);
    const std::vector<int64_t> table(tables.begin() + 256 * k, tables.begin() + 256 * (k + 1));
    const int64_t len = x.shape()[axis] * inner;
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t i = 0; i < len; ++i)
        set_element(y, (o * out[axis] + at) * inner + i, lookup(table, element(x, o * len + i)));
    at += x.shape()[axis];
  }
  return {std::move(y)};
}

// Split along `axis` into parts of `split` sizes; output k goes through table k.
inline std::vector<Tensor> qsplit(const OpContext& c, const QSplitAttrs& a) {
  const Tensor& x = c.in(0);
  require_8bit(x, "input X");
  const int64_t rank = static_cast<int64_t>(x.shape().size());
  const int64_t axis = normalize_axis(a.axis, rank);
  const Ints &parts = a.split, &tables = a.tables, &signs = a.y_signs;
  if (parts.size() != c.output_count() || tables.size() != 256 * parts.size() ||
      signs.size() != parts.size())
    fail("QSplit needs a size, a 256-entry table and a signedness per output");
  const int64_t outer = product(x.shape(), 0, axis), inner = product(x.shape(), axis + 1, rank);
  std::vector<Tensor> out;
  int64_t at = 0;  // offset of output k along the axis
  for (size_t k = 0; k < parts.size(); ++k) {
    Shape shape = x.shape();
    shape[axis] = parts[k];
    Tensor y(signs[k] != 0 ? DType::kInt8 : DType::kUint8, shape);
    const std::vector<int64_t> table(tables.begin() + 256 * k, tables.begin() + 256 * (k + 1));
    const int64_t len = parts[k] * inner;
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t i = 0; i < len; ++i)
        set_element(y, o * len + i,
                    lookup(table, element(x, (o * x.shape()[axis] + at) * inner + i)));
    at += parts[k];
    out.push_back(std::move(y));
  }
  return out;
}

inline void register_golden_concat(Goldens& goldens) {
  goldens.add<qconcat>("QConcat");
  goldens.add<qsplit>("QSplit");
}

}  // namespace npu_ops
}  // namespace npusim::compiler
