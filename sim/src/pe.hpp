// A processing element: SRAM, semaphores, counters and three engines (load
// DMA, compute, store DMA) that run their instruction streams concurrently.
#pragma once

#include <array>
#include <functional>
#include <systemc>
#include <vector>

#include "device_context.hpp"
#include "dma_port.hpp"
#include "fault_injector.hpp"
#include "lazy_memory.hpp"
#include "npusim/isa/kernels.hpp"
#include "npusim/sim/instruction_observer.hpp"
#include "pe_counters.hpp"
#include "task.hpp"
#include "trace_unit.hpp"

namespace npusim::sim {

class Dram;

class Pe : public sc_core::sc_module {
 public:
  SC_HAS_PROCESS(Pe);
  Pe(sc_core::sc_module_name name, int index, const DeviceContext& ctx);

  DmaPort load_dma;
  DmaPort store_dma;

  // Other PEs of the chip (fused mode: SRAM and semaphores of the partner).
  void set_peers(std::vector<Pe*> peers) { peers_ = std::move(peers); }
  void set_trace(TraceUnit* trace) { trace_ = trace; }
  void set_injector(FaultInjector* injector) { injector_ = injector; }
  // The chip's host threads for kernels (functional mode), shared with the DMA ports.
  void set_offload(KernelOffload* offload) {
    offload_ = offload;
    load_dma.set_offload(offload);
    store_dma.set_offload(offload);
  }
  // Instruction observation (instruction_observer.hpp); `dram` for the
  // checksums of stores and host transfers.
  void set_observer(InstructionObserver* observer, bool values, Dram* dram) {
    observer_ = observer;
    observe_values_ = values;
    dram_ = dram;
  }
  // Called by an `irq` instruction with its code.
  void set_user_irq(std::function<void(uint32_t)> f) { user_irq_ = std::move(f); }

  // Starts the engines on `task` as slot `slot`; they finish asynchronously
  // (task.running drops to 0 and task.done fires).
  void start(Task& task, int slot);
  // Clears SRAM, semaphores and counters (after any task was aborted); SRAM
  // is sized to ctx.hw.sram_per_pe, or none for a PE beyond num_pes.
  void reset();

  bool busy = false;
  sc_core::sc_event freed;
  PeCounters counters;
  LazyMemory sram;

 private:
  void load_thread() { engine_loop(isa::Engine::kLoad); }
  void compute_thread() { engine_loop(isa::Engine::kCompute); }
  void store_thread() { engine_loop(isa::Engine::kStore); }
  void engine_loop(isa::Engine e);
  void reset_state();
  void run_stream(Task& t, int slot, isa::Engine e);
  // Executes one instruction; false stops the stream (end, or an error recorded in t).
  bool execute(Task& t, int slot, isa::Engine e, const isa::Instruction& in, uint32_t index) {
    if (!observer_) return execute_one(t, slot, e, in, index);
    return execute_observed(t, slot, e, in, index);
  }
  bool execute_one(Task& t, int slot, isa::Engine e, const isa::Instruction& in, uint32_t index);
  // pe_observe.cpp: execute_one, then the event for the observer.
  bool execute_observed(Task& t, int slot, isa::Engine e, const isa::Instruction& in,
                        uint32_t index);
  void written(const Task& t, int slot, const isa::Instruction& in, InstructionEvent& ev);
  const uint8_t* settled(const uint8_t* p, uint64_t len);
  bool semaphore_wait(Task& t, EngineProgress& progress, int sem);
  bool inject(Task& t, int slot, isa::Engine e, isa::reg::FaultKind fault, TaskError& err);
  bool semaphore_signal(Task& t, int slot, int sem, int target, TaskError& err);
  bool dma(Task& t, isa::Engine e, const isa::Instruction& in, TaskError& err);
  bool compute(Task& t, int slot, const isa::Instruction& in, TaskError& err);
  bool start_kernel(const isa::Instruction& local, const isa::kernels::Accesses& acc);
  bool finish_kernel();
  void trace(const Task& t, int slot, isa::Engine e, const isa::Instruction& in, uint32_t index,
             const sc_core::sc_time& start);
  uint8_t* sram_at(const Task& t, uint64_t addr, uint64_t len);

  int index_;
  const DeviceContext& ctx_;
  std::vector<Pe*> peers_;
  std::function<void(uint32_t)> user_irq_;
  TraceUnit* trace_ = nullptr;
  FaultInjector* injector_ = nullptr;
  KernelOffload* offload_ = nullptr;
  InstructionObserver* observer_ = nullptr;
  bool observe_values_ = false;
  Dram* dram_ = nullptr;
  std::array<sc_core::sc_event, isa::kNumEngines> start_;
  Task* task_ = nullptr;
  int slot_ = 0;
  std::vector<uint32_t> semaphores_;
  sc_core::sc_event semaphore_changed_;
};

}  // namespace npusim::sim
