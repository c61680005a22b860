// The one OS thread that owns the SystemC kernel. Host threads hand it jobs
// (register accesses, memory copies, "run until interrupt") and wait for
// them; a job posted while the kernel runs pauses it at the next delta cycle.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <thread>

namespace npusim::sim {

class SimulationThread {
 public:
  SimulationThread();
  ~SimulationThread();

  // Runs `job` on the simulation thread while the kernel is paused.
  void post(std::function<void()> job);
  template <typename F>
  auto call(F f) -> decltype(f()) {
    std::packaged_task<decltype(f())()> task(std::move(f));
    auto result = task.get_future();
    post([&task] { task(); });
    return result.get();
  }

  // Set by the platform wrapper: asks a running kernel to pause (thread-safe).
  std::function<void()> wake_kernel;
  // Jobs that run the kernel mark it, so that posting a job pauses it only then.
  std::atomic<bool> kernel_running{false};

 private:
  void loop();

  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace npusim::sim
