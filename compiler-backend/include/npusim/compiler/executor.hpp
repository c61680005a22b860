// The CPU reference executor: runs a graph (or one node) on the host with
// ONNX semantics (opsets 9-17). It is the golden model the simulator is
// checked against, and it serves constant folding, calibration and the CPU
// segments of partitioned programs.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "npusim/compiler/graph.hpp"
#include "npusim/compiler/tensor.hpp"

namespace npusim::compiler {

struct ExecOptions {
  // Also return every value computed by a node (for calibration and debugging).
  bool keep_intermediates = false;
  // Checks each computed value against the dtype/shape the graph records for
  // it (when known): a mismatch means a bug in a pass or in the executor.
  bool check_value_info = true;
};

// Runs the whole graph; `inputs` by graph input name. Returns the graph
// outputs (plus every intermediate value when asked). Errors (CompileError)
// name the node, its op and the reason.
TensorMap execute(const Graph& g, const TensorMap& inputs, const ExecOptions& options = {});

// Runs one node. `inputs` follows node.inputs; nullptr for an omitted optional
// input. Returns one tensor per node output (an empty Tensor for an output
// the op does not produce).
std::vector<Tensor> execute_node(const Node& n, const std::vector<const Tensor*>& inputs,
                                 int64_t opset);

// Whether the executor implements `op` of `domain` ("" / "ai.onnx": ONNX's).
bool executor_supports(const std::string& op, const std::string& domain = "");
// Every supported op, sorted; ops of other domains as "domain.Op".
std::vector<std::string> executor_ops();

}  // namespace npusim::compiler
