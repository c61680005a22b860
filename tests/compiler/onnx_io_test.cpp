// ONNX export of graphs with npusim-domain nodes (the lowered form): the
// model must import the domain, or ONNX's checker refuses it.
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <random>

#include "npusim/compiler/executor.hpp"
#include "npusim/compiler/lower_quantized.hpp"
#include "npusim/compiler/npu_ops.hpp"
#include "npusim/compiler/onnx_io.hpp"

namespace npusim::compiler {
namespace {

Node node(const std::string& op, std::vector<std::string> in, std::string out) {
  Node n;
  n.name = out + "_" + op;
  n.op = op;
  n.inputs = std::move(in);
  n.outputs = {std::move(out)};
  return n;
}

// x -> Q -> DQ -> Conv 1x1 (int8 per-channel weights, int32 bias) -> Relu -> Q -> DQ -> y
Graph qdq_conv() {
  Graph g;
  g.name = "qdq_conv";
  g.opset = 13;
  g.inputs = {"x"};
  g.values["x"] = {"x", DType::kFloat32, {1, 2, 4, 4}, true, std::nullopt, "NCHW"};
  g.outputs = {"y"};
  g.values["y"] = {"y", DType::kFloat32, {1, 3, 4, 4}, true, std::nullopt, ""};
  const auto f = [](float v) { return Tensor::from(DType::kFloat32, {}, std::vector<float>{v}); };
  const auto i8 = [](int8_t v) { return Tensor::from(DType::kInt8, {}, std::vector<int8_t>{v}); };
  g.set_constant("x_s", f(0.02f));
  g.set_constant("x_z", i8(3));
  g.set_constant("w_q", Tensor::from(DType::kInt8, {3, 2, 1, 1},
                                     std::vector<int8_t>{127, -40, 5, 90, -127, 64}));
  g.set_constant("w_s",
                 Tensor::from(DType::kFloat32, {3}, std::vector<float>{0.01f, 0.02f, 0.005f}));
  g.set_constant("w_z", Tensor::from(DType::kInt8, {3}, std::vector<int8_t>{0, 0, 0}));
  g.set_constant("b_q", Tensor::from(DType::kInt32, {3}, std::vector<int32_t>{100, -250, 40}));
  g.set_constant("b_s",
                 Tensor::from(DType::kFloat32, {3}, std::vector<float>{0.0002f, 0.0004f, 0.0001f}));
  g.set_constant("b_z", Tensor::from(DType::kInt32, {3}, std::vector<int32_t>{0, 0, 0}));
  g.set_constant("y_s", f(0.01f));
  g.set_constant("y_z", i8(-128));
  g.nodes.push_back(node("QuantizeLinear", {"x", "x_s", "x_z"}, "x_q"));
  g.nodes.push_back(node("DequantizeLinear", {"x_q", "x_s", "x_z"}, "x_dq"));
  Node w = node("DequantizeLinear", {"w_q", "w_s", "w_z"}, "w");
  w.attrs["axis"] = int64_t(0);
  g.nodes.push_back(w);
  Node b = node("DequantizeLinear", {"b_q", "b_s", "b_z"}, "b");
  b.attrs["axis"] = int64_t(0);
  g.nodes.push_back(b);
  g.nodes.push_back(node("Conv", {"x_dq", "w", "b"}, "conv"));
  g.nodes.push_back(node("Relu", {"conv"}, "relu"));
  g.nodes.push_back(node("QuantizeLinear", {"relu", "y_s", "y_z"}, "y_q"));
  g.nodes.push_back(node("DequantizeLinear", {"y_q", "y_s", "y_z"}, "y"));
  for (const auto& n : g.nodes)
    for (const auto& o : n.outputs) g.values[o].name = o;
  return import_onnx_bytes(export_onnx_bytes(g), "qdq_conv");
}

TEST(OnnxExport, LoweredGraphImportsTheNpusimDomain) {
  const Graph qdq = qdq_conv();
  Graph lowered = qdq;
  lower_quantized(lowered);
  int npu = 0;
  for (const auto& n : lowered.nodes) npu += n.domain == kNpuDomain;
  ASSERT_EQ(npu, 1) << "the Conv became one QConv";

  const std::string bytes = export_onnx_bytes(lowered);
  onnx::ModelProto model;
  ASSERT_TRUE(model.ParseFromString(bytes));
  std::map<std::string, int64_t> opsets;
  for (const auto& o : model.opset_import()) opsets[o.domain()] = o.version();
  EXPECT_EQ(opsets.size(), 2u);
  EXPECT_EQ(opsets[""], 13);
  EXPECT_EQ(opsets[kNpuDomain], kNpuOpsetVersion);

  // Read back through the checker and shape inference: the same function.
  const Graph back = import_onnx_bytes(bytes, "lowered");
  int qconv = 0;
  for (const auto& n : back.nodes) qconv += n.domain == kNpuDomain && n.op == "QConv";
  EXPECT_EQ(qconv, 1);
  Tensor x(DType::kFloat32, {1, 2, 4, 4});
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> dist(-2.f, 2.f);
  for (float& v : x.as<float>()) v = dist(rng);
  const Tensor a = execute(lowered, {{"x", x}}).at("y"), b = execute(back, {{"x", x}}).at("y");
  EXPECT_EQ(a.raw(), b.raw());
  const Tensor c = execute(qdq, {{"x", x}}).at("y");
  EXPECT_EQ(a.shape(), c.shape());
}

TEST(OnnxExport, FloatGraphsImportTheDefaultDomainOnly) {
  onnx::ModelProto model;
  ASSERT_TRUE(model.ParseFromString(export_onnx_bytes(qdq_conv())));
  ASSERT_EQ(model.opset_import_size(), 1);
  EXPECT_EQ(model.opset_import(0).domain(), "");
}

}  // namespace
}  // namespace npusim::compiler
