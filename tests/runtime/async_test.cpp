// Async runner and queue: every request gets its own result, and with
// several requests in flight the device overlaps one request's transfers
// with another's compute; the sync runner never overlaps.
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <set>
#include <thread>

#include "runtime_fixture.hpp"

namespace npusim::testing {
namespace {

uint64_t sum_latency(const runtime::SessionStats& s) {
  uint64_t total = 0;
  for (const auto& t : s.timings) total += t.latency_ps();
  return total;
}

// Whether an H2D or D2H of one request overlaps the RUN of another on `lane`.
bool transfers_overlap_compute(const runtime::SessionStats& s, const std::string& lane) {
  for (const auto& a : s.timeline) {
    if (a.lane != lane + " h2d" && a.lane != lane + " d2h") continue;
    for (const auto& b : s.timeline)
      if (b.lane == lane + " run" && b.request != a.request && a.start_ps < b.end_ps &&
          b.start_ps < a.end_ps)
        return true;
  }
  return false;
}

TEST_F(RuntimeTest, SyncLatencyIsHostPlusDeviceAndRequestsNeverOverlap) {
  runtime::Runner runner(compiled(), options("npu0pe0"));
  for (uint32_t i = 0; i < 4; ++i) runner.run({random_input({1, 8, 16, 16}, i)});
  const runtime::SessionStats s = runner.stats();
  ASSERT_EQ(s.timings.size(), 4u);
  for (const auto& t : s.timings) {  // one request at a time: nothing waits
    EXPECT_EQ(t.latency_ps(), t.host_ps + t.device_ps);
    EXPECT_EQ(t.host_wait_ps, 0u);
    // The device phase is the three commands plus the 32-byte completion
    // records each next step waits for: H2D's and the WAIT_QUEUE's before RUN,
    // RUN's and the WAIT_QUEUE's before D2H, D2H's own (5 cycles each at 2 GHz).
    EXPECT_EQ(t.device_ps, t.h2d_ps + t.compute_ps + t.d2h_ps + 12'500);
  }
  EXPECT_EQ(s.span_ps(), sum_latency(s));
  EXPECT_FALSE(transfers_overlap_compute(s, "npu0pe0"));
}

TEST_F(RuntimeTest, AsyncRequestsOverlapAndEachGetsItsOwnResult) {
  runtime::AsyncRunner runner(compiled(), options("npu0pe0", 4));
  std::vector<runtime::Future> futures;
  std::vector<Tensor> inputs;
  for (uint32_t i = 0; i < 12; ++i) {
    inputs.push_back(random_input({1, 8, 16, 16}, 100 + i));
    futures.push_back(runner.run_async({inputs.back()}));
  }
  for (size_t i = 0; i < futures.size(); ++i)
    EXPECT_EQ(futures[i].get().outputs[0].raw(), expected(inputs[i])[0].raw()) << i;
  const runtime::SessionStats s = runner.stats();
  EXPECT_EQ(s.requests, 12u);
  EXPECT_LT(s.span_ps(), sum_latency(s) / 2);  // four in flight: far less than back to back
  EXPECT_TRUE(transfers_overlap_compute(s, "npu0pe0"));
}

// Submitted at once, the first four of eight requests all start at the
// session's start, even when this thread then sleeps far past the
// dispatcher's 20 ms grace: the timeline is the same on any host. Each
// request still gets its own result.
TEST_F(RuntimeTest, RequestsSubmittedAllAtOnceStartTogether) {
  runtime::AsyncRunner runner(compiled(), options("npu0pe0", 4));
  std::vector<std::vector<Tensor>> inputs;
  for (uint32_t i = 0; i < 8; ++i) inputs.push_back({random_input({1, 8, 16, 16}, 300 + i)});
  std::vector<runtime::Future> futures = runner.run_async_all(inputs);
  ASSERT_EQ(futures.size(), 8u);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  std::vector<uint64_t> starts;
  for (size_t i = 0; i < futures.size(); ++i) {
    const runtime::Result r = futures[i].get();
    EXPECT_EQ(r.outputs[0].raw(), expected(inputs[i][0])[0].raw()) << i;
    EXPECT_EQ(r.timing.request, i);
    starts.push_back(r.timing.start_ps);
  }
  const runtime::SessionStats s = runner.stats();
  for (size_t i = 0; i < 4; ++i) EXPECT_EQ(starts[i], s.first_start_ps) << i;
  for (size_t i = 4; i < 8; ++i) EXPECT_GT(starts[i], s.first_start_ps) << i;
}

TEST_F(RuntimeTest, CallbacksDeliverEveryResult) {
  runtime::AsyncRunner runner(compiled(), options("npu0pe0", 2));
  std::mutex mutex;
  std::map<int, std::vector<uint8_t>> got;
  std::vector<Tensor> inputs;
  for (int i = 0; i < 6; ++i) {
    inputs.push_back(random_input({1, 8, 16, 16}, 200 + i));
    runner.run_async({inputs.back()}, [&, i](runtime::Result r, std::exception_ptr e) {
      ASSERT_FALSE(e);
      std::lock_guard lock(mutex);
      got[i] = r.outputs[0].raw();
    });
  }
  runner.wait_all();
  ASSERT_EQ(got.size(), 6u);
  for (int i = 0; i < 6; ++i) EXPECT_EQ(got[i], expected(inputs[i])[0].raw()) << i;
}

TEST_F(RuntimeTest, QueueReturnsEachContextOnceWithItsOwnOutputs) {
  runtime::RunnerOptions o = options("npu0pe0,npu0pe1", 4);
  o.input_queue_size = 3;
  auto [submitter, receiver] = runtime::create_queue(compiled(), o);
  std::vector<Tensor> inputs;
  for (int i = 0; i < 16; ++i) inputs.push_back(random_input({1, 8, 16, 16}, 300 + i));
  std::thread producer([&, &submitter = submitter] {
    for (int i = 0; i < 16; ++i) submitter.submit({inputs[i]}, i);
    submitter.close();
  });
  std::set<int> seen;
  std::set<std::string> devices;
  while (auto item = receiver.recv(std::chrono::seconds(60))) {
    const int i = std::any_cast<int>(item->first);
    EXPECT_TRUE(seen.insert(i).second) << "context " << i << " twice";
    EXPECT_EQ(item->second.outputs[0].raw(), expected(inputs[i])[0].raw()) << i;
    devices.insert(item->second.timing.device);
  }
  producer.join();
  EXPECT_EQ(seen.size(), 16u);
  EXPECT_EQ(devices, (std::set<std::string>{"npu0pe0", "npu0pe1"}));  // spread over the list
}

TEST_F(RuntimeTest, RecvTimesOutWhenNothingComes) {
  auto [submitter, receiver] = runtime::create_queue(compiled(), options());
  try {
    receiver.recv(std::chrono::milliseconds(50));
    FAIL() << "recv returned without any request";
  } catch (const runtime::RuntimeError& e) {
    EXPECT_EQ(e.kind(), runtime::RuntimeErrorKind::kTimeout);
  }
}

}  // namespace
}  // namespace npusim::testing
