// What every NPU op file builds on. An npusim-domain op (npu_ops.hpp) lives in
// src/npu_ops/: its header <name>.hpp holds the op's attributes struct and its
// golden function (the reference executor's semantics of the op, on int8
// codes), and registers the golden function in register_golden_<name>; the
// compiler side (lowering rule, code generation) registers itself in
// register_compiler_<name> (src/npu_ops/<name>.cpp, or a family's
// codegen/<family>_codegen.cpp). CMake lists the headers of src/npu_ops/
// (npu_op_files.hpp, generated), so adding an op edits no list.
// docs/compiler.md "Adding an NPU op".
//
// Header-only on purpose: the reference executor (npusim_executor) includes
// the op headers for the golden functions and never sees code generation;
// the compiler includes them for the attributes.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

#include "npusim/compiler/npu_op_attrs.hpp"
#include "npusim/compiler/npu_ops.hpp"
#include "npusim/isa/int8.hpp"
#include "ops/kernel.hpp"

namespace npusim::compiler::npu_ops {

// The executor's helpers (ops/kernel.hpp: fail, broadcasting, checks) by name.
using namespace ops;

// ---- helpers of the golden functions: 8-bit (and int32) codes of any layout ----

inline int32_t element(const Tensor& t, int64_t i) {
  return t.dtype() == DType::kUint8 ? t.as<uint8_t>()[i] : t.as<int8_t>()[i];
}

inline void set_element(Tensor& t, int64_t i, int32_t q) {
  if (t.dtype() == DType::kUint8)
    t.as<uint8_t>()[i] = static_cast<uint8_t>(q);
  else if (t.dtype() == DType::kInt32)
    t.as<int32_t>()[i] = q;
  else
    t.as<int8_t>()[i] = static_cast<int8_t>(q);
}

inline DType out_type(bool y_signed) {
  return y_signed ? DType::kInt8 : DType::kUint8;
}

inline void require_8bit(const Tensor& t, const std::string& what) {
  ops::require_dtype(t, {DType::kInt8, DType::kUint8}, what);
}

inline isa::FixedMultiplier multiplier(int64_t mult, int64_t shift) {
  return {static_cast<int32_t>(mult), static_cast<int32_t>(shift)};
}

inline int32_t lookup(const std::vector<int64_t>& table, int32_t x) {
  return static_cast<int32_t>(table[static_cast<uint8_t>(x)]);
}

// ---- registration of golden functions ----

// A golden function: the op's outputs from its inputs and typed attributes.
template <typename A>
using GoldenFn = std::vector<Tensor> (*)(const OpContext&, const A&);

template <typename F>
struct AttrsOf;
template <typename A>
struct AttrsOf<std::vector<Tensor> (*)(const OpContext&, const A&)> {
  using type = A;
};

// The executor's entry for Fn: the node's attributes read once, typed.
template <auto Fn>
std::vector<Tensor> run_golden(const OpContext& c) {
  using A = typename AttrsOf<decltype(Fn)>::type;
  return Fn(c, read_attrs<A>(c.node()));
}

// The reference executor's registry of npusim-domain ops, as an op header's
// register_golden_<name> fills it: goldens.add<qpool>("QPool").
class Goldens {
 public:
  explicit Goldens(ops::Registry& r) : r_(r) {}

  template <auto Fn>
  void add(const std::string& op) {
    const std::string key = std::string(kNpuDomain) + "." + op;
    if (r_.count(key)) throw std::logic_error("npusim op " + op + " has two golden functions");
    r_[key] = &run_golden<Fn>;
  }

  // The ONNX op (default domain) that the op file lowers, on any dtype, for
  // the executor's CPU path (a float model, a node that stays on the CPU),
  // when the executor has no implementation of it elsewhere.
  void add_onnx(const std::string& op, ops::OpFn fn) {
    if (r_.count(op)) throw std::logic_error("ONNX op " + op + " has two implementations");
    r_[op] = fn;
  }

 private:
  ops::Registry& r_;
};

}  // namespace npusim::compiler::npu_ops
