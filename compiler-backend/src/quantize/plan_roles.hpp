// Internal to the quantiser: what each node is to the quantisation plan
// (plan.cpp turns roles into the set of quantised values).
#pragma once

#include <set>
#include <string>
#include <vector>

#include "graph_index.hpp"

namespace npusim::compiler::quant {

enum class Role {
  kFloat,         // left in float (not an NPU op)
  kCompute,       // Conv, ConvTranspose, Gemm, MatMul: weights per channel
  kBinary,        // Add, Mul of two values (or a value and a tensor constant)
  kLut,           // part of an element-wise chain of one value (one table)
  kPool,          // AveragePool, GlobalAveragePool: own output scale
  kSharedPool,    // MaxPool, GlobalMaxPool: output reuses the input's scale
  kResize,        // Resize other than nearest: own output scale
  kSharedResize,  // nearest Resize: output reuses the input's scale
  kConcat,        // inputs keep their own scales, the NPU requantises by table
  kMove,          // data movement (Reshape, Transpose, ...): scale passes through
  kFusedAct,      // Relu/Clip fused into the Conv/Gemm/MatMul/Add/Mul before it
  kBiasAdd,       // the constant Add after a MatMul (its bias)
  kSlopeLut,      // PRelu with a constant slope tensor: one table per slope element
};
const char* role_name(Role r);

struct Roles {
  std::vector<Role> role;          // per node index
  std::set<std::string> interior;  // float values between fused nodes: not quantised
};

// Roles of every node. Relu/Clip (constant bounds) that alone read a
// Conv/Gemm/MatMul/Add/Mul output are fused; maximal chains of element-wise
// ops of one value with a single exit (SiLU, HardSwish, x*a+b, ...) become
// one table, as lower_quantized's QLut recognises them.
Roles assign_roles(const GraphIndex& ix);

}  // namespace npusim::compiler::quant
