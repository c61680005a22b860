// Bias correction: the bias absorbs the mean error int8 rounding adds to
// the weights, sum (w_q - w) * E[x] per output channel.
#include <gtest/gtest.h>

#include <cmath>

#include "npusim/compiler/quantizer.hpp"
#include "test_models.hpp"

namespace npusim::compiler {
namespace {

using testing::ModelBuilder;

// The real bias the QDQ graph feeds the Conv: its int32 codes times their scales.
std::vector<double> qdq_bias(const Graph& q) {
  for (const auto& n : q.nodes) {
    if (n.op != "Conv") continue;
    const Node& dq = q.nodes[q.producer(n.inputs.at(2))];
    const Tensor &codes = *q.value(dq.inputs[0]).constant, &s = *q.value(dq.inputs[1]).constant;
    std::vector<double> b;
    for (int64_t i = 0; i < codes.size(); ++i)
      b.push_back(codes.at(i) * s.at(s.size() == 1 ? 0 : i));
    return b;
  }
  return {};
}

TEST(BiasCorrection, OneByOneConvByHand) {
  // y = 0.5 x0 + 0.3 x1 + 0.1: scale 0.5/127, 0.3 -> 76 codes = 0.299213 (error -0.000787).
  ModelBuilder b;
  const std::string x = b.input("x", {1, 2, 2, 2});
  const std::string w =
      b.constant("w", Tensor::from(DType::kFloat32, {1, 2, 1, 1}, std::vector<float>{0.5f, 0.3f}));
  const std::string bias =
      b.constant("b", Tensor::from(DType::kFloat32, {1}, std::vector<float>{0.1f}));
  b.output(b.op("Conv", {x, w, bias}));
  const Graph g = prepare_graph(b.build(), "conv1x1");
  const QuantPlan plan = plan_quantization(g);
  const RangeTable ranges = {{"x", {0.0f, 4.0f}}, {g.outputs[0], {0.0f, 2.0f}}};
  QuantizeOptions o;
  const double plain = qdq_bias(quantize_graph(g, plan, ranges, o).graph).at(0);
  o.channel_means["x"] = {1.0, 2.0};  // E[x0] = 1, E[x1] = 2
  const double corrected = qdq_bias(quantize_graph(g, plan, ranges, o).graph).at(0);
  const double w1 = std::nearbyint(0.3 / (0.5 / 127)) * double(0.5f / 127);
  const double shift = (w1 - 0.3) * 2.0;
  const double step = (4.0 / 255) * (0.5 / 127);  // x_scale * w_scale: one bias code
  EXPECT_NEAR(plain, 0.1, step);
  EXPECT_NEAR(corrected, 0.1 - shift, step);
  EXPECT_GT(std::fabs(corrected - plain), 5 * step);
}

TEST(BiasCorrection, ReducesTheMeanErrorOfWeightsOnlyModel) {
  const Graph g = prepare_graph(testing::small_cnn(), "small_cnn");
  const QuantPlan plan = plan_quantization(g);
  const Calibration c = calibrate_plan(g, plan, testing::random_inputs(g, 8, 1));
  ASSERT_FALSE(c.channel_means.empty());
  const RangeTable ranges = compute_ranges(g, c, plan, parse_range_method("minmax"));
  const auto eval = testing::random_inputs(g, 8, 1);
  auto mean_error = [&](const QuantizeOptions& o) {
    const Graph w = weights_only_model(g, quantize_graph(g, plan, ranges, o).graph);
    double sum = 0, n = 0;
    for (const auto& in : eval) {
      const TensorMap a = execute(g, in), b = execute(w, in);
      const auto x = a.at(g.outputs[0]).as<float>(), y = b.at(g.outputs[0]).as<float>();
      for (size_t i = 0; i < x.size(); ++i, ++n) sum += double(y[i]) - double(x[i]);
    }
    return std::fabs(sum / n);
  };
  QuantizeOptions corrected;
  corrected.channel_means = c.channel_means;
  EXPECT_LT(mean_error(corrected), mean_error({}));
}

}  // namespace
}  // namespace npusim::compiler
