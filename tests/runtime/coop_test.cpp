// Cooperative runs on the real in-process device and the reference
// executor: a small classifier whose Softmax tail the NPU lacks, split
// between an NPU chip and the host CPU, or two differently configured chips;
// the merged outputs are the reference executor's, query by query, and the
// timeline shows each unit's lanes, the cut and the merge.
#include <gtest/gtest.h>

#include <unistd.h>
#include <filesystem>
#include <random>

#include "e2e/model_builder.hpp"
#include "npusim/compiler/lower_quantized.hpp"
#include "npusim/compiler/onnx_io.hpp"
#include "npusim/runtime/coop_runner.hpp"
#include "npusim/runtime/split_search.hpp"
#include "npusim/sim/in_process_device.hpp"

namespace npusim::testing {
namespace {

std::string op_qdq(Graph& g, Node n, float scale, int8_t zp) {
  const std::string out = n.outputs[0];
  g.nodes.push_back(std::move(n));
  return qdq(g, out, scale, zp);
}

// x[1,8,8,8] -> Conv3x3(16) -> Relu -> GlobalAveragePool -> Flatten -> Gemm(10) -> Softmax
Graph classifier_model() {
  std::mt19937 rng(16);
  Graph g;
  g.opset = 13;
  add_input(g, "x", {1, 8, 8, 8});
  const std::string x = qdq(g, "x", 0.02f, -100);
  const std::string w = weights(g, "w", 16, 8, 3, rng);
  Node c = node("Conv", {x, w}, {"c"});
  c.attrs["pads"] = std::vector<int64_t>{1, 1, 1, 1};
  g.nodes.push_back(c);
  const std::string r = op_qdq(g, node("Relu", {"c"}, {"r"}), 0.01f, -128);
  const std::string p = op_qdq(g, node("GlobalAveragePool", {r}, {"p"}), 0.005f, -128);
  const std::string f = op_qdq(g, node("Flatten", {p}, {"f"}), 0.005f, -128);
  const std::string fc = quantized_constant(g, "fc", {10, 16}, 0.01f, rng);
  Node gemm = node("Gemm", {f, fc}, {"logits"});
  gemm.attrs["transB"] = int64_t(1);
  const std::string l = op_qdq(g, gemm, 0.002f, 0);
  Node softmax = node("Softmax", {l}, {"y"});
  softmax.attrs["axis"] = int64_t(1);
  g.nodes.push_back(softmax);
  add_output(g, "y", {1, 10});
  return g;
}

class CoopTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path =
        (std::filesystem::temp_directory_path() / ("coop_" + std::to_string(::getpid()) + ".onnx"))
            .string();
    compiler::export_onnx(classifier_model(), path);
  }
  void TearDown() override { std::filesystem::remove(path); }

  runtime::CoopOptions options(const std::string& units, bool timing_only = false) const {
    runtime::CoopOptions o;
    o.model = path;
    o.cache_dir = "none";
    for (const auto& spec : runtime::parse_unit_list(units)) o.units.push_back({spec, {}, {}});
    o.device = [](const isa::HwParams& hw, bool t) { return sim::in_process_device({hw, t}); };
    o.timing_only = timing_only;
    o.workers = 4;
    o.timeout = std::chrono::seconds(60);
    return o;
  }

  // Query q's input: its own values, so a merge out of order would show.
  static std::vector<Tensor> input(int64_t q) { return {random_input({1, 8, 8, 8}, 100 + q)}; }

  std::vector<Tensor> expected(int64_t q) const {
    Graph golden = compiler::import_onnx(path);
    compiler::lower_quantized(golden);
    return {compiler::execute(golden, {{"x", input(q).at(0)}}).at("y")};
  }

  std::string path;
};

TEST_F(CoopTest, NpuAndCpuMergeTheReferenceOutputsInQueryOrder) {
  runtime::CoopOptions o = options("npu0pe0,cpu");
  o.keep_timeline = true;
  runtime::CoopRunner runner(o);
  EXPECT_NE(runner.cut(0).find("then the host"), std::string::npos) << runner.cut(0);
  EXPECT_NE(runner.cut(0).find("Softmax"), std::string::npos) << runner.cut(0);
  const runtime::BatchResult r = runner.run({5, 3}, input);
  ASSERT_EQ(r.outputs.size(), 8u);
  for (int64_t q = 0; q < 8; ++q) {
    const std::vector<Tensor> want = expected(q);
    ASSERT_EQ(r.outputs[q].size(), 1u);
    EXPECT_EQ(r.outputs[q][0].raw(), want[0].raw()) << "query " << q;
  }
  ASSERT_EQ(r.parts.size(), 2u);
  EXPECT_EQ(r.parts[1].first, 5);
  // The CPU part: 3 queries on 4 cores, each the cost model's time.
  const runtime::CpuUnit cpu(path, {}, {});
  EXPECT_EQ(r.parts[1].span_ps, uint64_t(cpu.query_ns() * 1000.0));
  EXPECT_EQ(r.span_ps, std::max(r.parts[0].span_ps, r.parts[1].span_ps) + 5'000'000);

  std::set<std::string> lanes;
  size_t tails = 0;
  for (const auto& e : r.timeline.timeline) {
    lanes.insert(e.lane);
    tails += e.name.find("tail on host") != std::string::npos;
    EXPECT_LE(e.end_ps, r.span_ps) << e.lane << " " << e.name;
  }
  for (const char* lane :
       {"npu0pe0 run", "npu0 host 0", "cpu core 2", "split npu0", "split cpu", "split merge"})
    EXPECT_TRUE(lanes.count(lane)) << lane;
  EXPECT_EQ(tails, 5u);  // every NPU query's tail
}

TEST_F(CoopTest, ASlowerSecondChipTakesLongerAndGivesTheSameOutputs) {
  runtime::CoopOptions o = options("npu0pe0,npu1pe1");
  o.units[1].hw.clock_hz = o.units[0].hw.clock_hz / 4;
  o.keep_timeline = true;
  runtime::CoopRunner runner(o);
  const uint64_t fast = runner.alone_span_ps(0, 4, input);
  const uint64_t slow = runner.alone_span_ps(1, 4, input);
  EXPECT_GT(slow, fast);
  const runtime::BatchResult r = runner.run({3, 3}, input);
  for (int64_t q = 0; q < 6; ++q) EXPECT_EQ(r.outputs[q][0].raw(), expected(q)[0].raw()) << q;
  bool second_chip_lane = false;
  for (const auto& e : r.timeline.timeline) second_chip_lane |= e.lane == "npu1pe1 run";
  EXPECT_TRUE(second_chip_lane);
}

// The search on the real units: each point's split is the best the units'
// curves predict, and no measured combined run is slower than the best unit alone
// by more than the merge.
TEST_F(CoopTest, SearchMeasuresEveryBatchSizeAndPicksTheFastest) {
  runtime::CoopRunner runner(options("npu0pe0,cpu", true));
  runtime::SearchOptions so;
  so.batch_sizes = {1, 8, 32};
  std::vector<std::string> steps;
  so.progress = [&](const std::string& s) { steps.push_back(s); };
  const auto points = runtime::search_batches(runner, input, so);
  ASSERT_EQ(points.size(), 3u);
  EXPECT_EQ(steps.front(), "batch 1: npu0 alone");
  for (const auto& p : points) {
    EXPECT_EQ(p.shares[0] + p.shares[1], p.batch);
    EXPECT_GE(p.combined_qps, 0.5 * p.best_alone_qps()) << p.batch;
    EXPECT_LE(p.combined_qps, p.sum_alone_qps() * 1.0001) << p.batch;
  }
  EXPECT_GT(points[2].combined_qps, points[0].combined_qps);
  EXPECT_NE(runtime::best_batch(points), runtime::kNoBatch);
}

}  // namespace
}  // namespace npusim::testing
