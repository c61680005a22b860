// Batches (docs/compiler.md, "Batches"): a program compiled for N images
// gives, bit for bit, what N runs of the batch-1 program and the golden
// model give; its DRAM weight traffic is once per batch; bad batches are
// refused with the reason.
#include <gtest/gtest.h>

#include "npusim/compiler/lower_quantized.hpp"
#include "npusim/runtime/batch_images.hpp"
#include "runtime_fixture.hpp"

namespace npusim::testing {
namespace {

// The fixture's two convolutions, then a Reshape to [1, 512] on the host:
// a CPU segment whose constant holds the batch of one image.
Graph model_with_host_reshape() {
  Graph g = two_conv_model();
  constant(g, "shape", Tensor::from(DType::kInt64, {2}, std::vector<int64_t>{1, 512}));
  g.nodes.push_back(node("Reshape", {"y", "shape"}, {"z"}));
  g.outputs.clear();
  add_output(g, "z", {1, 512});
  return round_trip(g, "batch_model");
}

compiler::CompileResult compile_for(const Graph& g, const isa::HwParams& hw, int batch,
                                    isa::Mode target = isa::Mode::kSingle) {
  compiler::CompileOptions o;
  o.hw = hw;
  o.target = target;
  o.batch = batch;
  return compiler::compile(g, o);
}

class BatchTest : public RuntimeTest {
 protected:
  void SetUp() override {
    RuntimeTest::SetUp();
    graph = model_with_host_reshape();
  }

  // The golden model, one image at a time.
  Tensor golden(const Tensor& batch) const {
    Graph lowered = graph;
    compiler::lower_quantized(lowered);
    std::vector<Tensor> images;
    for (int64_t i = 0; i < batch.shape()[0]; ++i)
      images.push_back(compiler::execute(lowered, {{"x", runtime::image_of(batch, i)}}).at("z"));
    return runtime::stack_images(images);
  }

  // The batch through a batch-N program and through N runs of the batch-1
  // program, on `devices`: both equal the golden model bit for bit.
  void expect_batch_equals_single_runs(isa::Mode target, const std::string& devices) {
    const int n = 4;
    const Tensor x = random_input({n, 8, 16, 16}, 7);
    auto batched =
        runtime::Model::from_program(compile_for(graph, hw, n, target).program, "batch 4", hw);
    ASSERT_EQ(batched->inputs()[0].shape, (Shape{n, 8, 16, 16}));
    ASSERT_EQ(batched->outputs()[0].shape, (Shape{n, 512}));
    std::vector<Tensor> y;
    {
      runtime::Runner runner(batched, options(devices));
      y = runner.run({x});
    }
    auto single =
        runtime::Model::from_program(compile_for(graph, hw, 1, target).program, "batch 1", hw);
    runtime::Runner runner(single, options(devices));
    std::vector<Tensor> images;
    for (int64_t i = 0; i < n; ++i) images.push_back(runner.run({runtime::image_of(x, i)})[0]);
    ASSERT_EQ(y.size(), 1u);
    EXPECT_EQ(y[0].shape(), (Shape{n, 512}));
    EXPECT_EQ(y[0].raw(), runtime::stack_images(images).raw()) << devices;
    EXPECT_EQ(y[0].raw(), golden(x).raw()) << devices;
  }
};

TEST_F(BatchTest, BatchedOutputsEqualBatchOneRunsOnOnePe) {
  expect_batch_equals_single_runs(isa::Mode::kSingle, "npu0pe1");
}

TEST_F(BatchTest, BatchedOutputsEqualBatchOneRunsFused) {
  expect_batch_equals_single_runs(isa::Mode::kFused, "npu0pe0-1");
}

// The weights stay in SRAM for the whole batch: N images move N times the
// activations of one but the weights once (the model's weights, biases and
// multiplier tables, the whole weights area, are resident at batch 1 too).
TEST_F(BatchTest, WeightsCrossDramOncePerBatch) {
  const compiler::CompileResult one = compile_for(graph, hw, 1);
  for (const isa::Mode target : {isa::Mode::kSingle, isa::Mode::kFused}) {
    const compiler::CompileResult one_t = compile_for(graph, hw, 1, target);
    const compiler::CompileResult eight = compile_for(graph, hw, 8, target);
    EXPECT_EQ(eight.batch, 8);
    EXPECT_EQ(eight.program.batch, 8);
    ASSERT_EQ(eight.layers.size(), one_t.layers.size());
    const uint64_t weights = one_t.dram_weights;
    ASSERT_GT(weights, 0u);
    EXPECT_EQ(eight.dram_weights, weights);
    // Fused, each PE loads its own copy of the weights.
    const uint64_t per_run = (target == isa::Mode::kFused ? 2 : 1) * weights;
    EXPECT_EQ(eight.dram_traffic, 8 * (one_t.dram_traffic - per_run) + per_run)
        << isa::mode_name(target);
    // The layer table has each layer once per image, named by its image.
    const isa::NpuSegment* npu = nullptr;
    for (const auto& seg : eight.program.segments)
      if (!npu) npu = std::get_if<isa::NpuSegment>(&seg);
    ASSERT_NE(npu, nullptr);
    const auto& layers = npu->layers;
    ASSERT_EQ(layers.size(), 8 * one_t.layers.size());
    EXPECT_EQ(layers.back().name, one_t.layers.back().layer + " [image 7]");
    EXPECT_EQ(eight.layers.back().layer, one_t.layers.back().layer);
  }
  EXPECT_EQ(one.program.batch, 1);
}

TEST_F(BatchTest, BadBatchesAreRefusedWithTheReason) {
  auto refused = [&](const Graph& g, int batch, const std::string& fragment) {
    try {
      compile_for(g, hw, batch);
      ADD_FAILURE() << "batch " << batch << " compiled";
    } catch (const compiler::CompileError& e) {
      EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
    }
  };
  refused(graph, 0, "batch 0 is out of range: it must be 1 ... 256");
  refused(graph, -3, "batch -3 is out of range");
  refused(graph, 257, "batch 257 is out of range");
  Graph two = graph;
  two.values["x"].shape[0] = 2;  // a model exported with a fixed batch of 2
  refused(two, 4,
          "input \"x\" has a fixed batch of 2 (shape 2x8x16x16): it cannot be compiled "
          "for --batch 4");
}

TEST_F(BatchTest, ANpubOfAnotherBatchIsRefusedOnLoad) {
  const std::string path = ::testing::TempDir() + "/batch2.npub";
  isa::save_program(compile_for(graph, hw, 2).program, path);
  runtime::ModelOptions mo;
  mo.hw = hw;
  mo.batch = 2;
  EXPECT_EQ(runtime::Model::load(path, mo)->inputs()[0].shape[0], 2);
  mo.batch = 4;
  try {
    runtime::Model::load(path, mo);
    ADD_FAILURE() << "loaded";
  } catch (const runtime::RuntimeError& e) {
    EXPECT_NE(std::string(e.what()).find("was compiled for batch 2, not 4"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace npusim::testing
