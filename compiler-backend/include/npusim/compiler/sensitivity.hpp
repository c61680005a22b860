// Per-layer quantisation sensitivity (`npusim quantize --sensitivity`,
// docs/quantizer.md): for each quantised activation and each quantised
// weight tensor, the model's output SQNR against FP32 when only that one is
// quantised and everything else stays float. The worst rows are the layers
// to keep in higher precision, or whose range to recalibrate.
#pragma once

#include <string>
#include <vector>

#include "npusim/compiler/quantizer.hpp"

namespace npusim::compiler {

struct SensitivityRow {
  std::string kind;  // "activation" or "weights"
  // activation: the tensor (as in the ranges file); weights: the compute
  // node's first output (the node that reads them)
  std::string name;
  std::string op;            // the node producing the activation / reading the weights; "input"
  double sqnr_db = 0;        // the lowest over the outputs (+inf: no change at all)
  std::string worst_output;  // the output with that SQNR
  std::vector<double> outputs_db;  // per graph output, in order
  Range range;                     // activation: the clipping range
  float scale = 0;                 // activation: its scale
  int32_t zero_point = 0;
};

struct SensitivityOptions {
  bool activations = true, weights = true;
  ProgressFn progress;  // (rows done, rows)
};

// Rows sorted worst (lowest SQNR) first, ties in graph order. `q` is
// quantize_graph's result for `plan` on the FP32 graph `fp32`; each row runs
// the FP32 graph with that one quantisation on every input. Activations that
// share another's parameters (MaxPool, data movement) are left out: their
// own quantisation is exact in the QDQ model.
std::vector<SensitivityRow> quantization_sensitivity(const Graph& fp32, const QuantPlan& plan,
                                                     const QuantizedModel& q,
                                                     const std::vector<TensorMap>& inputs,
                                                     const SensitivityOptions& options = {});

// The FP32 graph with a QuantizeLinear -> DequantizeLinear of `q.tensor` (its
// readers and a graph output of that name read the dequantised value; the
// output keeps its position but takes the new name).
Graph with_activation_quantized(const Graph& fp32, const ActivationQuant& q);

}  // namespace npusim::compiler
