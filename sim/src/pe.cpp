// PE structure and the engines' stream loop; instruction semantics are in
// pe_execute.cpp.
#include "pe.hpp"

namespace npusim::sim {

Pe::Pe(sc_core::sc_module_name name, int index, const DeviceContext& ctx)
    : sc_module(name),
      load_dma("load_dma", ctx),
      store_dma("store_dma", ctx),
      index_(index),
      ctx_(ctx) {
  SC_THREAD(load_thread);
  SC_THREAD(compute_thread);
  SC_THREAD(store_thread);
  reset_state();  // SRAM is mapped when the platform is configured
}

void Pe::reset() {
  if (offload_) offload_->reset();  // a kernel of an aborted task may still be writing SRAM
  const uint64_t bytes = index_ < ctx_.hw.num_pes ? ctx_.hw.sram_per_pe : 0;
  if (sram.size() == bytes)
    sram.clear();
  else
    sram.assign(bytes, "PE SRAM");
  reset_state();
}

void Pe::reset_state() {
  semaphores_.assign(ctx_.hw.num_semaphores, 0);
  counters.reset(sc_core::sc_time_stamp());
  busy = false;
  task_ = nullptr;
}

void Pe::start(Task& task, int slot) {
  task_ = &task;
  slot_ = slot;
  std::fill(semaphores_.begin(), semaphores_.end(), 0);
  for (int e = 0; e < isa::kNumEngines; ++e) {
    if (!task.code[slot][e] || task.code[slot][e]->empty()) continue;
    ++task.running;
    start_[e].notify(sc_core::SC_ZERO_TIME);
  }
}

void Pe::engine_loop(isa::Engine e) {
  for (;;) {
    sc_core::wait(start_[static_cast<int>(e)]);
    Task& t = *task_;
    const int slot = slot_;
    t.progress[slot][static_cast<int>(e)].live = true;
    run_stream(t, slot, e);
    t.progress[slot][static_cast<int>(e)].live = false;
    if (--t.running == 0) t.done.notify(sc_core::SC_ZERO_TIME);
  }
}

void Pe::run_stream(Task& t, int slot, isa::Engine e) {
  const auto& code = *t.code[slot][static_cast<int>(e)];
  EngineProgress& progress = t.progress[slot][static_cast<int>(e)];
  for (uint32_t i = 0; i < code.size(); ++i) {
    progress.index = i;
    if (t.abort.raised) return;
    if (!execute(t, slot, e, code[i], i)) return;
    ++t.retired;
  }
  // Running off the end of a stream is an illegal program (no `end`).
  t.fail({isa::reg::ErrorCode::kIllegalInstruction, static_cast<uint32_t>(code.size()), index_,
          static_cast<int>(e), 0});
}

}  // namespace npusim::sim
