#include "bad_models.hpp"

#include <onnx/onnx_pb.h>

#include <fstream>
#include <random>

#include "e2e/model_builder.hpp"
#include "npusim/compiler/onnx_io.hpp"

namespace npusim::testing {
namespace {

// A graph name that tells save_onnx to make the outputs' dims symbolic.
const char* const kSymbolicOutputs = "symbolic outputs";

// x -> QDQ -> Conv(w: oc x ic x 3 x 3, pad 1) -> Relu (in `relu_domain`) -> QDQ -> y.
Graph conv_model(const Shape& x_shape, int64_t oc, int64_t ic, const std::string& relu_domain,
                 std::vector<int64_t> strides, bool declare_output = true, float x_scale = 0.05f) {
  std::mt19937 rng(7);
  Graph g;
  g.opset = 13;
  add_input(g, "x", x_shape);
  const std::string x = qdq(g, "x", x_scale, 0);
  const std::string w = weights(g, "w", oc, ic, 3, rng);
  Node conv = node("Conv", {x, w}, {"c"});
  conv.attrs["pads"] = std::vector<int64_t>{1, 1, 1, 1};
  conv.attrs["strides"] = std::move(strides);
  g.nodes.push_back(conv);
  Node relu = node("Relu", {"c"}, {"r"});
  relu.domain = relu_domain;
  g.nodes.push_back(relu);
  const std::string y = qdq(g, "r", 0.02f, -128);
  g.nodes.push_back(node("Identity", {y}, {"y"}));
  // A symbolic output is written by save_onnx (dims named "N"): declare
  // the rank here.
  add_output(g, "y", {x_shape[0], oc, x_shape[2], x_shape[3]});
  if (!declare_output) g.name = kSymbolicOutputs;
  return g;
}

}  // namespace

Graph good_model() {
  return two_conv_model();
}

Graph zero_stride_model() {
  return conv_model({1, 8, 16, 16}, 8, 8, "", {0, 0});
}

Graph unknown_domain_model() {
  return conv_model({1, 8, 16, 16}, 8, 8, "com.example", {1, 1}, false);
}

Graph channel_mismatch_model() {
  return conv_model({1, 3, 16, 16}, 8, 5, "", {1, 1});
}

Graph huge_input_model() {
  return conv_model({1, 8, int64_t{1} << 20, int64_t{1} << 17}, 8, 8, "", {1, 1}, false);
}

Graph input_scale_model(float scale) {
  return conv_model({1, 8, 16, 16}, 8, 8, "", {1, 1}, true, scale);
}

Graph rank_mismatch_model() {
  std::mt19937 rng(7);
  Graph g;
  g.opset = 13;
  add_input(g, "x", {1, 8, 16});
  const std::string x = qdq(g, "x", 0.05f, 0);
  const std::string w = weights(g, "w", 8, 8, 3, rng);
  g.nodes.push_back(node("Conv", {x, w}, {"c"}));
  const std::string y = qdq(g, "c", 0.02f, 0);
  g.nodes.push_back(node("Identity", {y}, {"y"}));
  add_output(g, "y", {1, 8, 14});
  return g;
}

Graph three_channel_model() {
  return conv_model({1, 3, 16, 16}, 8, 3, "", {1, 1});
}

Graph empty_weight_zero_point_model() {
  Graph g = three_channel_model();
  g.set_constant("w_z", compiler::Tensor(compiler::DType::kInt8, {8, 0}));
  return g;
}

Graph empty_bias_model() {
  Graph g = three_channel_model();
  g.set_constant("b", compiler::Tensor(compiler::DType::kFloat32, {0}));
  for (auto& n : g.nodes)
    if (n.op == "Conv") n.inputs.push_back("b");
  return g;
}

Graph empty_input_zero_point_model() {
  Graph g;
  g.opset = 13;
  add_input(g, "x", {1, 8, 16, 16});
  constant(g, "x_s", scalar_f(0.05f));
  constant(g, "x_z", compiler::Tensor(compiler::DType::kInt8, {0}));
  g.nodes.push_back(node("QuantizeLinear", {"x", "x_s", "x_z"}, {"x_q"}));
  g.nodes.push_back(node("DequantizeLinear", {"x_q", "x_s"}, {"x_dq"}));
  Node pool = node("MaxPool", {"x_dq"}, {"p"});
  pool.attrs["kernel_shape"] = std::vector<int64_t>{2, 2};
  pool.attrs["strides"] = std::vector<int64_t>{2, 2};
  g.nodes.push_back(pool);
  const std::string y = qdq(g, "p", 0.05f, 0);
  g.nodes.push_back(node("Identity", {y}, {"y"}));
  add_output(g, "y", {1, 8, 8, 8});
  return g;
}

Graph empty_model() {
  Graph g;
  g.opset = 13;
  add_input(g, "x", {1, 4});
  g.outputs.push_back("x");
  return g;
}

void save_onnx(const Graph& g, const std::string& path) {
  if (g.name != kSymbolicOutputs) return compiler::export_onnx(g, path);
  onnx::ModelProto model;
  model.ParseFromString(compiler::export_onnx_bytes(g));
  for (auto& out : *model.mutable_graph()->mutable_output())
    for (auto& dim : *out.mutable_type()->mutable_tensor_type()->mutable_shape()->mutable_dim())
      dim.set_dim_param("N");
  std::ofstream(path, std::ios::binary) << model.SerializeAsString();
}

void save_onnx_with_initializer_dims(const std::vector<int64_t>& dims, const std::string& path) {
  onnx::ModelProto model;
  model.ParseFromString(compiler::export_onnx_bytes(good_model()));
  auto* init = model.mutable_graph()->mutable_initializer(0);
  init->clear_dims();
  for (int64_t d : dims) init->add_dims(d);
  std::ofstream(path, std::ios::binary) << model.SerializeAsString();
}

}  // namespace npusim::testing
