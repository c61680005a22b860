// The instruction-level trace (`npusim exec/run --trace-instructions FILE`,
// docs/debug.md): every instruction the simulated device executes, one JSON
// line each, in a stable order, for diffing two runs (trace_diff.hpp).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "npusim/sim/instruction_observer.hpp"

namespace npusim::debug {

// Collects the device's instructions as JSON lines (on the simulation
// thread) and writes them sorted by (task, slot, engine, index): the order
// of the program's streams, the same whatever the timing. One line:
//   {"task":0,"slot":0,"engine":"load","index":3,"pe":0,"start":120,"end":377,
//    "asm":"dma.load dram_base=1 ...","write":"sram:0x400+2048","checksum":"9ae16a3b2f90404f"}
// "write" and "checksum" only with values (DMA and compute instructions).
class InstructionTrace : public sim::InstructionObserver {
 public:
  void on_instruction(const sim::InstructionEvent& e) override;
  size_t size() const { return lines_.size(); }
  // The lines in order, each ending in '\n'.
  std::string text() const;
  // Writes text() atomically (files::write_file).
  void write(const std::string& path) const;

 private:
  struct Line {
    uint64_t task;
    int slot, engine;
    uint32_t index;
    std::string text;
  };
  std::vector<Line> lines_;
};

// Attaches an InstructionTrace to the process's simulated device for its
// lifetime; finish() detaches it and writes `path`. Destroyed without
// finish() (the run failed), it still writes what was traced: the
// instructions up to a device error are what one wants to see.
class TraceRecording {
 public:
  TraceRecording(std::string path, bool values);
  ~TraceRecording();
  TraceRecording(const TraceRecording&) = delete;
  TraceRecording& operator=(const TraceRecording&) = delete;
  // Returns the number of instructions written.
  size_t finish();

 private:
  std::string path_;
  std::shared_ptr<InstructionTrace> trace_;
  bool finished_ = false;
};

}  // namespace npusim::debug
