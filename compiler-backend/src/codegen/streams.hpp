// Internal to code generation: the instruction streams being built, one per
// (PE slot, engine), and the semaphores the generated schedule uses.
#pragma once

#include <vector>

#include "npusim/isa/instruction.hpp"
#include "npusim/isa/program.hpp"

namespace npusim::compiler::codegen {

// Semaphores of the schedule (per PE). The first twelve pair buffers between two
// engines inside a layer (double buffering); the rest are progress counters:
// the sender signals once per layer, and a receiver that needs "the sender
// has finished layer k" waits until it has consumed k + 1 signals
// (codegen/progress.hpp).
enum Sem : int {
  kInFull0 = 0,          // input buffer k loaded (load -> compute), k = 0, 1
  kInFree0 = 2,          // input buffer k consumed (compute -> load)
  kOutFull0 = 4,         // output buffer k requantised (compute -> store)
  kOutFree0 = 6,         // output buffer k stored (store -> compute)
  kWgtFull0 = 8,         // weight buffer k loaded (load -> compute)
  kWgtFree0 = 10,        // weight buffer k consumed (compute -> load)
  kLoadDone = 12,        // load engine finished a layer's fills and parameters (-> compute)
  kComputeDone = 13,     // compute engine finished a layer (-> load)
  kComputeToStore = 14,  // compute engine finished a layer (-> store)
  kStoreDone = 15,       // store engine finished a layer (-> load)
  kStoreToCompute = 16,  // store engine finished a layer (-> compute)
  kPeerData = 17,        // fused: the other PE's data this PE reads is in DRAM (-> load)
};
// How many semaphores (per PE) the schedule above needs: compile() refuses
// hardware with fewer (num_semaphores). Keep it equal to the largest Sem + 1.
inline constexpr int kSemaphoresUsed = 18;

struct Streams {
  std::vector<isa::Instruction> code[2][isa::kNumEngines];

  void emit(int slot, isa::Engine e, const isa::Instruction& in) {
    code[slot][static_cast<int>(e)].push_back(in);
  }
  void signal(int slot, isa::Engine e, int sem, int target = 0) {
    emit(slot, e,
         isa::make(isa::Opcode::kSemSignal,
                   {{isa::Field::kSem, sem}, {isa::Field::kTarget, target}}));
  }
  void wait(int slot, isa::Engine e, int sem) {
    emit(slot, e, isa::make(isa::Opcode::kSemWait, {{isa::Field::kSem, sem}}));
  }
};

// A tensor's place in device DRAM: base register (isa::DramBase) and offset.
struct DramPlace {
  int base = 0;
  uint64_t offset = 0;
};

inline uint64_t align64(uint64_t v) {
  return (v + 63) & ~uint64_t{63};
}

}  // namespace npusim::compiler::codegen
