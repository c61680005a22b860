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
