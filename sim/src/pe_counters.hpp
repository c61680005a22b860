// Per-PE hardware counters (docs/timing.md, "Counters"): totals of cycles,
// task-execution cycles, tensor-unit cycles, DMA bytes and DMA-busy cycles.
#pragma once

#include <cstdint>
#include <systemc>

namespace npusim::sim {

struct CounterValues {
  uint64_t cycles = 0, task_cycles = 0, tensor_cycles = 0, dma_bytes = 0, dma_busy_cycles = 0,
           sram_bytes = 0;
};

class PeCounters {
 public:
  void reset(const sc_core::sc_time& now) {
    *this = PeCounters();
    since_reset_ = now;
  }

  void task_begin(const sc_core::sc_time& now) {
    task_since_ = now;
    task_open_ = true;
  }
  void task_end(const sc_core::sc_time& now) {
    task_ += now - task_since_;
    task_open_ = false;
  }
  void tensor(const sc_core::sc_time& duration) { tensor_ += duration; }
  void sram(uint64_t bytes) { sram_bytes_ += bytes; }
  void dma_bytes(uint64_t bytes) { dma_bytes_ += bytes; }
  // DMA busy time is the union over the PE's DMA engines.
  void dma_begin(const sc_core::sc_time& now) {
    if (dma_active_++ == 0) dma_since_ = now;
  }
  void dma_end(const sc_core::sc_time& now) {
    if (--dma_active_ == 0) dma_busy_ += now - dma_since_;
  }

  // Values at `now`, counting intervals still open.
  CounterValues read(const sc_core::sc_time& now, uint64_t cycle_ps) const {
    auto cyc = [&](const sc_core::sc_time& t) {
      return static_cast<uint64_t>(t.value()) / cycle_ps;
    };
    sc_core::sc_time task = task_, dma = dma_busy_;
    if (task_open_) task += now - task_since_;
    if (dma_active_ > 0) dma += now - dma_since_;
    return {cyc(now - since_reset_), cyc(task), cyc(tensor_), dma_bytes_, cyc(dma), sram_bytes_};
  }

 private:
  sc_core::sc_time since_reset_ = sc_core::SC_ZERO_TIME;
  sc_core::sc_time task_ = sc_core::SC_ZERO_TIME, task_since_ = sc_core::SC_ZERO_TIME;
  bool task_open_ = false;
  sc_core::sc_time tensor_ = sc_core::SC_ZERO_TIME;
  sc_core::sc_time dma_busy_ = sc_core::SC_ZERO_TIME, dma_since_ = sc_core::SC_ZERO_TIME;
  int dma_active_ = 0;
  uint64_t dma_bytes_ = 0, sram_bytes_ = 0;
};

}  // namespace npusim::sim
