// Internal to code generation: the instruction streams being built, one per
// (PE slot, engine), and the semaphores the generated schedule uses.
#pragma once

#include <vector>

#include "npusim/isa/instruction.hpp"
#include "npusim/isa/program.hpp"

namespace npusim::compiler::codegen {

// Semaphores of the layer schedule (per PE).
enum Sem : int {
  kInFull0 = 0,      // input buffer k loaded (load -> compute), k = 0, 1
  kInFree0 = 2,      // input buffer k consumed (compute -> load)
  kOutFull0 = 4,     // output buffer k requantised (compute -> store)
  kOutFree0 = 6,     // output buffer k stored (store -> compute)
  kLayerStored = 8,  // this PE stored a whole layer (store -> load)
  kPeerStored = 9,   // the other PE stored a whole layer (fused mode)
};
// How many semaphores (per PE) the schedule above needs: compile() refuses
// hardware with fewer (num_semaphores). Keep it equal to the largest Sem + 1.
inline constexpr int kSemaphoresUsed = 10;

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
