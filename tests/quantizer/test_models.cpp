#include "test_models.hpp"

#include <cmath>
#include <cstdlib>
#include <filesystem>

#include "npusim/compiler/executor.hpp"
#include "npusim/compiler/onnx_io.hpp"

namespace npusim::testing {

using compiler::DType;
using compiler::Tensor;

ModelBuilder::ModelBuilder(int64_t opset, uint32_t seed) : rng_(seed) {
  g_.opset = opset;
  g_.name = "test_model";
}

std::string ModelBuilder::input(const std::string& name, compiler::Shape shape) {
  g_.inputs.push_back(name);
  compiler::Value& v = g_.values[name];
  v.name = name;
  v.dtype = DType::kFloat32;
  v.shape = shape;
  v.rank_known = true;
  if (shape.size() > 1) channels_[name] = shape[1];
  return name;
}

std::string ModelBuilder::constant(const std::string& name, Tensor t) {
  g_.set_constant(name, std::move(t));
  return name;
}

std::string ModelBuilder::op(const std::string& type, std::vector<std::string> inputs,
                             std::map<std::string, compiler::Attribute> attrs) {
  compiler::Node n;
  n.op = type;
  n.name = type + "_" + std::to_string(counter_++);
  n.inputs = std::move(inputs);
  n.outputs = {n.name + "_out"};
  n.attrs = std::move(attrs);
  // Element-wise ops, pooling and the like keep their first input's channels.
  if (!n.inputs.empty() && channels_.count(n.inputs[0]))
    channels_[n.outputs[0]] = channels_[n.inputs[0]];
  g_.nodes.push_back(n);
  g_.values[n.outputs[0]].name = n.outputs[0];
  return n.outputs[0];
}

std::string ModelBuilder::conv(const std::string& x, int64_t oc, int64_t k, int64_t stride,
                               int64_t pad, bool bias, int64_t group) {
  const int64_t ic = channels(x) / group;
  std::normal_distribution<float> he(0.0f, std::sqrt(2.0f / float(ic * k * k)));
  Tensor w(DType::kFloat32, {oc, ic, k, k});
  for (float& v : w.as<float>()) v = he(rng_);
  const std::string id = std::to_string(counter_);
  std::vector<std::string> in = {x, constant("w" + id, std::move(w))};
  if (bias) {
    std::uniform_real_distribution<float> b(-0.1f, 0.1f);
    Tensor t(DType::kFloat32, {oc});
    for (float& v : t.as<float>()) v = b(rng_);
    in.push_back(constant("b" + id, std::move(t)));
  }
  const std::string y = op("Conv", in,
                           {{"kernel_shape", std::vector<int64_t>{k, k}},
                            {"strides", std::vector<int64_t>{stride, stride}},
                            {"pads", std::vector<int64_t>{pad, pad, pad, pad}},
                            {"group", group}});
  channels_[y] = oc;
  return y;
}

std::string ModelBuilder::silu(const std::string& x) {
  return op("Mul", {x, op("Sigmoid", {x})});
}

std::string ModelBuilder::gemm(const std::string& x, int64_t n) {
  const int64_t k = channels(x);
  std::normal_distribution<float> d(0.0f, std::sqrt(1.0f / float(k)));
  Tensor w(DType::kFloat32, {n, k});
  for (float& v : w.as<float>()) v = d(rng_);
  Tensor b(DType::kFloat32, {n});
  for (float& v : b.as<float>()) v = 0.05f * d(rng_);
  const std::string id = std::to_string(counter_);
  const std::string y =
      op("Gemm", {x, constant("gw" + id, std::move(w)), constant("gb" + id, std::move(b))},
         {{"transB", int64_t(1)}});
  channels_[y] = n;
  return y;
}

compiler::Graph ModelBuilder::build() const {
  // The ONNX checker wants typed outputs: one run on zeros gives them.
  compiler::Graph g = g_;
  compiler::TensorMap zeros;
  for (const auto& in : g.inputs) zeros[in] = Tensor(DType::kFloat32, g.value(in).shape);
  compiler::ExecOptions o;
  o.check_value_info = false;
  const compiler::TensorMap out = compiler::execute(g, zeros, o);
  for (const auto& name : g.outputs) {
    compiler::Value& v = g.value(name);
    v.dtype = out.at(name).dtype();
    v.shape = out.at(name).shape();
    v.rank_known = true;
  }
  return compiler::import_onnx_bytes(compiler::export_onnx_bytes(g), "test_model");
}

compiler::Graph small_cnn() {
  ModelBuilder b;
  const std::string x = b.input("x", {1, 3, 16, 16});
  const std::string r1 = b.op("Relu", {b.conv(x, 8, 3, 1, 1)});
  const std::string c2 = b.conv(r1, 8, 3, 1, 1, false);
  const std::string r2 = b.op("Relu", {b.op("Add", {c2, r1})});
  const std::string p =
      b.op("MaxPool", {r2},
           {{"kernel_shape", std::vector<int64_t>{2, 2}}, {"strides", std::vector<int64_t>{2, 2}}});
  const std::string s = b.silu(b.conv(p, 16, 1));
  const std::string f = b.op("Flatten", {b.op("GlobalAveragePool", {s})});
  b.output(b.gemm(f, 10));
  return b.build();
}

std::vector<compiler::TensorMap> random_inputs(const compiler::Graph& g, size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(0.0f, 1.0f);
  std::vector<compiler::TensorMap> out(n);
  for (auto& m : out)
    for (const auto& name : g.inputs) {
      Tensor t(DType::kFloat32, g.value(name).shape);
      for (float& v : t.as<float>()) v = u(rng);
      m[name] = std::move(t);
    }
  return out;
}

}  // namespace npusim::testing
