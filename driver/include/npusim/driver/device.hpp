// User-space driver of one NPU: discovery and info, registers, device memory,
// host buffers for DMA, PE contexts with command queues, completion waits
// with wall-clock timeouts, error read-out and reset. It knows registers,
// memory and interrupts only (isa::Transport), never simulator internals.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "npusim/driver/errors.hpp"
#include "npusim/isa/instruction.hpp"
#include "npusim/isa/regmap.hpp"
#include "npusim/isa/transport.hpp"

namespace npusim::driver {

struct DeviceInfo {
  std::string name;  // npu0
  uint32_t isa_version = 0;
  int num_pes = 0;
  uint32_t clock_mhz = 0, sram_kib = 0, array_rows = 0, array_cols = 0, dram_mib = 0;
  std::vector<std::string> pe_names;   // npu0pe0, npu0pe1, ... and the fused npu0pe0-1
  std::vector<std::string> pe_states;  // "idle", "running", "open" per physical PE
};

struct Counters {
  uint64_t cycles = 0, task_cycles = 0, tensor_cycles = 0, dma_bytes = 0, dma_busy_cycles = 0,
           sram_bytes = 0;
  // Utilisation as real devices report it (0 when the denominator is 0):
  // NPU% the PE ran a program; Comp% of that, its matrix/vector unit was busy;
  // I/O% the rest of the running time (waiting on DMA).
  double npu_percent() const { return percent(task_cycles, cycles); }
  double comp_percent() const { return percent(tensor_cycles, task_cycles); }
  double io_percent() const { return task_cycles ? 100.0 - comp_percent() : 0.0; }
  Counters operator-(const Counters& earlier) const;

 private:
  static double percent(uint64_t part, uint64_t whole) {
    return whole ? 100.0 * double(part) / double(whole) : 0.0;
  }
};

// One engine as the watchdog found it (ENGINE_STATE registers).
struct EngineWait {
  int pe = 0, engine = 0;  // engine: 0 load, 1 compute, 2 store
  uint32_t index = 0;      // instruction index in its stream
  isa::reg::EngineState state = isa::reg::EngineState::kIdle;
  int semaphore = 0;  // with kSemWait
};

// The device's latched error, decoded.
struct DeviceFault {
  isa::reg::ErrorCode code = isa::reg::ErrorCode::kNone;
  uint32_t info = 0;  // instruction index or register offset
  int pe = 0, engine = 0, queue = 0;
  uint64_t address = 0;
  // Watchdog errors (deadlock, timeout): the engines that were running.
  std::vector<EngineWait> engines;
  std::string message() const;
};

class Context;

class Device {
 public:
  Device(std::shared_ptr<isa::Transport> transport, std::string name = "npu0");
  ~Device();

  DeviceInfo info();
  uint32_t read_register(uint32_t offset);
  void write_register(uint32_t offset, uint32_t value);
  Counters counters(int pe);

  // Device DRAM (first fit, 4 KiB aligned). Throws kOutOfMemory naming the request.
  uint64_t allocate(uint64_t bytes);
  void release(uint64_t addr);
  uint64_t dram_in_use() const;
  void write_memory(uint64_t addr, const void* data, size_t bytes);
  void read_memory(uint64_t addr, void* data, size_t bytes);

  // Host memory the device may DMA to/from; returns the IOVA.
  uint64_t register_host_buffer(void* data, size_t bytes);
  void unregister_host_buffer(uint64_t iova);

  // Opens a PE exclusively: "npu0pe0", "npu0pe1" or the fused "npu0pe0-1",
  // with `queues` command queues (1..8; the runtime uses one each for
  // host-to-device copies, runs and device-to-host copies so they overlap).
  // A PE already open gets kBusy, as does a request for more free queues
  // than the device has.
  std::unique_ptr<Context> open(const std::string& pe_name, int queues = 1);

  // Arms a device-wide fault: it fires at the first eligible instruction (or
  // host-link copy) once `after` more instructions have executed
  // (INJECT_KIND, INJECT_AFTER; docs/registers.md). A reset disarms it.
  void arm_fault(isa::reg::FaultKind kind, uint64_t after);
  // The armed device-wide fault, kNone once it fired.
  isa::reg::FaultKind armed_fault();

  // The latched device error (kNone if none) and whether it was cleared.
  DeviceFault last_fault();
  // Resets the device: running work is dropped; open contexts re-arm their
  // queues on their next submit.
  void reset();
  // How many resets so far (work submitted before the last one was dropped).
  uint64_t reset_count() const { return reset_epoch_; }

  // Waits (wall-clock timeout) until `done` holds, dispatching interrupts.
  // Throws kTimeout, or kDevice when the device went idle without it.
  void wait_until(const std::function<bool()>& done, std::chrono::milliseconds timeout,
                  const std::string& what);

  // Simulated time in picoseconds.
  uint64_t now_ps() { return transport_->now_ps(); }
  // Runs the device until an interrupt arrives (dispatched; returns true) or
  // simulated time reaches `deadline_ps` (returns false). Throws kTimeout
  // when `timeout` of wall time passes first.
  bool run_until(uint64_t deadline_ps, std::chrono::milliseconds timeout);

  isa::Transport& transport() { return *transport_; }
  const std::string& name() const { return name_; }

 private:
  friend class Context;
  uint32_t claim(const std::string& pe_name, int queues, std::vector<int>& hw_queues);
  void unclaim(uint32_t mask, const std::vector<int>& hw_queues);
  void dispatch_interrupts();
  std::vector<EngineWait> read_engine_states();

  std::shared_ptr<isa::Transport> transport_;
  std::string name_;
  int num_pes_ = 0;
  uint64_t dram_size_ = 0;
  std::map<uint64_t, uint64_t> allocations_;  // addr -> bytes
  uint32_t claimed_pes_ = 0;
  uint32_t claimed_queues_ = 0;
  DeviceFault fault_;
  uint64_t reset_epoch_ = 0;
  std::recursive_mutex mutex_;
};

// An open PE (or fused pair) with its command queues, each with its own
// command ring and completion ring. Sequence numbers count per queue.
class Context {
 public:
  ~Context();
  const std::string& pe_name() const { return pe_name_; }
  uint32_t pe_mask() const { return pe_mask_; }
  int queue_count() const { return static_cast<int>(queues_.size()); }
  int queue(int q = 0) const { return queues_.at(q).hw; }  // the device's queue number

  // Queues a command on queue `q`; returns its sequence number (the tag).
  uint32_t submit(isa::reg::Command cmd, int q = 0);
  // A WAIT_QUEUE command: the queue it is submitted on waits until command
  // `seq` of this context's queue `q` has completed.
  isa::reg::Command wait_for(int q, uint32_t seq) const;
  // Waits for command `seq` of queue `q`; throws kDevice with the fault
  // message if it failed, kTimeout if it did not complete in time.
  isa::reg::Completion wait(uint32_t seq, std::chrono::milliseconds timeout, int q = 0);
  bool completed(uint32_t seq, int q = 0);

 private:
  friend class Device;
  struct Queue {
    int hw = 0;
    uint64_t ring = 0;
    std::vector<isa::reg::Completion> completions;
    uint64_t completions_iova = 0;
    uint32_t submitted = 0, consumed = 0, seq_base = 0;  // base: first seq since last reset
    std::map<uint32_t, isa::reg::Completion> finished;
  };
  Context(Device& device, std::string pe_name, uint32_t pe_mask, const std::vector<int>& hw_queues);
  void setup_queues();
  void poll(Queue& queue);
  Queue& queue_at(int q);

  Device& device_;
  std::string pe_name_;
  uint32_t pe_mask_;
  uint64_t epoch_;
  static constexpr uint32_t kRingEntries = 256;
  std::vector<Queue> queues_;
};

}  // namespace npusim::driver
