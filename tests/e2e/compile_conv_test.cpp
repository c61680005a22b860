// Compile -> simulate: a QDQ convolution model goes through the compiler and
// runs on the simulated device; the NPU segment's output equals the
// reference executor's int8 result bit for bit, on one PE and fused.
#include <gtest/gtest.h>

#include <random>
#include <set>

#include "common/device_fixture.hpp"
#include "model_builder.hpp"
#include "npusim/compiler/onnx_io.hpp"

namespace npusim::testing {
namespace {

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
