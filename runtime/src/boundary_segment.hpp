// A CPU segment at the float boundary of a quantised model: nothing but
// per-tensor QuantizeLinear (the float inputs) and DequantizeLinear (the
// outputs). It runs as tight loops (isa's tensor-wide quantize_linear /
// dequantize_linear, the executor's arithmetic bit for bit) instead of
// through the general reference executor, node by node and element by
// element; any other segment keeps the executor.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "npusim/compiler/executor.hpp"
#include "npusim/compiler/graph.hpp"

namespace npusim::runtime {

class BoundarySegment {
 public:
  // The steps of `g`, or nullopt when it is not such a segment.
  static std::optional<BoundarySegment> plan(const compiler::Graph& g);

  // Whether run() can take these inputs (their dtypes are the ones the plan
  // assumed); if not, the executor runs the graph and reports what is wrong.
  bool accepts(const compiler::TensorMap& env) const;
  // Reads the graph's inputs from `env` and adds its outputs to it.
  void run(compiler::TensorMap& env) const;

 private:
  struct Step {
    bool quantize = false;  // QuantizeLinear, else DequantizeLinear
    std::string input, output;
    float scale = 1.0f;
    int32_t zero_point = 0;
    compiler::DType dtype = compiler::DType::kUndefined;  // 8-bit type (output or input)
  };
  std::vector<Step> steps_;
  std::vector<std::string> outputs_;
};

}  // namespace npusim::runtime
