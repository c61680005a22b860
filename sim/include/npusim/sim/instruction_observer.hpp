// Instruction-level observation of the simulated device, for debugging
// (`npusim exec/run --trace-instructions`, docs/debug.md): every instruction
// a PE executes is reported to an observer with its PE, engine, simulated
// start and end cycle and operands, and optionally a checksum of the bytes
// it wrote. Unlike the device's trace unit (registers.md, "Trace"), this is
// the simulator's own host-side hook: no DRAM ring, no records lost, every
// instruction (synchronisation included). Off, it costs the PE one null
// check per instruction.
#pragma once

#include <cstdint>
#include <memory>
#include <span>

#include "npusim/isa/instruction.hpp"

namespace npusim::sim {

// Where an instruction's results went.
enum class WriteSpace : uint8_t { kNone, kSram, kDram, kHost };

struct InstructionEvent {
  uint64_t task = 0;  // RUN commands started since the device was configured, from 0
  uint32_t tag = 0;   // the RUN command's tag
  int pe = 0;         // the PE that executed it
  int slot = 0;       // the program's slot (1: the second PE of a fused program)
  isa::Engine engine = isa::Engine::kLoad;
  uint32_t index = 0;  // in its (slot, engine) stream
  // Simulated cycles: the instruction began (engine free; a sem.wait begins
  // waiting) and retired.
  uint64_t start_cycle = 0, end_cycle = 0;
  const isa::Instruction* instruction = nullptr;  // as in the program (addresses not relocated)
  // With values observed (DMA and compute instructions only): the written
  // range in the program's view (SRAM: address in the task's view; DRAM and
  // host: offset from base register `write_base`), the bytes written, and
  // the FNV-1a 64-bit hash of those bytes just after the instruction, in the
  // order the instruction writes them.
  WriteSpace space = WriteSpace::kNone;
  int write_base = 0;
  uint64_t write_address = 0, write_bytes = 0;
  uint64_t checksum = 0;
};

// Called on the simulation thread, in the order instructions retire.
class InstructionObserver {
 public:
  virtual ~InstructionObserver() = default;
  virtual void on_instruction(const InstructionEvent& e) = 0;
};

// FNV-1a, 64 bits, continued from `h` (start with kFnvOffset).
inline constexpr uint64_t kFnvOffset = 0xcbf29ce484222325ull;
inline uint64_t fnv1a64(std::span<const uint8_t> bytes, uint64_t h = kFnvOffset) {
  for (uint8_t b : bytes) h = (h ^ b) * 0x100000001b3ull;
  return h;
}

}  // namespace npusim::sim
