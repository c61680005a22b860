#include "model_builder.hpp"

#include "npusim/compiler/onnx_io.hpp"
#include "npusim/runtime/loaded_program.hpp"
#include "npusim/runtime/run_once.hpp"

namespace npusim::testing {

Tensor scalar_f(float v) {
  return Tensor::from(DType::kFloat32, {}, std::vector<float>{v});
}
Tensor scalar_i8(int8_t v) {
  return Tensor::from(DType::kInt8, {}, std::vector<int8_t>{v});
}

void constant(Graph& g, const std::string& name, Tensor t) {
  g.set_constant(name, std::move(t));
}

Node node(const std::string& op, std::vector<std::string> in, std::vector<std::string> out) {
  Node n;
  n.name = out[0] + "_" + op;
  n.op = op;
  n.inputs = std::move(in);
  n.outputs = std::move(out);
  return n;
}

void add_input(Graph& g, const std::string& name, const Shape& shape) {
  g.inputs.push_back(name);
  g.values[name] = {name, DType::kFloat32, shape,
                    true, std::nullopt,    shape.size() == 4 ? "NCHW" : ""};
}

void add_output(Graph& g, const std::string& name, const Shape& shape) {
  g.outputs.push_back(name);
  g.values[name] = {name, DType::kFloat32, shape, true, std::nullopt, ""};
}

namespace {
std::string qdq_with(Graph& g, const std::string& x, float scale, Tensor zp) {
  constant(g, x + "_s", scalar_f(scale));
  constant(g, x + "_z", std::move(zp));
  g.nodes.push_back(node("QuantizeLinear", {x, x + "_s", x + "_z"}, {x + "_q"}));
  g.nodes.push_back(node("DequantizeLinear", {x + "_q", x + "_s", x + "_z"}, {x + "_dq"}));
  return x + "_dq";
}
}  // namespace

std::string qdq(Graph& g, const std::string& x, float scale, int8_t zp) {
  return qdq_with(g, x, scale, scalar_i8(zp));
}

std::string qdq_u8(Graph& g, const std::string& x, float scale, uint8_t zp) {
  return qdq_with(g, x, scale, Tensor::from(DType::kUint8, {}, std::vector<uint8_t>{zp}));
}

std::string weights(Graph& g, const std::string& name, int64_t oc, int64_t ic, int64_t k,
                    std::mt19937& rng) {
  std::vector<int8_t> w(oc * ic * k * k);
  for (auto& v : w) v = static_cast<int8_t>(int(rng() % 255) - 127);
  std::vector<float> scales(oc);
  for (int64_t o = 0; o < oc; ++o) scales[o] = 0.002f * float(1 + o % 7);
  constant(g, name + "_q", Tensor::from(DType::kInt8, {oc, ic, k, k}, w));
  constant(g, name + "_s", Tensor::from(DType::kFloat32, {oc}, scales));
  constant(g, name + "_z", Tensor::from(DType::kInt8, {oc}, std::vector<int8_t>(oc, 0)));
  Node dq = node("DequantizeLinear", {name + "_q", name + "_s", name + "_z"}, {name});
  dq.attrs["axis"] = int64_t(0);
  g.nodes.push_back(dq);
  return name;
}

std::string quantized_constant(Graph& g, const std::string& name, const Shape& shape, float scale,
                               std::mt19937& rng) {
  std::vector<int8_t> q(static_cast<size_t>(compiler::element_count(shape)));
  for (auto& v : q) v = static_cast<int8_t>(int(rng() % 256) - 128);
  constant(g, name + "_q", Tensor::from(DType::kInt8, shape, q));
  constant(g, name + "_s", scalar_f(scale));
  constant(g, name + "_z", scalar_i8(0));
  g.nodes.push_back(
      node("DequantizeLinear", {name + "_q", name + "_s", name + "_z"}, {name + "_dq"}));
  return name + "_dq";
}

Graph round_trip(const Graph& g, const std::string& name) {
  return compiler::import_onnx_bytes(compiler::export_onnx_bytes(g), name);
}

std::vector<uint8_t> device_layout(const Tensor& t) {
  const auto& s = t.shape();
  if (s.size() != 4) return t.raw();
  const int64_t n = s[0], c = s[1], h = s[2], w = s[3];
  const size_t e = compiler::dtype_size(t.dtype());
  std::vector<uint8_t> out(t.bytes());
  for (int64_t b = 0; b < n; ++b)
    for (int64_t ch = 0; ch < c; ++ch)
      for (int64_t y = 0; y < h; ++y)
        for (int64_t x = 0; x < w; ++x)
          std::copy_n(t.raw().begin() + long(size_t(((b * c + ch) * h + y) * w + x) * e), e,
                      out.begin() + long(size_t(((b * h + y) * w + x) * c + ch) * e));
  return out;
}

Tensor random_input(const Shape& shape, uint32_t seed, float range) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-range, range);
  std::vector<float> v(static_cast<size_t>(compiler::element_count(shape)));
  for (auto& x : v) x = dist(rng);
  return Tensor::from(DType::kFloat32, shape, v);
}

NpuCheck run_npu_segment(driver::Device& device, const isa::HwParams& hw, const Graph& g,
                         const compiler::TensorMap& inputs, isa::Mode target,
                         const std::string& pe) {
  NpuCheck check;
  compiler::CompileOptions options;
  options.hw = hw;
  options.target = target;
  check.compiled = compiler::compile(g, options);
  for (const auto& p : check.compiled.placement) check.npu_nodes += p.unit == "NPU";

  Graph golden = g;
  compiler::lower_quantized(golden);
  compiler::ExecOptions keep;
  keep.keep_intermediates = true;
  const compiler::TensorMap values = compiler::execute(golden, inputs, keep);

  auto context = device.open(pe);
  runtime::LoadedProgram loaded(device, check.compiled.program, hw);
  std::vector<std::vector<uint8_t>> in;
  for (const auto& t : loaded.inputs()) in.push_back(device_layout(values.at(t.name)));
  const runtime::RunOutcome out = runtime::run_once(*context, loaded, in);
  check.device = out.outputs;
  for (const auto& t : loaded.outputs()) check.golden.push_back(device_layout(values.at(t.name)));
  check.cycles = out.run.cycles();
  return check;
}

Graph conv3x3_relu_model(const Shape& x_shape, int64_t oc, float x_scale, uint32_t seed,
                         const std::string& name) {
  std::mt19937 rng(seed);
  Graph g;
  g.opset = 13;
  add_input(g, "x", x_shape);
  const std::string x = qdq(g, "x", x_scale, 0);
  Node c = node("Conv", {x, weights(g, "w", oc, x_shape[1], 3, rng)}, {"c"});
  c.attrs["pads"] = std::vector<int64_t>(4, 1);
  g.nodes.push_back(c);
  g.nodes.push_back(node("Relu", {"c"}, {"r"}));
  g.nodes.push_back(node("Identity", {qdq(g, "r", 0.05f, -128)}, {"y"}));
  add_output(g, "y", {x_shape[0], oc, x_shape[2], x_shape[3]});
  return round_trip(g, name);
}

// x[1,8,16,16] -> Q/DQ -> Conv3x3(16, pad 1, bias) -> Relu -> Q/DQ
//              -> Conv1x1(8, stride 2) -> Q/DQ -> y
Graph two_conv_model() {
  std::mt19937 rng(5);
  Graph g;
  g.opset = 13;
  add_input(g, "x", {1, 8, 16, 16});
  const std::string x = qdq(g, "x", 0.05f, 3);
  const std::string w1 = weights(g, "w1", 16, 8, 3, rng);
  std::vector<float> bias(16);
  for (int o = 0; o < 16; ++o) bias[o] = 0.01f * float(o - 8);
  constant(g, "b1", Tensor::from(DType::kFloat32, {16}, bias));
  Node c1 = node("Conv", {x, w1, "b1"}, {"c1"});
  c1.attrs["pads"] = std::vector<int64_t>{1, 1, 1, 1};
  g.nodes.push_back(c1);
  g.nodes.push_back(node("Relu", {"c1"}, {"r1"}));
  const std::string r1 = qdq(g, "r1", 0.02f, -128);
  const std::string w2 = weights(g, "w2", 8, 16, 1, rng);
  Node c2 = node("Conv", {r1, w2}, {"c2"});
  c2.attrs["strides"] = std::vector<int64_t>{2, 2};
  g.nodes.push_back(c2);
  const std::string y = qdq(g, "c2", 0.01f, 0);
  g.nodes.push_back(node("Identity", {y}, {"y"}));
  add_output(g, "y", {1, 8, 8, 8});
  return round_trip(g, "two_conv_model");
}

}  // namespace npusim::testing
