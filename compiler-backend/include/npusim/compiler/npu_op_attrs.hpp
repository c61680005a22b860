// The typed attributes of npusim-domain ops (npu_ops.hpp): the parts the
// ops share (output quantisation, output table) and read_attrs/write_attrs.
// Each op's own struct is in its op file (src/npu_ops/<name>.hpp). Lowering
// fills one and writes it to the node (write_attrs); the golden model and
// code generation read it back (read_attrs). Each struct names its
// attributes once, in visit(): the names are what an exported graph stores,
// and nothing else spells them.
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
