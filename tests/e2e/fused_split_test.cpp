// Fused mode's output-channel split (docs/compiler.md, "What stays in
// SRAM"): a layer with one output row cannot share its rows, and a
// weight-heavy layer on a few rows shares them badly (each PE loads every
// weight), so the two PEs share its output channels when the compiler's
// estimate says so. Both PEs then do the matrix work, the outputs stay
// bit-exact with the reference executor, and the model runs faster than on
// one PE.
#include <gtest/gtest.h>

#include <random>

#include "common/device_fixture.hpp"
#include "model_builder.hpp"
#include "npusim/compiler/lower_quantized.hpp"
#include "npusim/isa/instruction.hpp"

namespace npusim::testing {
namespace {

// x[1, 256] -> Q/DQ -> Gemm(transB, 512, bias) -> Relu -> Q/DQ -> MatMul(128) -> Q/DQ -> y:
// a classifier head on one row.
Graph one_row_gemm_model() {
  std::mt19937 rng(21);
  Graph g;
  g.opset = 13;
  add_input(g, "x", {1, 256});
  const std::string x = qdq(g, "x", 0.03f, -2);
  const std::string w1 = quantized_constant(g, "w1", {512, 256}, 0.01f, rng);
  std::vector<float> b1(512);
  for (size_t i = 0; i < b1.size(); ++i) b1[i] = 0.02f * float(int(i % 7) - 3);
  constant(g, "b1", Tensor::from(DType::kFloat32, {512}, b1));
  Node fc1 = node("Gemm", {x, w1, "b1"}, {"fc1"});
  fc1.attrs["transB"] = int64_t(1);
  g.nodes.push_back(fc1);
  g.nodes.push_back(node("Relu", {"fc1"}, {"r1"}));
  const std::string h = qdq(g, "r1", 0.05f, -128);
  const std::string w2 = quantized_constant(g, "w2", {512, 128}, 0.01f, rng);
  g.nodes.push_back(node("MatMul", {h, w2}, {"fc2"}));
  g.nodes.push_back(node("Identity", {qdq(g, "fc2", 0.1f, 0)}, {"y"}));
  add_output(g, "y", {1, 128});
  return round_trip(g, "one_row_gemm");
}

// x[1, 64, 1, 1] -> Q/DQ -> Conv1x1(97) -> Q/DQ -> y: a head on a 1x1 image.
Graph one_pixel_conv_model() {
  std::mt19937 rng(22);
  Graph g;
  g.opset = 13;
  add_input(g, "x", {1, 64, 1, 1});
  const std::string x = qdq(g, "x", 0.04f, 3);
  g.nodes.push_back(node("Conv", {x, weights(g, "w", 97, 64, 1, rng)}, {"c"}));
  g.nodes.push_back(node("Identity", {qdq(g, "c", 0.05f, -7)}, {"y"}));
  add_output(g, "y", {1, 97, 1, 1});
  return round_trip(g, "one_pixel_conv");
}

// x[1, 64] -> QuantizeLinear -> MatMulInteger(int8 [64, 100], zero points) -> int32 y:
// four-byte outputs, each PE storing its channels' sums.
Graph one_row_integer_model() {
  std::mt19937 rng(23);
  Graph g;
  g.opset = 13;
  add_input(g, "x", {1, 64});
  constant(g, "x_s", scalar_f(0.03f));
  constant(g, "x_z", scalar_i8(-5));
  g.nodes.push_back(node("QuantizeLinear", {"x", "x_s", "x_z"}, {"x_q"}));
  std::uniform_int_distribution<int> code(-128, 127);
  std::vector<int8_t> b(64 * 100);
  for (auto& v : b) v = int8_t(code(rng));
  constant(g, "b", Tensor::from(DType::kInt8, {64, 100}, b));
  constant(g, "b_z", scalar_i8(-2));
  g.nodes.push_back(node("MatMulInteger", {"x_q", "b", "x_z", "b_z"}, {"y"}));
  add_output(g, "y", {1, 100});
  g.values["y"].dtype = DType::kInt32;
  return round_trip(g, "one_row_integer");
}

// x[1, 256, 2, 2] -> Q/DQ -> Conv3x3(512, pad 1) -> Relu -> Q/DQ -> y: 1.1 MiB
// of weights for 4 output pixels.
Graph weight_heavy_conv_model() {
  return conv3x3_relu_model({1, 256, 2, 2}, 512, 0.04f, 24, "weight_heavy_conv");
}

// The mat.conv instructions of each NPU layer on PE `slot`.
std::vector<int> mat_instructions(const isa::Program& program, int slot) {
  std::vector<int> per_layer;
  for (const auto& seg : program.segments) {
    const auto* npu = std::get_if<isa::NpuSegment>(&seg);
    if (!npu) continue;
    const int compute = static_cast<int>(isa::Engine::kCompute);
    const std::vector<isa::Instruction> code = isa::decode(npu->streams[slot][compute]);
    for (size_t l = 0; l < npu->layers.size(); ++l) {
      const size_t begin = npu->layers[l].first[slot][compute];
      const size_t end =
          l + 1 < npu->layers.size() ? npu->layers[l + 1].first[slot][compute] : code.size();
      int mats = 0;
      for (size_t k = begin; k < end && k < code.size(); ++k)
        mats += code[k].op == isa::Opcode::kMatConv;
      per_layer.push_back(mats);
    }
  }
  return per_layer;
}

class FusedSplitTest : public DeviceTest {
 protected:
  // Runs `g` fused and on one PE; checks both bit for bit and that the
  // matrix work of layers [0, split) runs on both PEs, their plan saying
  // so, and that of the others on the first PE only. Returns the fused and
  // the single-PE run.
  std::pair<NpuCheck, NpuCheck> check_split(const Graph& g, size_t layers, size_t split) {
    const compiler::TensorMap in = {{g.inputs[0], random_input(g.value(g.inputs[0]).shape, 5)}};
    const NpuCheck fused = run_npu_segment(*device, hw, g, in, isa::Mode::kFused, "npu0pe0-1");
    const NpuCheck single = run_npu_segment(*device, hw, g, in, isa::Mode::kSingle, "npu0pe0");
    EXPECT_EQ(fused.device, fused.golden);
    EXPECT_EQ(single.device, single.golden);
    EXPECT_EQ(fused.device, single.device);
    EXPECT_EQ(fused.npu_nodes, int(layers));
    const std::vector<int> pe0 = mat_instructions(fused.compiled.program, 0);
    const std::vector<int> pe1 = mat_instructions(fused.compiled.program, 1);
    EXPECT_EQ(pe0.size(), layers);
    EXPECT_EQ(pe1.size(), layers);
    for (size_t l = 0; l < std::min(layers, pe1.size()); ++l) {
      EXPECT_GT(pe0[l], 0) << "layer " << l;
      if (l < split) {
        EXPECT_GT(pe1[l], 0) << "layer " << l << " does no matrix work on PE1";
      } else {
        EXPECT_EQ(pe1[l], 0) << "layer " << l << " was split";
      }
    }
    EXPECT_EQ(fused.compiled.layers.size(), layers);
    for (size_t l = 0; l < fused.compiled.layers.size(); ++l) {
      const std::string& tiling = fused.compiled.layers[l].tiling;
      EXPECT_EQ(tiling.find("PEs split output channels") != std::string::npos, l < split) << tiling;
    }
    return {fused, single};
  }
};

TEST_F(FusedSplitTest, GemmOnOneRowSplitsItsOutputChannelsBetweenThePes) {
  // The 512-channel Gemm makes 4 passes of the 128 array columns: 2 per PE.
  // The 128-channel one makes one pass however it is shared, so it stays on
  // the first PE (nothing would pay for the exchange).
  const auto [fused, single] = check_split(one_row_gemm_model(), 2, 1);
  ASSERT_EQ(fused.compiled.layers.size(), 2u);
  EXPECT_NE(fused.compiled.layers[1].tiling.find("on PE0 only"), std::string::npos)
      << fused.compiled.layers[1].tiling;
  // Each PE loads half the first layer's weights and makes half its weight
  // passes. Beyond one PE's traffic, both read the input (256 bytes), and
  // the hidden row (512), which one PE keeps in SRAM, is stored and read.
  EXPECT_LT(fused.cycles, single.cycles);
  EXPECT_LE(fused.compiled.dram_traffic, single.compiled.dram_traffic + 256 + 3 * 512);
}

TEST_F(FusedSplitTest, WeightHeavyConvOnFewRowsSplitsItsOutputChannels) {
  // Split by rows, each PE would load all 1.1 MiB of weights for one row.
  const auto [fused, single] = check_split(weight_heavy_conv_model(), 1, 1);
  EXPECT_LT(fused.cycles, single.cycles);
  EXPECT_LT(fused.compiled.dram_traffic, single.compiled.dram_traffic * 11 / 10);
}

TEST_F(FusedSplitTest, ABatchOfImagesRunsEachPesChannelsImageAfterImage) {
  const Graph g = one_row_gemm_model();
  constexpr int kImages = 3;
  compiler::CompileOptions options;
  options.hw = hw;
  options.target = isa::Mode::kFused;
  options.batch = kImages;
  const compiler::CompileResult compiled = compiler::compile(g, options);
  ASSERT_FALSE(compiled.layers.empty());
  EXPECT_NE(compiled.layers[0].tiling.find("PEs split output channels"), std::string::npos)
      << compiled.layers[0].tiling;
  Graph golden = g;
  compiler::lower_quantized(golden);
  compiler::ExecOptions keep;
  keep.keep_intermediates = true;
  std::vector<compiler::TensorMap> images;
  for (int i = 0; i < kImages; ++i)
    images.push_back(compiler::execute(golden, {{"x", random_input({1, 256}, 30 + i)}}, keep));
  // The I/O area holds the images of each tensor one after the other.
  auto stacked = [&](const std::string& name) {
    std::vector<uint8_t> bytes;
    for (const auto& values : images) {
      const std::vector<uint8_t> image = device_layout(values.at(name));
      bytes.insert(bytes.end(), image.begin(), image.end());
    }
    return bytes;
  };
  auto context = device->open("npu0pe0-1");
  runtime::LoadedProgram loaded(*device, compiled.program, hw);
  std::vector<std::vector<uint8_t>> in;
  for (const auto& t : loaded.inputs()) in.push_back(stacked(t.name));
  const runtime::RunOutcome out = runtime::run_once(*context, loaded, in);
  ASSERT_EQ(out.outputs.size(), loaded.outputs().size());
  for (size_t k = 0; k < out.outputs.size(); ++k)
    EXPECT_EQ(out.outputs[k], stacked(loaded.outputs()[k].name)) << "output " << k;
}

class FusedSplitSmallArrayTest : public FusedSplitTest {
 protected:
  void SetUp() override {
    hw.array_rows = hw.array_cols = 16;  // a hundred channels take several passes
    start(hw);
  }
};

TEST_F(FusedSplitSmallArrayTest, ConvOnOnePixelSplitsAnOddNumberOfChannels) {
  check_split(one_pixel_conv_model(), 1, 1);
}

TEST_F(FusedSplitSmallArrayTest, IntegerMatMulOnOneRowStoresEachPesInt32Sums) {
  check_split(one_row_integer_model(), 1, 1);
}

}  // namespace
}  // namespace npusim::testing
