#include "simulation_thread.hpp"

namespace npusim::sim {

SimulationThread::SimulationThread() : thread_([this] { loop(); }) {}

SimulationThread::~SimulationThread() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (wake_kernel) wake_kernel();
  thread_.join();
}

void SimulationThread::post(std::function<void()> job) {
  {
    std::lock_guard lock(mutex_);
    jobs_.push_back(std::move(job));
  }
  cv_.notify_all();
  if (wake_kernel && kernel_running) wake_kernel();
}

void SimulationThread::loop() {
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock lock(mutex_);
      cv_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
      if (jobs_.empty()) return;  // stopping with nothing left to do
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    job();
  }
}

}  // namespace npusim::sim
