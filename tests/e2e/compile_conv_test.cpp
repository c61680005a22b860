// Compile -> simulate: a QDQ convolution model goes through the compiler and
// runs on the simulated device; the NPU segment's output equals the
// reference executor's int8 result bit for bit, on one PE and fused.
#include <gtest/gtest.h>

#include <random>
#include <set>

#include "common/device_fixture.hpp"
#include "npusim/compiler/compile.hpp"
#include "npusim/compiler/executor.hpp"
#include "npusim/compiler/onnx_io.hpp"

namespace npusim::testing {
namespace {

using compiler::DType;
using compiler::Graph;
using compiler::Node;
using compiler::Tensor;

Tensor scalar_f(float v) {
  return Tensor::from(DType::kFloat32, {}, std::vector<float>{v});
}
Tensor scalar_i8(int8_t v) {
  return Tensor::from(DType::kInt8, {}, std::vector<int8_t>{v});
}

void constant(Graph& g, const std::string& name, Tensor t) {
  compiler::Value& v = g.values[name];
  v.name = name;
  v.dtype = t.dtype();
  v.shape = t.shape();
  v.rank_known = true;
  v.constant = std::move(t);
}

Node node(const std::string& op, std::vector<std::string> in, std::vector<std::string> out) {
  Node n;
  n.name = out[0] + "_" + op;
  n.op = op;
  n.inputs = std::move(in);
  n.outputs = std::move(out);
  return n;
}

// Adds Q -> DQ of `x` with a per-tensor scale and zero point; returns the DQ output.
std::string qdq(Graph& g, const std::string& x, float scale, int8_t zp) {
  constant(g, x + "_s", scalar_f(scale));
  constant(g, x + "_z", scalar_i8(zp));
  g.nodes.push_back(node("QuantizeLinear", {x, x + "_s", x + "_z"}, {x + "_q"}));
  g.nodes.push_back(node("DequantizeLinear", {x + "_q", x + "_s", x + "_z"}, {x + "_dq"}));
  return x + "_dq";
}

// Per-channel int8 weights [oc][ic][k][k] behind a DequantizeLinear (axis 0).
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

// x[1,8,16,16] -> Q/DQ -> Conv3x3(16, pad 1, bias) -> Relu -> Q/DQ
//              -> Conv1x1(8, stride 2) -> Q/DQ -> y
Graph two_conv_model() {
  std::mt19937 rng(5);
  Graph g;
  g.opset = 13;
  g.inputs = {"x"};
  g.values["x"] = {"x", DType::kFloat32, {1, 8, 16, 16}, true, std::nullopt, "NCHW"};
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
  g.outputs = {"y"};
  g.values["y"] = {"y", DType::kFloat32, {1, 8, 8, 8}, true, std::nullopt, ""};
  // Round trip through ONNX: the checker and shape inference see the model.
  return compiler::import_onnx_bytes(compiler::export_onnx_bytes(g), "two_conv_model");
}

std::vector<uint8_t> nchw_to_nhwc(const Tensor& t) {
  const auto& s = t.shape();
  const int64_t n = s[0], c = s[1], h = s[2], w = s[3];
  std::vector<uint8_t> out(t.bytes());
  for (int64_t b = 0; b < n; ++b)
    for (int64_t ch = 0; ch < c; ++ch)
      for (int64_t y = 0; y < h; ++y)
        for (int64_t x = 0; x < w; ++x)
          out[((b * h + y) * w + x) * c + ch] = t.raw()[((b * c + ch) * h + y) * w + x];
  return out;
}

Tensor image(uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<float> v(8 * 16 * 16);
  for (auto& x : v) x = float(int(rng() % 200) - 100) / 40.0f;
  return Tensor::from(DType::kFloat32, {1, 8, 16, 16}, v);
}

class CompileConvTest : public DeviceTest {
 protected:
  // Compiles for `target`, runs the NPU segment and checks it against the golden model.
  uint64_t compile_and_check(isa::Mode target, const std::string& pe) {
    const Graph g = two_conv_model();
    const compiler::CompileResult r = compiler::compile(g, {hw, target});
    int npu = 0;
    for (const auto& p : r.placement) npu += p.unit == "NPU";
    EXPECT_EQ(npu, 2);
    EXPECT_EQ(r.program.segments.size(), 3u);  // CPU quantise, NPU convs, CPU dequantise

    Graph golden = g;
    compiler::lower_quantized(golden);
    compiler::ExecOptions keep;
    keep.keep_intermediates = true;
    const compiler::TensorMap values = compiler::execute(golden, {{"x", image(9)}}, keep);

    auto context = device->open(pe);
    runtime::LoadedProgram loaded(*device, r.program, hw);
    EXPECT_EQ(loaded.inputs().size(), 1u);
    EXPECT_EQ(loaded.outputs().size(), 1u);
    const auto in = nchw_to_nhwc(values.at(loaded.inputs()[0].name));
    const runtime::RunOutcome out = runtime::run_once(*context, loaded, {in});
    EXPECT_EQ(out.outputs[0], nchw_to_nhwc(values.at(loaded.outputs()[0].name)));
    const std::set<uint8_t> distinct(out.outputs[0].begin(), out.outputs[0].end());
    EXPECT_GT(distinct.size(), 20u);  // a real spread of values, not a saturated constant
    return out.run.cycles();
  }
};

TEST_F(CompileConvTest, SinglePeOutputIsBitExactWithTheReferenceExecutor) {
  compile_and_check(isa::Mode::kSingle, "npu0pe0");
}

TEST_F(CompileConvTest, FusedOutputIsBitExactToo) {
  compile_and_check(isa::Mode::kFused, "npu0pe0-1");
}

TEST_F(CompileConvTest, SmallSramForcesRowTilingWithTheSameResult) {
  hw.sram_per_pe = 64 << 10;
  start(hw);
  compile_and_check(isa::Mode::kSingle, "npu0pe0");
}

TEST_F(CompileConvTest, FloatOnlyModelIsRefusedPointingToQuantize) {
  Graph g;
  g.opset = 13;
  g.inputs = {"x"};
  g.values["x"] = {"x", DType::kFloat32, {1, 1, 4, 4}, true, std::nullopt, "NCHW"};
  constant(g, "w", Tensor(DType::kFloat32, {1, 1, 1, 1}));
  g.nodes.push_back(node("Conv", {"x", "w"}, {"y"}));
  g.outputs = {"y"};
  g.values["y"] = {"y", DType::kFloat32, {1, 1, 4, 4}, true, std::nullopt, ""};
  try {
    compiler::compile(compiler::import_onnx_bytes(compiler::export_onnx_bytes(g), "f"), {hw});
    FAIL() << "a float-only model compiled";
  } catch (const compiler::CompileError& e) {
    EXPECT_NE(std::string(e.what()).find("npusim quantize"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace npusim::testing
