// The simulation thread is the only host-side threading in the device
// model: many host threads post jobs, one thread runs them in order. These
// tests run under ThreadSanitizer in CI (no SystemC kernel involved).
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "simulation_thread.hpp"

namespace npusim::sim {
namespace {

TEST(SimulationThread, CallReturnsTheJobsResult) {
  SimulationThread t;
  EXPECT_EQ(t.call([] { return 41 + 1; }), 42);
}

TEST(SimulationThread, JobsFromManyThreadsRunOneAtATimeAndAllRun) {
  SimulationThread t;
  int counter = 0;  // touched only on the simulation thread
  std::atomic<int> inside{0};
  std::vector<std::thread> hosts;
  for (int h = 0; h < 8; ++h)
    hosts.emplace_back([&] {
      for (int i = 0; i < 500; ++i)
        t.call([&] {
          EXPECT_EQ(inside.fetch_add(1), 0);  // never two jobs at once
          ++counter;
          inside.fetch_sub(1);
          return 0;
        });
    });
  for (auto& h : hosts) h.join();
  EXPECT_EQ(t.call([&] { return counter; }), 8 * 500);
}

TEST(SimulationThread, ExceptionsReachTheCaller) {
  SimulationThread t;
  EXPECT_THROW(t.call([]() -> int { throw std::runtime_error("job failed"); }), std::runtime_error);
  EXPECT_EQ(t.call([] { return 7; }), 7);  // the thread survives
}

TEST(SimulationThread, WakeKernelIsCalledOnlyWhileTheKernelRuns) {
  std::atomic<int> wakes{0};  // before t: t's destructor still wakes the kernel
  SimulationThread t;
  t.wake_kernel = [&] { wakes.fetch_add(1); };
  t.call([] { return 0; });
  EXPECT_EQ(wakes.load(), 0);
  t.kernel_running = true;
  t.post([] {});
  t.kernel_running = false;
  EXPECT_EQ(wakes.load(), 1);
  t.call([] { return 0; });
}

}  // namespace
}  // namespace npusim::sim
