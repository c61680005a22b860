// Compile -> simulate: a QDQ convolution model goes through the compiler and
// runs on the simulated device; the NPU segment's output equals the
// reference executor's int8 result bit for bit, on one PE and fused.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>

#include "common/device_fixture.hpp"
#include "model_builder.hpp"
#include "npusim/compiler/onnx_io.hpp"

namespace npusim::testing {
namespace {

class CompileConvTest : public DeviceTest {
 protected:
  // Compiles for `target`, runs the NPU segment and checks it against the golden model.
  void compile_and_check(isa::Mode target, const std::string& pe) {
    const NpuCheck r = run_npu_segment(*device, hw, two_conv_model(),
                                       {{"x", random_input({1, 8, 16, 16}, 9)}}, target, pe);
    EXPECT_EQ(r.npu_nodes, 2);
    EXPECT_EQ(r.compiled.program.segments.size(), 3u);  // CPU quantise, NPU convs, CPU dequantise
    ASSERT_EQ(r.device.size(), 1u);
    EXPECT_EQ(r.device[0], r.golden[0]);
    const std::set<uint8_t> distinct(r.device[0].begin(), r.device[0].end());
    EXPECT_GT(distinct.size(), 20u);  // a real spread of values, not a saturated constant
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

// x -> Q/DQ -> Conv3x3(4 channels, bias) -> Q/DQ -> y, whose first weight
// channel is all zero with scale 0 (as quantisers write a dead channel) and
// a zero bias.
Graph zero_scale_channel_model() {
  Graph g;
  g.opset = 13;
  add_input(g, "x", {1, 8, 16, 16});
  const std::string x = qdq(g, "x", 0.05f, 0);
  std::mt19937 rng(5);
  std::vector<int8_t> w(4 * 8 * 3 * 3, 0);
  for (size_t i = 8 * 9; i < w.size(); ++i) w[i] = static_cast<int8_t>(int(rng() % 255) - 127);
  constant(g, "w_q", Tensor::from(DType::kInt8, {4, 8, 3, 3}, w));
  constant(g, "w_s",
           Tensor::from(DType::kFloat32, {4}, std::vector<float>{0, 0.002f, 0.004f, 0.006f}));
  constant(g, "w_z", Tensor::from(DType::kInt8, {4}, std::vector<int8_t>(4, 0)));
  Node dq = node("DequantizeLinear", {"w_q", "w_s", "w_z"}, {"w"});
  dq.attrs["axis"] = int64_t(0);
  g.nodes.push_back(dq);
  constant(g, "b", Tensor::from(DType::kFloat32, {4}, std::vector<float>{0, 0.1f, -0.1f, 0.05f}));
  Node conv = node("Conv", {x, "w", "b"}, {"c"});
  conv.attrs["pads"] = std::vector<int64_t>{1, 1, 1, 1};
  g.nodes.push_back(conv);
  const std::string y = qdq(g, "c", 0.02f, 0);
  g.nodes.push_back(node("Identity", {y}, {"y"}));
  add_output(g, "y", {1, 4, 16, 16});
  return round_trip(g, "zero_scale_channel");
}

// Found by fuzz_onnx (docs/fuzzing.md): the bias of a scale-0 channel was
// 0 / 0 converted to int32 (undefined; INT32_MIN on x86). It is 0, and the
// layer still runs on the NPU, bit-exact.
TEST_F(CompileConvTest, ZeroScaleWeightChannelHasBiasCodeZero) {
  const NpuCheck r =
      run_npu_segment(*device, hw, zero_scale_channel_model(),
                      {{"x", random_input({1, 8, 16, 16}, 9)}}, isa::Mode::kSingle, "npu0pe0");
  EXPECT_EQ(r.npu_nodes, 1);
  ASSERT_EQ(r.device.size(), 1u);
  EXPECT_EQ(r.device[0], r.golden[0]);
  const Graph& lowered = r.compiled.graph;
  const auto qconv = std::find_if(lowered.nodes.begin(), lowered.nodes.end(),
                                  [](const Node& n) { return n.op == "QConv"; });
  ASSERT_NE(qconv, lowered.nodes.end());
  ASSERT_EQ(qconv->inputs.size(), 3u);
  const Tensor& bias = *lowered.value(qconv->inputs[2]).constant;
  EXPECT_EQ(bias.at(0), 0);
  EXPECT_NE(bias.at(1), 0);
}

TEST_F(CompileConvTest, FloatOnlyModelIsRefusedPointingToQuantize) {
  Graph g;
  g.opset = 13;
  add_input(g, "x", {1, 1, 4, 4});
  constant(g, "w", Tensor(DType::kFloat32, {1, 1, 1, 1}));
  g.nodes.push_back(node("Conv", {"x", "w"}, {"y"}));
  add_output(g, "y", {1, 1, 4, 4});
  try {
    compiler::CompileOptions options;
    options.hw = hw;
    compiler::compile(round_trip(g, "f"), options);
    FAIL() << "a float-only model compiled";
  } catch (const compiler::CompileError& e) {
    EXPECT_NE(std::string(e.what()).find("npusim quantize"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace npusim::testing
