// The accuracy report: the QDQ small CNN against FP32 on held-out inputs,
// and the per-layer sensitivity.
#include <gtest/gtest.h>

#include <cmath>

#include "npusim/compiler/quantizer.hpp"
#include "test_models.hpp"

namespace npusim::compiler {
namespace {

using testing::random_inputs;

QuantizedModel quantize(const Graph& g, const QuantPlan& plan, const std::string& method) {
  const Calibration c = calibrate(g, plan.activations, random_inputs(g, 16, 1));
  const RangeMethod m = parse_range_method(method);
  QuantizeOptions o;
  o.symmetric = m.symmetric;
  return quantize_graph(g, plan, compute_ranges(g, c, plan, m), o);
}

TEST(Accuracy, SmallCnnIsCloseToFp32OnHeldOutInputs) {
  const Graph g = prepare_graph(testing::small_cnn(), "small_cnn");
  const QuantPlan plan = plan_quantization(g);
  for (const char* method : {"minmax", "percentile", "mse"}) {
    const QuantizedModel q = quantize(g, plan, method);
    const AccuracyReport r = evaluate_accuracy(g, q, random_inputs(g, 4, 99));
    ASSERT_EQ(r.outputs.size(), 1u);
    EXPECT_EQ(r.samples, 4u);
    EXPECT_GT(r.outputs[0].sqnr_db, 30.0) << method;
    EXPECT_GT(r.outputs[0].cosine, 0.999) << method;
    EXPECT_GT(r.outputs[0].max_abs_error, 0.0) << method;   // it is quantised
    EXPECT_EQ(r.outputs[0].top1_agreement, 1.0) << method;  // [1, 10]: a classifier
  }
}

TEST(Accuracy, PerLayerSensitivityCoversEveryActivationWorstFirst) {
  const Graph g = prepare_graph(testing::small_cnn(), "small_cnn");
  const QuantPlan plan = plan_quantization(g);
  const QuantizedModel q = quantize(g, plan, "percentile");
  const AccuracyReport r = evaluate_accuracy(g, q, random_inputs(g, 2, 99));
  EXPECT_EQ(r.layers.size(), plan.activations.size());
  for (size_t i = 1; i < r.layers.size(); ++i)
    EXPECT_LE(r.layers[i - 1].sqnr_db, r.layers[i].sqnr_db);
  for (const auto& l : r.layers) {
    // A layer's own quantisation loses no more than the whole model up to it.
    EXPECT_GE(l.local_db + 0.5, l.sqnr_db) << l.tensor;
    EXPECT_GT(l.local_db, 25.0) << l.tensor;
    EXPECT_GE(l.clipped, 0.0);
  }
}

TEST(Accuracy, SqnrOfKnownError) {
  const Tensor a = Tensor::from(DType::kFloat32, {4}, std::vector<float>{1, -1, 1, -1});
  const Tensor b = Tensor::from(DType::kFloat32, {4}, std::vector<float>{1.1f, -0.9f, 1.1f, -0.9f});
  EXPECT_NEAR(sqnr_db(a, b), 20.0, 1e-4);  // noise power 1 % of the signal's
  EXPECT_TRUE(std::isinf(sqnr_db(a, a)));
}

}  // namespace
}  // namespace npusim::compiler
