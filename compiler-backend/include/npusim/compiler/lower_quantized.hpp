// Recognises quantised forms in an imported graph and rewrites them into
// npusim-domain ops (npu_ops.hpp), one lower_*.cpp per op family:
//   DequantizeLinear -> Conv [-> Relu | Clip] -> QuantizeLinear, and QLinearConv  -> QConv
//   DQ -> Gemm / MatMul (constant weights) [-> Add bias] -> Q                       -> QConv 1x1
//   DQ -> Add / Mul [-> Relu | Clip] -> Q                                          -> QAdd / QMul
//   DQ -> any chain of univariate float ops (Sigmoid, SiLU, HardSwish, ...) -> Q    -> QLut
//   DQ -> MaxPool / AveragePool / GlobalAveragePool -> Q                            -> QPool
//   DQ -> Concat / Split -> Q                                                       -> QConcat /
//   QSplit DQ -> Resize (nearest) -> Q                                                     ->
//   QResize
// Weights must be constant. What is not recognised stays as it is (and later
// runs on the CPU); the report says why for each node it looked at.
#pragma once

#include <string>
#include <vector>

#include "npusim/compiler/graph.hpp"

namespace npusim::compiler {

struct LoweringNote {
  std::string node;    // Node::describe()
  std::string result;  // "QConv" or the reason it was left alone
};

// Rewrites `g` in place; returns one note per candidate node.
std::vector<LoweringNote> lower_quantized(Graph& g);

// True if the graph has float compute ops but no quantised form at all
// (the compiler then points the user to `npusim quantize`).
bool is_float_only(const Graph& g);

}  // namespace npusim::compiler
