// The command processor: one thread per queue fetches commands from the
// queue's ring in DRAM, runs programs on PEs, moves data between host and
// DRAM, and writes completion records into host memory.
#pragma once

#include <array>
#include <functional>
#include <memory>
#include <systemc>
#include <vector>

#include "device_context.hpp"
#include "dma_port.hpp"
#include "fault_injector.hpp"
#include "npusim/isa/regmap.hpp"
#include "pe.hpp"
#include "stream_cache.hpp"

namespace npusim::sim {

struct QueueState {
  uint64_t ring = 0, completions = 0;
  uint32_t ring_size = 0, head = 0, tail = 0;
  uint32_t cpl_size = 0, cpl_tail = 0, cpl_head = 0;
  uint32_t pe_mask = 0, enabled = 0, done = 0;
};

// What the command processor needs from the rest of the platform.
struct CommandProcessorHooks {
  std::function<void(const TaskError&, int queue)> error;  // latch + error interrupt
  std::function<void(int queue)> completed;                // completion interrupt
};

class CommandProcessor : public sc_core::sc_module {
 public:
  SC_HAS_PROCESS(CommandProcessor);
  CommandProcessor(sc_core::sc_module_name name, const DeviceContext& ctx, std::vector<Pe*> pes,
                   CommandProcessorHooks hooks);

  std::array<QueueState, isa::reg::kMaxQueues> queues;
  std::vector<std::unique_ptr<DmaPort>> ports;  // one per queue, bound by the platform

  void doorbell(int q) { doorbell_[q].notify(sc_core::SC_ZERO_TIME); }
  void reset();  // aborts running tasks and forgets all queue state
  // Fault injection (ERROR_INJECT): the next RUN command fails with `code`.
  void inject_fault(isa::reg::ErrorCode code) { injected_ = code; }
  // Faults armed by INJECT_KIND or a command's inject word (fault_injector.hpp).
  void set_injector(FaultInjector* injector) { injector_ = injector; }

 private:
  void queue_thread(int q);
  isa::reg::ErrorCode execute(int q, const isa::reg::Command& cmd, uint32_t& info);
  isa::reg::ErrorCode run_program(int q, const isa::reg::Command& cmd, uint32_t& info);
  isa::reg::ErrorCode load_streams(Task& task, const isa::reg::ProgramTable& table, uint32_t& info);
  void supervise(Task& task);
  bool write_completion(int q, const isa::reg::Completion& c);
  bool read_dram(uint64_t addr, void* data, size_t len);
  bool stale(uint64_t generation) const { return generation != generation_; }

  const DeviceContext& ctx_;
  std::vector<Pe*> pes_;
  CommandProcessorHooks hooks_;
  std::array<sc_core::sc_event, isa::reg::kMaxQueues> doorbell_;
  sc_core::sc_event queue_progress_, reset_event_;
  std::array<Task*, isa::reg::kMaxQueues> running_{};
  isa::reg::ErrorCode injected_ = isa::reg::ErrorCode::kNone;
  FaultInjector* injector_ = nullptr;
  std::array<AbortSignal, isa::reg::kMaxQueues> queue_abort_;
  uint64_t generation_ = 0;
  uint64_t tasks_started_ = 0;  // Task::seq of the next RUN
  StreamCache streams_;
  std::vector<uint32_t> words_;  // a stream's words as read from DRAM, reused
};

}  // namespace npusim::sim
