// CalibrationCollector: calibration one input at a time (the Python
// Calibrator's collect_data) gives exactly what calibrate() gives on the
// whole list, and its errors name the input.
#include <gtest/gtest.h>

#include "npusim/compiler/quantizer.hpp"
#include "test_models.hpp"

namespace npusim::compiler {
namespace {

TEST(CalibrationCollector, OneAtATimeEqualsTheWholeList) {
  const Graph g = prepare_graph(testing::small_cnn(), "small_cnn");
  const QuantPlan plan = plan_quantization(g);
  const auto inputs = testing::random_inputs(g, 5, 7);
  const Calibration all = calibrate_plan(g, plan, inputs);

  std::vector<std::string> means;
  for (const auto& w : plan.weights) means.push_back(w.x);
  CalibrationCollector collector(g, plan.activations, means);
  for (const auto& input : inputs) collector.add(input);
  EXPECT_EQ(collector.samples(), 5u);
  const Calibration streamed = collector.result();

  EXPECT_EQ(streamed.samples, all.samples);
  ASSERT_EQ(streamed.stats.size(), all.stats.size());
  for (const auto& [name, h] : all.stats) {
    const Histogram& s = streamed.stats.at(name);
    EXPECT_EQ(s.counts(), h.counts()) << name;
    EXPECT_EQ(s.lo(), h.lo()) << name;
    EXPECT_EQ(s.bin_width(), h.bin_width()) << name;
    EXPECT_EQ(s.min(), h.min()) << name;
    EXPECT_EQ(s.max(), h.max()) << name;
  }
  ASSERT_FALSE(all.channel_means.empty());
  EXPECT_EQ(streamed.channel_means, all.channel_means);  // bit for bit
}

TEST(CalibrationCollector, PartialResultsAverageOverTheInputsSoFar) {
  const Graph g = prepare_graph(testing::small_cnn(), "small_cnn");
  const QuantPlan plan = plan_quantization(g);
  const auto inputs = testing::random_inputs(g, 3, 2);
  CalibrationCollector collector(g, plan.activations, {g.inputs[0]});
  collector.add(inputs[0]);
  collector.add(inputs[1]);
  const Calibration two =
      calibrate(g, plan.activations, {inputs[0], inputs[1]}, CalibrateOptions{{g.inputs[0]}, {}});
  EXPECT_EQ(collector.result().channel_means, two.channel_means);
}

TEST(CalibrationCollector, ErrorsNameTheInputNumber) {
  const Graph g = prepare_graph(testing::small_cnn(), "small_cnn");
  const QuantPlan plan = plan_quantization(g);
  CalibrationCollector collector(g, plan.activations);
  collector.add(testing::random_inputs(g, 1, 1)[0]);
  TensorMap wrong = {{g.inputs[0], Tensor(DType::kFloat32, {1, 3, 8, 8})}};
  try {
    collector.add(wrong);
    FAIL() << "a wrong input shape was accepted";
  } catch (const CompileError& e) {
    EXPECT_NE(std::string(e.what()).find("calibration input 2: "), std::string::npos) << e.what();
  }
  EXPECT_EQ(collector.samples(), 1u);
}

}  // namespace
}  // namespace npusim::compiler
