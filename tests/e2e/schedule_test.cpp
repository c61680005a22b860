// The compiler's schedules (docs/compiler.md, "Schedules"): layers larger
// than the SRAM run on the NPU in channel blocks, tensors between layers stay
// in SRAM, the DRAM traffic the compiler plans is what the device's counters
// measure, and every schedule stays bit-exact with the reference executor.
#include <gtest/gtest.h>

#include <random>

#include "common/device_fixture.hpp"
#include "model_builder.hpp"
#include "npusim/runtime/loaded_program.hpp"
#include "npusim/runtime/run_once.hpp"

namespace npusim::testing {
namespace {

// x -> Q/DQ -> Conv(k) -> Relu -> Q/DQ -> ... (`layers` convolutions of
// `channels` channels on a `size` x `size` image) -> y.
Graph conv_chain(int64_t channels, int64_t size, int64_t k, int layers, uint32_t seed) {
  std::mt19937 rng(seed);
  Graph g;
  g.opset = 13;
  add_input(g, "x", {1, channels, size, size});
  std::string v = qdq(g, "x", 0.05f, 0);
  for (int l = 0; l < layers; ++l) {
    const std::string w = weights(g, "w" + std::to_string(l), channels, channels, k, rng);
    Node c = node("Conv", {v, w}, {"c" + std::to_string(l)});
    c.attrs["pads"] = std::vector<int64_t>(4, k / 2);
    g.nodes.push_back(c);
    g.nodes.push_back(node("Relu", {c.outputs[0]}, {"r" + std::to_string(l)}));
    v = qdq(g, "r" + std::to_string(l), 0.05f, -128);
  }
  g.nodes.push_back(node("Identity", {v}, {"y"}));
  add_output(g, "y", {1, channels, size, size});
  return round_trip(g, "conv_chain");
}

class ScheduleTest : public DeviceTest {
 protected:
  // Compiles `g`, runs its NPU segment on `pe` and checks it bit for bit;
  // returns the compile result and the DMA bytes the device's counters saw.
  std::pair<compiler::CompileResult, uint64_t> check(const Graph& g, isa::Mode target,
                                                     const std::string& pe) {
    const Shape& shape = g.value(g.inputs[0]).shape;
    const NpuCheck r =
        run_npu_segment(*device, hw, g, {{g.inputs[0], random_input(shape, 3)}}, target, pe);
    for (const auto& p : r.compiled.placement) {
      if (p.node.find("Conv") != std::string::npos) {
        EXPECT_EQ(p.unit, "NPU") << p.reason;
      }
    }
    EXPECT_EQ(r.device, r.golden);
    // Once more, for the counters: what the PEs' DMA moved in one run.
    auto context = device->open(pe);
    runtime::LoadedProgram loaded(*device, r.compiled.program, hw);
    std::vector<std::vector<uint8_t>> in;
    for (const auto& t : loaded.inputs()) in.emplace_back(t.bytes(), 1);
    const int pes = target == isa::Mode::kFused ? 2 : 1;
    uint64_t before = 0, after = 0;
    for (int pe_index = 0; pe_index < pes; ++pe_index)
      before += device->counters(pe_index).dma_bytes;
    runtime::run_once(*context, loaded, in);
    for (int pe_index = 0; pe_index < pes; ++pe_index)
      after += device->counters(pe_index).dma_bytes;
    return {r.compiled, after - before};
  }
};

TEST_F(ScheduleTest, ConvWhoseWeightsExceedTheSramRunsInChannelBlocks) {
  hw.sram_per_pe = 64 << 10;  // the verifier's smallest; the weights alone are 144 KiB
  start(hw);
  const Graph g = conv_chain(128, 12, 3, 1, 1);
  for (const auto& [target, pe] :
       {std::pair{isa::Mode::kSingle, "npu0pe0"}, std::pair{isa::Mode::kFused, "npu0pe0-1"}}) {
    SCOPED_TRACE(pe);
    const auto [compiled, dma] = check(g, target, pe);
    ASSERT_EQ(compiled.layers.size(), 1u);
    EXPECT_NE(compiled.layers[0].tiling.find("-channel output blocks"), std::string::npos)
        << compiled.layers[0].tiling;
    EXPECT_EQ(dma, compiled.dram_traffic);
  }
}

TEST_F(ScheduleTest, ConvWhoseOutputChannelDoesNotFitAccumulatesInputChannelBlocks) {
  hw.sram_per_pe = 64 << 10;
  start(hw);
  // One output channel of a 3x3 convolution over 4096 channels has 36 KiB of
  // weights: double-buffered they exceed the SRAM, so the input channels
  // come in blocks whose int32 sums accumulate.
  const Graph g = conv3x3_relu_model({1, 4096, 3, 3}, 16, 0.05f, 2, "deep_conv");
  const auto [compiled, dma] = check(g, isa::Mode::kSingle, "npu0pe0");
  ASSERT_EQ(compiled.layers.size(), 1u);
  const std::string& tiling = compiled.layers[0].tiling;
  EXPECT_NE(tiling.find("-channel input blocks"), std::string::npos) << tiling;
  EXPECT_NE(tiling.find("weights by output and input block"), std::string::npos) << tiling;
  EXPECT_EQ(dma, compiled.dram_traffic);
}

TEST_F(ScheduleTest, TensorsBetweenLayersStayInSram) {
  const Graph g = conv_chain(32, 24, 3, 4, 3);
  const auto [compiled, dma] = check(g, isa::Mode::kSingle, "npu0pe0");
  ASSERT_EQ(compiled.layers.size(), 4u);
  for (size_t l = 0; l < 4; ++l) {
    const std::string& t = compiled.layers[l].tiling;
    EXPECT_NE(t.find(l == 0 ? "input from DRAM" : "input in SRAM"), std::string::npos) << t;
    EXPECT_NE(t.find(l == 3 ? "output to DRAM" : "output in SRAM"), std::string::npos) << t;
  }
  // DRAM sees the input, the output and each layer's parameters once.
  const uint64_t image = 32 * 24 * 24;
  uint64_t params = 0;
  for (const auto& seg : compiled.program.segments)
    if (const auto* npu = std::get_if<isa::NpuSegment>(&seg)) params = npu->weights.size();
  EXPECT_LE(compiled.dram_traffic, 2 * image + params);
  EXPECT_GE(compiled.dram_traffic, 2 * image + params - 4 * 64);  // the blob's alignment
  EXPECT_EQ(dma, compiled.dram_traffic);
}

TEST_F(ScheduleTest, FusedPesExchangeOnlyTheRowsAWindowNeeds) {
  const Graph g = conv_chain(32, 24, 3, 4, 4);
  const auto [single, single_dma] = check(g, isa::Mode::kSingle, "npu0pe0");
  const auto [fused, fused_dma] = check(g, isa::Mode::kFused, "npu0pe0-1");
  EXPECT_EQ(fused_dma, fused.dram_traffic);
  // Each PE loads the parameters and one input row beyond its half; between
  // layers each sends the other one row of each intermediate tensor (a 3x3
  // window), 24 x 32 bytes, and reads it.
  uint64_t params = 0;
  for (const auto& seg : fused.program.segments)
    if (const auto* npu = std::get_if<isa::NpuSegment>(&seg)) params = npu->weights.size();
  const uint64_t image = 32 * 24 * 24, halo_row = 24 * 32;
  EXPECT_LE(fused.dram_traffic, 2 * image + 2 * params + (2 + 3 * 2 * 2) * halo_row);
  EXPECT_GT(fused.dram_traffic, single.dram_traffic);
}

}  // namespace
}  // namespace npusim::testing
