// Runs the arithmetic of compute instructions (functional mode) on one host
// thread per PE while the simulation goes on, so the PEs' kernels run at
// once with each other and with the simulator's own work (DMA copies, the
// other engines, the runtime).
//
// Simulated results are those of running each kernel at its instruction's
// start (docs/architecture.md, "Kernels on host threads"):
// - a kernel touches only its footprint, the SRAM ranges that
//   kernels::accesses() declares (Mode::kCheck verifies this);
// - every other access to SRAM first waits for the pending kernels it
//   conflicts with (before_access: a read waits for kernels writing the
//   bytes, a write for kernels reading or writing them);
// - each compute instruction waits for its own kernel before it ends in
//   simulated time (finish), and a reset waits for all of them.
// Waiting costs host time only, never simulated time. Only the simulation
// thread calls this class.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "npusim/isa/kernels.hpp"

namespace npusim::sim {

class KernelOffload {
 public:
  enum class Mode {
    kInline,      // start() runs each kernel at once on the calling thread
    kThreads,     // each PE's kernels with work enough run on that PE's host thread
    kAllThreads,  // for tests: every kernel does
    // For tests: each kernel runs on the calling thread as late as allowed
    // (at the first conflicting access, or its finish) and is checked against
    // its footprint; an access that bypasses before_access then sees stale
    // bytes every time instead of once in a while.
    kCheck,
  };

  // Host bytes a kernel reads and writes: `base` plus the instruction's ranges.
  struct Footprint {
    const uint8_t* base = nullptr;
    isa::kernels::Accesses ranges;
  };

  explicit KernelOffload(Mode mode) : mode_(mode) {}
  ~KernelOffload();
  KernelOffload(const KernelOffload&) = delete;
  KernelOffload& operator=(const KernelOffload&) = delete;

  Mode mode() const { return mode_; }
  // Waits for every pending kernel (as reset()), then uses `mode`.
  void set_mode(Mode mode);

  // Starts `kernel` for PE `pe`, after that PE's previous one; it touches
  // only `footprint`. kInline, or kThreads with `on_thread` false: runs it
  // here and lets what it throws through.
  void start(int pe, std::function<void()> kernel, const Footprint& footprint,
             bool on_thread = true);
  // Whether `in` has work enough to pay for handing it to a thread and back
  // (two context switches, tens of microseconds on a loaded paravirtualised
  // host): most vector instructions do not.
  static bool worth_a_thread(const isa::Instruction& in);
  // Waits for PE `pe`'s kernel, if any; rethrows what it threw.
  void finish(int pe);
  // Waits for every pending kernel that conflicts with an access to
  // [begin, end): one that writes those bytes, or with `write`, one that
  // reads or writes them. Their errors stay for their finish().
  void before_access(const uint8_t* begin, const uint8_t* end, bool write);
  // Waits for every pending kernel and drops their errors (a device reset:
  // the instructions that started them were abandoned).
  void reset();

  // Kernels started on a host thread (or deferred) so far.
  uint64_t offloaded() const { return offloaded_; }

  // NPUSIM_KERNEL_THREADS: unset or "1" kThreads, "0" kInline, "all"
  // kAllThreads, "check" kCheck.
  // Throws std::invalid_argument naming the variable for anything else.
  static Mode mode_from_environment();
  static Mode parse_mode(const std::string& value);

 private:
  // One PE's host thread and the kernel it runs.
  struct Worker {
    std::thread thread;
    std::mutex mutex;
    std::condition_variable cv;
    // Guarded by `mutex`.
    std::function<void()> job;  // handed to the thread
    bool busy = false;          // a job is handed over or running
    bool stop = false;
    std::exception_ptr error;
    // Simulation-thread side: started and not yet waited for.
    bool pending = false;
    Footprint footprint;
  };
  Worker& worker(int pe);
  void wait_idle(Worker& w);
  void run_deferred(Worker& w);
  static bool conflicts(const Footprint& f, const uint8_t* begin, const uint8_t* end, bool write);
  static void run(Worker& w);

  Mode mode_;
  std::vector<std::unique_ptr<Worker>> workers_;
  uint64_t offloaded_ = 0;
};

}  // namespace npusim::sim
