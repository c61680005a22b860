// A program running on one PE (single mode) or two PEs (fused mode): its
// decoded streams, base registers, progress and first error.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <systemc>
#include <vector>

#include "abort_signal.hpp"
#include "npusim/isa/instruction.hpp"
#include "npusim/isa/regmap.hpp"

namespace npusim::sim {

// Where one engine was when the watchdog fired (ENGINE_STATE registers).
struct EngineSnapshot {
  uint32_t index = 0;  // instruction index in its stream
  isa::reg::EngineState state = isa::reg::EngineState::kIdle;
  uint8_t semaphore = 0;  // with kSemWait
};

struct TaskError {
  isa::reg::ErrorCode code = isa::reg::ErrorCode::kNone;
  uint32_t info = 0;  // instruction index
  int pe = 0;
  int engine = 0;
  uint64_t address = 0;
  // Watchdog errors: every engine of every PE, at [pe * kNumEngines + engine].
  std::array<EngineSnapshot, isa::reg::kMaxPes * isa::kNumEngines> engines{};
};

// One engine's progress through its stream, for the watchdog's report.
struct EngineProgress {
  bool live = false;   // started and not finished
  uint32_t index = 0;  // the instruction it is at
  int semaphore = -1;  // waiting on this semaphore, or -1
  bool stuck = false;  // an injected stuck engine
};

struct Task {
  int queue = 0;
  uint32_t tag = 0;
  uint64_t seq = 0;      // RUN commands started before this one since the last reset
  uint64_t program = 0;  // DRAM address of the program table (for trace records)
  int num_slots = 1;
  std::array<int, 2> pes{0, 0};    // slot -> PE index
  std::array<uint64_t, 4> base{};  // base registers from the RUN command
  // Decoded streams per (slot, engine); null for an empty stream. Shared with
  // the command processor's StreamCache, never modified.
  std::array<std::array<std::shared_ptr<const std::vector<isa::Instruction>>, isa::kNumEngines>, 2>
      code;

  AbortSignal abort;
  sc_core::sc_event done;  // notified when the last engine finishes
  int running = 0;         // engines still executing
  int blocked = 0;         // engines waiting on a semaphore
  uint64_t retired = 0;    // instructions completed, for the watchdog
  std::array<std::array<EngineProgress, isa::kNumEngines>, 2> progress{};  // [slot][engine]
  // The RUN command's inject word (docs/registers.md): this fault fires at
  // the first eligible instruction once `inject_after` have started.
  isa::reg::FaultKind inject = isa::reg::FaultKind::kNone;
  uint64_t inject_after = 0;
  uint64_t started = 0;  // instructions started (all engines)
  TaskError error;

  bool fused() const { return num_slots > 1; }

  // Records the first error and stops every engine of the task.
  void fail(const TaskError& e) {
    if (error.code == isa::reg::ErrorCode::kNone) error = e;
    abort.raise();
  }
};

}  // namespace npusim::sim
