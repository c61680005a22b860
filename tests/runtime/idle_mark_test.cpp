// AsyncRunner::mark_idle: an application that takes results by callback (an
// event loop) says when it has nothing left to do. The mark is refused while
// a result is on its way to it, and with it a request submitted in reaction
// to a result starts at that result's simulated time however long the
// application took; without it the runtime moves on after its 20 ms grace.
// Also pe_counters(), the counters part of stats().
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

#include "runtime_fixture.hpp"

namespace npusim::testing {
namespace {

using namespace std::chrono_literals;

// Results delivered by callback, in delivery order.
struct Delivered {
  std::mutex mutex;
  std::condition_variable cv;
  std::vector<runtime::RequestTiming> timings;

  std::function<void(runtime::Result, std::exception_ptr)> callback() {
    return [this](runtime::Result r, std::exception_ptr) {
      // Notified under the lock: once the waiter sees the result it may
      // destroy this object, so the callback must not touch it afterwards.
      std::lock_guard lock(mutex);
      timings.push_back(r.timing);
      cv.notify_all();
    };
  }
  // Waits until more than `n` results have come; returns how many there are.
  size_t wait_beyond(size_t n) {
    std::unique_lock lock(mutex);
    EXPECT_TRUE(cv.wait_for(lock, 30s, [&] { return timings.size() > n; }));
    return timings.size();
  }
};

TEST_F(RuntimeTest, MarkIdleIsRefusedWhileAResultIsOnItsWay) {
  Delivered d;  // outlives the runner, whose threads call into it
  runtime::AsyncRunner runner(compiled(), options("npu0pe0", 2));
  runner.run_async({random_input({1, 8, 16, 16}, 1)}, d.callback());
  ASSERT_EQ(d.wait_beyond(0), 1u);
  EXPECT_FALSE(runner.mark_idle(0));  // one was delivered that this caller has not counted
  EXPECT_TRUE(runner.mark_idle(1));
}

// After one request alone (its mark makes the session trust the marks), two
// requests in flight on two workers; when the first of them is delivered the
// application works 50 ms (wall) before submitting a fourth. Returns the
// fourth's timing and the one it reacted to in `first`. `d` must outlive the
// runner.
runtime::RequestTiming react_slowly(runtime::AsyncRunner& runner, Delivered& d, const Tensor& input,
                                    bool mark_idle, runtime::RequestTiming& first) {
  runner.run_async({input}, d.callback());
  if (mark_idle) runner.mark_idle(0);
  d.wait_beyond(0);
  if (mark_idle) {
    EXPECT_TRUE(runner.mark_idle(1));  // the one result taken: accepted
  }
  runner.run_async({input}, d.callback());
  runner.run_async({input}, d.callback());  // both workers busy: time moves
  size_t seen = d.wait_beyond(1);
  std::this_thread::sleep_for(50ms);  // longer than the runtime's 20 ms grace
  runner.run_async({input}, d.callback());
  while (seen < 4) {
    if (mark_idle) runner.mark_idle(seen);
    seen = d.wait_beyond(seen);
  }
  std::lock_guard lock(d.mutex);
  first = d.timings.at(1);
  for (const auto& t : d.timings)
    if (t.request == 3) return t;
  ADD_FAILURE() << "request 3 did not finish";
  return {};
}

TEST_F(RuntimeTest, WithMarkIdleARequestSubmittedOnAResultStartsAtItsTime) {
  const Tensor input = random_input({1, 8, 16, 16}, 2);
  runtime::RequestTiming first;
  {
    Delivered d;
    runtime::AsyncRunner runner(compiled(), options("npu0pe0", 2));
    const runtime::RequestTiming fourth = react_slowly(runner, d, input, true, first);
    EXPECT_EQ(fourth.start_ps, first.end_ps);
  }
  Delivered d;
  runtime::AsyncRunner runner(compiled(), options("npu0pe0", 2));
  const runtime::RequestTiming fourth = react_slowly(runner, d, input, false, first);
  EXPECT_GT(fourth.start_ps, first.end_ps);  // time moved on while the application worked
}

TEST_F(RuntimeTest, PeCountersAreTheCountersOfStats) {
  runtime::AsyncRunner runner(compiled(), options("npu0pe1", 1));
  runner.run_async({random_input({1, 8, 16, 16}, 3)}).get();
  const std::vector<runtime::PeUtilisation> counters = runner.pe_counters();
  const runtime::SessionStats stats = runner.stats();
  ASSERT_EQ(counters.size(), 1u);
  ASSERT_EQ(stats.pes.size(), 1u);
  EXPECT_EQ(counters[0].pe, "npu0pe1");
  EXPECT_EQ(counters[0].task_cycles, stats.pes[0].task_cycles);
  EXPECT_EQ(counters[0].tensor_cycles, stats.pes[0].tensor_cycles);
  EXPECT_GT(counters[0].task_cycles, 0u);
}

}  // namespace
}  // namespace npusim::testing
