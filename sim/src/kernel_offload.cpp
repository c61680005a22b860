#include "kernel_offload.hpp"

#include <cstdlib>
#include <stdexcept>
#include <utility>

namespace npusim::sim {

KernelOffload::Mode KernelOffload::parse_mode(const std::string& value) {
  if (value == "1") return Mode::kThreads;
  if (value == "0") return Mode::kInline;
  if (value == "all") return Mode::kAllThreads;
  if (value == "check") return Mode::kCheck;
  throw std::invalid_argument(
      "NPUSIM_KERNEL_THREADS: expected 1 (kernels on host threads), 0 (on the simulation "
      "thread), all or check, got \"" +
      value + "\"");
}

KernelOffload::Mode KernelOffload::mode_from_environment() {
  const char* v = std::getenv("NPUSIM_KERNEL_THREADS");
  return v == nullptr ? Mode::kThreads : parse_mode(v);
}

KernelOffload::~KernelOffload() {
  for (auto& w : workers_) {
    if (!w->thread.joinable()) continue;
    {
      std::lock_guard lock(w->mutex);
      w->stop = true;
    }
    w->cv.notify_all();
    w->thread.join();  // a running kernel finishes first: it may be writing SRAM
  }
}

void KernelOffload::set_mode(Mode mode) {
  reset();
  mode_ = mode;
}

KernelOffload::Worker& KernelOffload::worker(int pe) {
  while (static_cast<int>(workers_.size()) <= pe) workers_.push_back(std::make_unique<Worker>());
  Worker& w = *workers_[pe];
  const bool threads = mode_ == Mode::kThreads || mode_ == Mode::kAllThreads;
  if (threads && !w.thread.joinable()) w.thread = std::thread([&w] { run(w); });
  return w;
}

void KernelOffload::run(Worker& w) {
  std::unique_lock lock(w.mutex);
  for (;;) {
    w.cv.wait(lock, [&] { return w.stop || w.job; });
    if (w.stop) return;
    std::function<void()> job = std::exchange(w.job, nullptr);
    lock.unlock();
    std::exception_ptr error;
    try {
      job();
    } catch (...) {
      error = std::current_exception();
    }
    lock.lock();
    w.error = error;
    w.busy = false;  // only now: the kernel's writes happen before any waiter's return
    w.cv.notify_all();
  }
}

bool KernelOffload::worth_a_thread(const isa::Instruction& in) {
  // About 100 us of arithmetic on the host's SIMD kernels.
  constexpr uint64_t kMinMacs = uint64_t{1} << 20, kMinElements = uint64_t{1} << 18;
  return isa::kernels::mac_count(in) >= kMinMacs ||
         isa::kernels::vector_elements(in) >= kMinElements;
}

void KernelOffload::start(int pe, std::function<void()> kernel, const Footprint& footprint,
                          bool on_thread) {
  if (mode_ == Mode::kInline || (mode_ == Mode::kThreads && !on_thread)) return kernel();
  Worker& w = worker(pe);
  wait_idle(w);  // the compute engine's finish() came first: nothing is pending
  w.footprint = footprint;
  w.pending = true;
  ++offloaded_;
  std::lock_guard lock(w.mutex);
  w.job = std::move(kernel);
  w.busy = true;
  w.cv.notify_all();
}

// Runs a kCheck kernel now, on this thread; what it throws waits for finish().
void KernelOffload::run_deferred(Worker& w) {
  std::function<void()> job = std::exchange(w.job, nullptr);
  w.busy = false;
  try {
    job();
  } catch (...) {
    w.error = std::current_exception();
  }
}

void KernelOffload::wait_idle(Worker& w) {
  if (!w.pending) return;
  w.pending = false;
  if (mode_ == Mode::kCheck) return run_deferred(w);
  std::unique_lock lock(w.mutex);
  w.cv.wait(lock, [&] { return !w.busy; });
}

void KernelOffload::finish(int pe) {
  if (pe >= static_cast<int>(workers_.size())) return;
  Worker& w = *workers_[pe];
  wait_idle(w);
  if (std::exception_ptr e = std::exchange(w.error, nullptr)) std::rethrow_exception(e);
}

bool KernelOffload::conflicts(const Footprint& f, const uint8_t* begin, const uint8_t* end,
                              bool write) {
  auto overlaps = [&](const isa::kernels::Range& r) {
    return f.base + r.begin < end && begin < f.base + r.end;
  };
  for (int i = 0; i < f.ranges.num_writes; ++i)
    if (overlaps(f.ranges.writes[i])) return true;
  if (!write) return false;  // reading what the kernel only reads is no conflict
  for (int i = 0; i < f.ranges.num_reads; ++i)
    if (overlaps(f.ranges.reads[i])) return true;
  return false;
}

void KernelOffload::before_access(const uint8_t* begin, const uint8_t* end, bool write) {
  for (auto& w : workers_)
    if (w->pending && conflicts(w->footprint, begin, end, write)) wait_idle(*w);
}

void KernelOffload::reset() {
  for (auto& w : workers_) {
    wait_idle(*w);
    w->error = nullptr;
  }
}

}  // namespace npusim::sim
