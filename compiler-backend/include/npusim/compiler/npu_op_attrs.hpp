// The attributes of each npusim-domain op (npu_ops.hpp), as typed structs.
// Lowering fills one and writes it to the node (write_attrs); the golden
// model and code generation read it back (read_attrs). Each struct names
// its attributes once, in visit(): the names are what an exported graph
// stores, and nothing else spells them.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "npusim/compiler/graph.hpp"

namespace npusim::compiler {

using Ints = std::vector<int64_t>;

// The zero point and signedness of an op's 8-bit output, which lowering
// sets alike for every op (an op without a zero point ignores it).
struct OutputQuant {
  static constexpr const char* kZeroPoint = "y_zp";
  static constexpr const char* kSigned = "y_signed";
  int64_t y_zp = 0;
  bool y_signed = true;

  template <typename V>
  void visit(V&& v) {
    v(kZeroPoint, y_zp), v(kSigned, y_signed);
  }
};

// The requantised output of the arithmetic ops: the output's quantisation
// and the clamp of a fused ReLU/ReLU6 in its integer domain.
struct OutputStage : OutputQuant {
  int64_t act_lo = -32768, act_hi = 32767;

  template <typename V>
  void visit(V&& v) {
    OutputQuant::visit(v), v("act_lo", act_lo), v("act_hi", act_hi);
  }
};

// QConv: y = clamp(y_zp + requantize(sum (x-x_zp)(w-w_zp) + b, mult[oc], shift[oc])).
// A 2-D x [M, K] with weights [N, K, 1, 1] is a Gemm/MatMul: y [M, N].
struct QConvAttrs {
  static constexpr const char* kOp = "QConv";
  Ints strides, pads, dilations;  // pads: top, left, bottom, right
  int64_t group = 1;
  int64_t x_zp = 0, w_zp = 0;
  bool x_signed = true, w_signed = true;
  Ints mult, shift;  // per output channel: x_scale * w_scale[oc] / y_scale in fixed point
  OutputStage out;
  // ConvInteger / MatMulInteger: y is int32, the wrapped sum itself (no bias,
  // requantisation or clamp; mult and shift are not needed).
  bool int32_out = false;

  template <typename V>
  void visit(V&& v) {
    v("strides", strides), v("pads", pads), v("dilations", dilations), v("group", group);
    v("x_zp", x_zp), v("w_zp", w_zp), v("x_signed", x_signed), v("w_signed", w_signed);
    v("mult", mult), v("shift", shift), v("int32_out", int32_out), out.visit(v);
  }
};

// QAdd: y = clamp(y_zp + requantize(requantize((a-a_zp)*2^20, mult_a, shift_a)
//                 + requantize((b-b_zp)*2^20, mult_b, shift_b), mult, shift)).
// QMul: y = clamp(y_zp + requantize((a-a_zp)(b-b_zp), mult, shift)); mult_a/b unused.
// Inputs of one 8-bit type, numpy broadcasting.
struct QBinaryAttrs {
  int64_t a_zp = 0, b_zp = 0;
  int64_t mult_a = 0, shift_a = 0, mult_b = 0, shift_b = 0;
  int64_t mult = 0, shift = 0;
  OutputStage out;

  template <typename V>
  void visit(V&& v) {
    v("a_zp", a_zp), v("b_zp", b_zp), v("mult_a", mult_a), v("shift_a", shift_a);
    v("mult_b", mult_b), v("shift_b", shift_b), v("mult", mult), v("shift", shift);
    out.visit(v);
  }
};

// An 8-bit output through a 256-entry table indexed by the value's byte
// (int8 codes as uint8): activations and requantisation folded at compile
// time. Empty: no table, the output keeps the input's codes and type.
struct TableStage {
  Ints table;
  bool y_signed = true;

  template <typename V>
  void visit(V&& v) {
    v("table", table), v(OutputQuant::kSigned, y_signed);
  }
};

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

// QPool, NCHW, 2-D. max: y = table[max of the valid taps (qmin if none)];
// average: y has x's type, y = sat(y_zp + requantize_div(sum (x-x_zp), mult,
// shift, count)), count the valid taps or, with count_pad, the window's.
struct QPoolAttrs {
  static constexpr const char* kOp = "QPool";
  enum Mode : int64_t { kMax = 0, kAverage = 1 };
  int64_t mode = kMax;
  Ints kernel_shape, strides, pads;  // pads: top, left, bottom, right
  bool count_pad = false;
  int64_t x_zp = 0, y_zp = 0, mult = 0, shift = 0;  // average
  TableStage table;                                 // max, optional

  template <typename V>
  void visit(V&& v) {
    v("mode", mode), v("kernel_shape", kernel_shape), v("strides", strides), v("pads", pads);
    v("count_pad", count_pad), v("x_zp", x_zp), v(OutputQuant::kZeroPoint, y_zp), v("mult", mult);
    v("shift", shift), table.visit(v);
  }
};

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

// QResize, NCHW: nearest neighbour from the exact rational source coordinate
// (mode 0-3: floor, round_prefer_floor, round_prefer_ceil, ceil), or bilinear
// on raw codes in 16-bit fixed point rounded half to even (mode
// isa::kernels::kResizeBilinear), as vec.resize; then the optional table.
struct QResizeAttrs {
  static constexpr const char* kOp = "QResize";
  Ints out_hw;
  int64_t mode = 0;
  int64_t coord_mode = 0;  // 0 asymmetric, 1 half_pixel, 2 align_corners, 3 pytorch_half_pixel
  TableStage table;

  template <typename V>
  void visit(V&& v) {
    v("out_hw", out_hw), v("mode", mode), v("coord_mode", coord_mode), table.visit(v);
  }
};

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

namespace detail {

// Reads each field from the node; an attribute left out keeps its default.
struct AttrReader {
  const Node& node;
  template <typename T>
  void operator()(const char* name, T& field) const {
    auto it = node.attrs.find(name);
    if (it == node.attrs.end()) return;
    if constexpr (std::is_same_v<T, bool>) {
      field = get<int64_t>(name, it->second, "an integer") != 0;
    } else if constexpr (std::is_same_v<T, int64_t>) {
      field = get<int64_t>(name, it->second, "an integer");
    } else {
      field = get<Ints>(name, it->second, "a list of integers");
    }
  }
  template <typename T>
  const T& get(const char* name, const Attribute& a, const char* what) const {
    if (const T* v = std::get_if<T>(&a)) return *v;
    throw std::runtime_error(node.describe() + ": attribute '" + name + "' must be " + what);
  }
};

// Writes each field; an empty list is left out (an optional list not given).
struct AttrWriter {
  Node& node;
  template <typename T>
  void operator()(const char* name, const T& field) const {
    if constexpr (std::is_same_v<T, bool>) {
      node.attrs[name] = int64_t{field};
    } else if constexpr (std::is_same_v<T, Ints>) {
      if (field.empty())
        node.attrs.erase(name);
      else
        node.attrs[name] = field;
    } else {
      node.attrs[name] = field;
    }
  }
};

}  // namespace detail

// The attributes of an npusim-domain node as the struct A.
template <typename A>
A read_attrs(const Node& n) {
  A a;
  a.visit(detail::AttrReader{n});
  return a;
}

// Sets the node's attributes to a's.
template <typename A>
void write_attrs(Node& n, A a) {
  a.visit(detail::AttrWriter{n});
}

// Reads the node's attributes as A, lets `change` edit them, writes them back.
template <typename A, typename Change>
void update_attrs(Node& n, Change&& change) {
  A a = read_attrs<A>(n);
  change(a);
  write_attrs(n, std::move(a));
}

}  // namespace npusim::compiler
