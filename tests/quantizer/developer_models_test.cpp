// The developer models, when cached (scripts/fetch-models.sh): quantised
// with random calibration, the QDQ graph executes and the compiler lowers
// every convolution. Skipped without the files: tests need no network.
#include <gtest/gtest.h>

#include <cmath>

#include "common/model_cache.hpp"
#include "npusim/compiler/lower_quantized.hpp"
#include "npusim/compiler/quantizer.hpp"
#include "test_models.hpp"

namespace npusim::compiler {
namespace {

QuantizedModel quantize_random(const Graph& g, const ImagePreprocess& pp) {
  const QuantPlan plan = plan_quantization(g);
  const auto inputs = load_inputs(g, {"random"}, pp, 2, 1);
  const Calibration c = calibrate(g, plan.activations, inputs);
  return quantize_graph(g, plan, compute_ranges(g, c, plan, parse_range_method("percentile")));
}

void expect_runs_and_lowers(const Graph& g, const QuantizedModel& q, const ImagePreprocess& pp) {
  const auto in = load_inputs(g, {"random"}, pp, 1, 9)[0];
  const TensorMap out = execute(q.graph, quantized_inputs(q, in));
  for (const auto& name : g.outputs) {
    ASSERT_TRUE(out.count(name)) << name;
    EXPECT_EQ(out.at(name).shape(), g.value(name).shape) << name;
    for (float v : out.at(name).as<float>()) ASSERT_TRUE(std::isfinite(v)) << name;
  }
  Graph lowered = q.graph;
  int convs = 0, qconvs = 0;
  for (const auto& n : g.nodes) convs += n.op == "Conv";
  for (const auto& note : lower_quantized(lowered))
    if (note.node.rfind("Conv ", 0) == 0) qconvs += note.result == "QConv";
  for (const auto& n : lowered.nodes) EXPECT_NE(n.op, "Conv") << n.describe();
  EXPECT_GE(qconvs, convs);
}

TEST(DeveloperModels, BlazeFaceQuantisesRunsAndLowers) {
  const std::string path = testing::cached_file("models", "blazeface.onnx");
  if (path.empty()) GTEST_SKIP() << "blazeface.onnx not cached (scripts/fetch-models.sh)";
  std::vector<std::string> notes;
  const Graph g = prepare_model(path, {}, &notes);
  EXPECT_EQ(g.opset, 13);
  ImagePreprocess pp;  // [-1, 1] as MediaPipe feeds it
  pp.scale = 2.0f / 255.0f;
  pp.mean = {1.0f};
  const QuantizedModel q = quantize_random(g, pp);
  EXPECT_TRUE(plan_quantization(g).float_nodes.empty());
  expect_runs_and_lowers(g, q, pp);
}

TEST(DeveloperModels, PpOcrClsConvertsFromOpset9) {
  const std::string path = testing::cached_file("models", "ppocr_cls.onnx");
  if (path.empty()) GTEST_SKIP() << "ppocr_cls.onnx not cached (scripts/fetch-models.sh)";
  PrepareOptions o;
  o.input_shapes["x"] = {1, 3, 48, 192};
  const Graph g = prepare_model(path, o);
  EXPECT_EQ(g.opset, 13);
  for (const auto& n : g.nodes) EXPECT_NE(n.op, "BatchNormalization") << "folded into the convs";
  ImagePreprocess pp;
  pp.mean = {0.5f};
  pp.std = {0.5f};
  expect_runs_and_lowers(g, quantize_random(g, pp), pp);
}

}  // namespace
}  // namespace npusim::compiler
