// The Chrome/Perfetto trace of a run with 4 requests in flight: DMA of one
// request overlaps compute of another, and the PE's busy share from the
// device counters (NPU%) equals the RUN intervals' share of the trace. With
// the device trace, per-layer events and the layer table agree with the
// counters (Comp%, I/O%) and with MACs worked out from the model.
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

#include "npusim/runtime/layer_profile.hpp"
#include "npusim/runtime/trace.hpp"
#include "runtime_fixture.hpp"

namespace npusim::testing {
namespace {

struct Interval {
  std::string lane;
  double start = 0, end = 0;
  int request = 0;
};

std::vector<Interval> intervals(const nlohmann::json& trace) {
  std::map<std::pair<int, int>, std::string> lanes;  // (pid, tid) -> name
  for (const auto& e : trace["traceEvents"])
    if (e["ph"] == "M" && e["name"] == "thread_name")
      lanes[{e["pid"], e["tid"]}] = e["args"]["name"];
  std::vector<Interval> out;
  for (const auto& e : trace["traceEvents"])
    if (e["ph"] == "X")
      out.push_back({lanes.at({e["pid"], e["tid"]}), e["ts"], double(e["ts"]) + double(e["dur"]),
                     e["args"]["request"]});
  return out;
}

TEST_F(RuntimeTest, TraceShowsDmaOfOneRequestDuringComputeOfAnother) {
  runtime::RunnerOptions o = options("npu0pe0", 4);
  o.device_trace = true;  // also the PE's engines, by layer
  runtime::AsyncRunner runner(compiled(), o);
  std::vector<runtime::Future> futures;
  for (uint32_t i = 0; i < 8; ++i)
    futures.push_back(runner.run_async({random_input({1, 8, 16, 16}, i)}));
  for (auto& f : futures) f.get();
  const runtime::SessionStats s = runner.stats();
  const auto events = intervals(nlohmann::json::parse(runtime::chrome_trace(s)));

  int overlaps = 0, engine_overlaps = 0;
  double run_time = 0, first = 1e300, last = 0;
  for (const auto& a : events) {
    first = std::min(first, a.start);
    last = std::max(last, a.end);
    if (a.lane == "run") run_time += a.end - a.start;
    if (a.lane != "h2d" && a.lane != "d2h") continue;
    for (const auto& b : events) {
      const bool other = b.request != a.request && a.start < b.end && b.start < a.end;
      overlaps += b.lane == "run" && other;
      engine_overlaps += b.lane == "compute" && other;  // the matrix/vector unit at work
    }
  }
  EXPECT_GT(overlaps, 0);
  EXPECT_GT(engine_overlaps, 0);
  // RUN intervals on one PE never overlap, so their sum is the busy time.
  ASSERT_EQ(s.pes.size(), 1u);
  const double npu_from_counters = s.pes[0].npu_percent();
  const double npu_from_trace = 100.0 * run_time / (last - first);
  EXPECT_NEAR(npu_from_counters, npu_from_trace, 1.0);
}

// two_conv_model: conv1 3x3 pad 1, 8 -> 16 channels on 16x16: 16*16*16
// outputs of 8*3*3 MACs; conv2 1x1 stride 2, 16 -> 8 channels: 8*8*8 outputs
// of 16 MACs.
constexpr uint64_t kConv1Macs = 16 * 16 * 16 * 72, kConv2Macs = 8 * 8 * 8 * 16;

class LayerTraceTest : public RuntimeTest {
 protected:
  runtime::SessionStats run_traced(isa::Mode target, const std::string& devices, int requests) {
    model = compiled(target);
    runtime::RunnerOptions o = options(devices);
    o.device_trace = true;
    runtime::Runner runner(model, o);
    for (int i = 0; i < requests; ++i) runner.run({random_input({1, 8, 16, 16}, uint32_t(i))});
    return runner.stats();
  }
  std::shared_ptr<const runtime::Model> model;
};

TEST_F(LayerTraceTest, ComputeEventsAddUpToTheTensorCounterAndComp) {
  const runtime::SessionStats s = run_traced(isa::Mode::kSingle, "npu0pe1", 3);
  ASSERT_EQ(s.pes.size(), 1u);
  EXPECT_EQ(s.trace_records_lost, 0u);
  uint64_t compute_busy = 0;
  std::set<uint64_t> requests;
  for (const auto& e : s.layer_events) {
    EXPECT_EQ(e.pe, "npu0pe1");
    if (e.engine == "compute") compute_busy += e.busy_ps;
    requests.insert(e.request);
  }
  EXPECT_EQ(requests.size(), 3u);
  // The compute engine's instructions are exactly what the tensor counter counts.
  const uint64_t cycle_ps = 1'000'000'000'000ull / hw.clock_hz;
  EXPECT_EQ(compute_busy, s.pes[0].tensor_cycles * cycle_ps);
  // Comp% and I/O% from the trace: compute time over the RUN intervals.
  double run_ps = 0;
  for (const auto& e : s.timeline)
    if (e.lane == "npu0pe1 run") run_ps += double(e.end_ps - e.start_ps);
  const double comp_from_trace = 100.0 * double(compute_busy) / run_ps;
  EXPECT_NEAR(s.pes[0].comp_percent(), comp_from_trace, 1.0);
  EXPECT_NEAR(s.pes[0].io_percent(), 100.0 - comp_from_trace, 1.0);
}

TEST_F(LayerTraceTest, LayerTableHasEveryLayerInOrderWithItsMacs) {
  for (const auto& [target, devices] :
       {std::pair{isa::Mode::kSingle, "npu0pe0"}, std::pair{isa::Mode::kFused, "npu0pe0-1"}}) {
    SCOPED_TRACE(devices);
    const runtime::SessionStats s = run_traced(target, devices, 2);
    const auto rows = runtime::layer_table(*model, s, 1, runtime::HostCostModel{});
    std::vector<runtime::LayerRow> npu, cpu;
    for (const auto& r : rows) (r.unit == "NPU" ? npu : cpu).push_back(r);
    ASSERT_EQ(npu.size(), 2u) << "the two convolutions (activations fused)";
    EXPECT_EQ(npu[0].macs, kConv1Macs);
    EXPECT_EQ(npu[1].macs, kConv2Macs);
    EXPECT_FALSE(cpu.empty()) << "the float boundary's quantise/dequantise";
    for (const auto& r : cpu) EXPECT_FALSE(r.reason.empty()) << r.name;
    // Layers start and end in order inside request 1's RUN; a layer may start
    // (loading its weights) while the one before still computes.
    uint64_t run_start = 0, run_end = 0;
    for (const auto& e : s.timeline)
      if (e.request == 1 && e.lane == std::string(devices) + " run") {
        run_start = e.start_ps;
        run_end = e.end_ps;
      }
    EXPECT_GE(npu[0].start_ps, run_start);
    EXPECT_LE(npu[0].start_ps, npu[1].start_ps);
    EXPECT_LE(npu[0].end_ps, npu[1].end_ps);
    EXPECT_LE(npu[1].end_ps, run_end);
    const int pes = target == isa::Mode::kFused ? 2 : 1;
    for (const auto& r : npu) {
      EXPECT_GT(r.cycles, 0u);
      EXPECT_GT(r.dma_bytes, 0u);
      EXPECT_EQ(r.dma_bytes, r.planned_dma_bytes) << r.name << ": traced against compiled";
      EXPECT_NEAR(r.utilisation,
                  double(r.macs) / (double(r.cycles) * double(hw.array_rows * hw.array_cols * pes)),
                  1e-12);
    }
    const std::string csv = runtime::layer_csv(rows);
    EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), long(rows.size()) + 1);
  }
}

TEST_F(LayerTraceTest, TraceHasEngineLanesWithEventsNamedByLayer) {
  const runtime::SessionStats s = run_traced(isa::Mode::kFused, "npu0pe0-1", 1);
  const nlohmann::json trace = nlohmann::json::parse(runtime::chrome_trace(s));
  const auto events = intervals(trace);
  const isa::NpuSegment* found = nullptr;
  for (const auto& seg : model->program().segments)
    if (const auto* n = std::get_if<isa::NpuSegment>(&seg)) found = n;
  ASSERT_NE(found, nullptr);
  const isa::NpuSegment& npu = *found;
  std::set<std::string> lanes, names;
  for (const auto& e : events) lanes.insert(e.lane);
  for (const auto& e : trace["traceEvents"])
    if (e["ph"] == "X" && e["cat"] == "compute") names.insert(e["name"].get<std::string>());
  for (const char* lane : {"load", "compute", "store", "run", "h2d", "d2h"})
    EXPECT_TRUE(lanes.count(lane)) << lane;
  ASSERT_EQ(npu.layers.size(), 2u);
  EXPECT_EQ(names, (std::set<std::string>{npu.layers[0].name, npu.layers[1].name}));
  std::set<std::string> pes;
  for (const auto& e : s.layer_events) pes.insert(e.pe);
  EXPECT_EQ(pes, (std::set<std::string>{"npu0pe0", "npu0pe1"})) << "both PEs of the fused pair";
}

}  // namespace
}  // namespace npusim::testing
