// The Chrome/Perfetto trace of a run with 4 requests in flight: DMA of one
// request overlaps compute of another, and the PE's busy share from the
// device counters (NPU%) equals the RUN intervals' share of the trace.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

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
  runtime::AsyncRunner runner(compiled(), options("npu0pe0", 4));
  std::vector<runtime::Future> futures;
  for (uint32_t i = 0; i < 8; ++i)
    futures.push_back(runner.run_async({random_input({1, 8, 16, 16}, i)}));
  for (auto& f : futures) f.get();
  const runtime::SessionStats s = runner.stats();
  const auto events = intervals(nlohmann::json::parse(runtime::chrome_trace(s)));

  int overlaps = 0;
  double run_time = 0, first = 1e300, last = 0;
  for (const auto& a : events) {
    first = std::min(first, a.start);
    last = std::max(last, a.end);
    if (a.lane == "run") run_time += a.end - a.start;
    if (a.lane != "h2d" && a.lane != "d2h") continue;
    for (const auto& b : events)
      overlaps += b.lane == "run" && b.request != a.request && a.start < b.end && b.start < a.end;
  }
  EXPECT_GT(overlaps, 0);
  // RUN intervals on one PE never overlap, so their sum is the busy time.
  ASSERT_EQ(s.pes.size(), 1u);
  const double npu_from_counters = s.pes[0].npu_percent();
  const double npu_from_trace = 100.0 * run_time / (last - first);
  EXPECT_NEAR(npu_from_counters, npu_from_trace, 1.0);
}

}  // namespace
}  // namespace npusim::testing
