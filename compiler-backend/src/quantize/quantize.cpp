// quantize(): the quantiser's stages in the order the CLI runs them.
#include "npusim/compiler/quantizer.hpp"

namespace npusim::compiler {

QuantizedModel quantize(const Graph& g, const std::vector<TensorMap>& calib,
                        const RangeMethod& method, bool bias_correction) {
  const QuantPlan plan = plan_quantization(g);
  const Calibration c = calibrate_plan(g, plan, calib);
  QuantizeOptions options;
  options.symmetric = method.symmetric;
  if (bias_correction) options.channel_means = c.channel_means;
  return quantize_graph(g, plan, compute_ranges(g, c, plan, method), options);
}

}  // namespace npusim::compiler
