// prepare_graph: constant folding, affine folding into convolutions and the
// conversion of old opsets (the PP-OCR cls case: opset 9 with Clip
// attributes and a Softmax after a Reshape whose shape is computed).
#include <gtest/gtest.h>

#include <cmath>

#include "npusim/compiler/executor.hpp"
#include "npusim/compiler/onnx_io.hpp"
#include "npusim/compiler/quantizer.hpp"
#include "test_models.hpp"

namespace npusim::compiler {
namespace {

using testing::ModelBuilder;

int count(const Graph& g, const std::string& op) {
  int n = 0;
  for (const auto& node : g.nodes) n += node.op == op;
  return n;
}

Tensor ints(std::vector<int64_t> v) {
  const auto n = static_cast<int64_t>(v.size());
  return Tensor::from(DType::kInt64, {n}, v);
}

// Same outputs for the same input (float tolerance).
void expect_same_function(const Graph& a, const Graph& b) {
  const auto in = testing::random_inputs(a, 1, 4)[0];
  const TensorMap ra = execute(a, in), rb = execute(b, in);
  for (const auto& name : a.outputs) {
    const auto x = ra.at(name).as<float>(), y = rb.at(name).as<float>();
    ASSERT_EQ(x.size(), y.size());
    for (size_t i = 0; i < x.size(); ++i) EXPECT_NEAR(x[i], y[i], 1e-4 * (1 + std::fabs(x[i])));
  }
}

// x -> Conv -> Clip(0, 6) (opset-9 attributes) -> GlobalAveragePool ->
// Reshape(Concat(Slice(Shape(.)), [-1])) -> MatMul -> Add -> Softmax
Graph opset9_classifier() {
  ModelBuilder b(9);
  const std::string x = b.input("x", {1, 3, 8, 8});
  const std::string c = b.op("Clip", {b.conv(x, 4, 3, 1, 1)}, {{"min", 0.0f}, {"max", 6.0f}});
  const std::string p = b.op("GlobalAveragePool", {c});
  const std::string batch = b.op("Slice", {b.op("Shape", {p})},
                                 {{"starts", std::vector<int64_t>{0}},
                                  {"ends", std::vector<int64_t>{1}},
                                  {"axes", std::vector<int64_t>{0}}});
  const std::string shape =
      b.op("Concat", {batch, b.constant("minus_one", ints({-1}))}, {{"axis", int64_t(0)}});
  const std::string flat = b.op("Reshape", {p, shape});
  Tensor w(DType::kFloat32, {4, 2});
  for (int i = 0; i < 8; ++i) w.as<float>()[i] = 0.25f * float(i - 4);
  const std::string mm = b.op("MatMul", {flat, b.constant("fc_w", w)});
  const std::string logits = b.op(
      "Add", {mm, b.constant("fc_b",
                             Tensor::from(DType::kFloat32, {2}, std::vector<float>{0.1f, -0.1f}))});
  b.output(b.op("Softmax", {logits}, {{"axis", int64_t(1)}}));
  return b.build();
}

TEST(Prepare, Opset9ModelIsFoldedAndConverted) {
  const Graph original = opset9_classifier();
  std::vector<std::string> notes;
  const Graph g = prepare_graph(original, "opset9", {}, &notes);
  EXPECT_EQ(g.opset, 13);
  EXPECT_EQ(count(g, "Shape") + count(g, "Slice") + count(g, "Concat"), 0);
  EXPECT_EQ(count(g, "Softmax"), 1);
  for (const auto& n : g.nodes)
    if (n.op == "Clip") {
      EXPECT_EQ(n.inputs.size(), 3u) << "Clip-11 takes min/max as inputs";
    }
  expect_same_function(original, g);
  ASSERT_FALSE(notes.empty());
  EXPECT_NE(notes[0].find("folded"), std::string::npos);
  // And it quantises: MatMul + bias Add become one compute op with an int32 bias.
  const QuantPlan plan = plan_quantization(g);
  EXPECT_EQ(plan.biases.size(), 2u);
  EXPECT_EQ(plan.float_nodes.size(), 1u);  // Softmax
}

// import_onnx converts directly, without the folding: ONNX's shape inference
// cannot follow Shape -> Slice (opset 9) -> Concat -> Reshape, and the
// Softmax 12 -> 13 adapter needs its input's shape; import computes it.
TEST(Prepare, ImportConvertsTheOpset9ModelDirectly) {
  const Graph original = opset9_classifier();
  ImportOptions o;
  o.min_opset = 13;
  const Graph g = import_onnx_bytes(export_onnx_bytes(original), "opset9", o);
  EXPECT_EQ(g.opset, 13);
  EXPECT_EQ(count(g, "Shape"), 1) << "nothing folded";
  EXPECT_EQ(count(g, "Softmax"), 1);
  expect_same_function(original, g);
}

TEST(Prepare, BatchNormAndScalarAffineFoldIntoTheConvolution) {
  ModelBuilder b;
  const std::string x = b.input("x", {1, 3, 8, 8});
  const std::string c = b.conv(x, 4, 3, 1, 1, false);
  auto vec = [&](const std::string& name, std::vector<float> v) {
    return b.constant(name, Tensor::from(DType::kFloat32, {4}, v));
  };
  const std::string bn = b.op("BatchNormalization",
                              {c, vec("g", {1, 2, 0.5f, 1}), vec("beta", {0, 1, -1, 0.5f}),
                               vec("mean", {0.1f, 0, 0.2f, -0.3f}), vec("var", {1, 4, 0.25f, 2})},
                              {{"epsilon", 1e-5f}});
  auto scalar = [&](const std::string& name, float v) {
    return b.constant(name, Tensor::from(DType::kFloat32, {1}, std::vector<float>{v}));
  };
  const std::string m = b.op("Mul", {scalar("s", 1.5f), bn});
  const std::string a = b.op("Add", {m, scalar("t", -0.25f)});
  b.output(b.op("Relu", {a}));
  const Graph original = b.build();
  const Graph g = prepare_graph(original, "affine");
  EXPECT_EQ(count(g, "BatchNormalization") + count(g, "Mul") + count(g, "Add"), 0);
  EXPECT_EQ(count(g, "Conv"), 1);
  expect_same_function(original, g);
}

TEST(Prepare, SharedConvOutputIsNotFolded) {
  ModelBuilder b;
  const std::string x = b.input("x", {1, 2, 4, 4});
  const std::string c = b.conv(x, 2, 1);
  b.output(
      b.op("Mul", {c, b.constant("k", Tensor::from(DType::kFloat32, {}, std::vector<float>{2}))}));
  b.output(c);  // the conv output is also a graph output: it must stay
  const Graph g = prepare_graph(b.build(), "shared");
  EXPECT_EQ(count(g, "Mul"), 1);
}

}  // namespace
}  // namespace npusim::compiler
