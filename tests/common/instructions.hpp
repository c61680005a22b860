// Short constructors for the instructions device tests use most.
#pragma once

#include "npusim/isa/instruction.hpp"
#include "npusim/isa/program.hpp"

namespace npusim::testing {

inline isa::Instruction dma_load(uint64_t dram_base, uint64_t off, uint64_t sram, uint64_t bytes) {
  using F = isa::Field;
  return isa::make(isa::Opcode::kDmaLoad, {{F::kDramBase, int64_t(dram_base)},
                                           {F::kDramOff, int64_t(off)},
                                           {F::kSram, int64_t(sram)},
                                           {F::kLen0, int64_t(bytes)},
                                           {F::kCnt1, 1},
                                           {F::kCnt2, 1}});
}

inline isa::Instruction dma_store(uint64_t dram_base, uint64_t off, uint64_t sram, uint64_t bytes) {
  isa::Instruction in = dma_load(dram_base, off, sram, bytes);
  in.op = isa::Opcode::kDmaStore;
  return in;
}

inline isa::Instruction sem_signal(int sem, int target = 0) {
  return isa::make(isa::Opcode::kSemSignal,
                   {{isa::Field::kSem, sem}, {isa::Field::kTarget, target}});
}

inline isa::Instruction sem_wait(int sem) {
  return isa::make(isa::Opcode::kSemWait, {{isa::Field::kSem, sem}});
}

// int8 x int8 -> int32 matrix multiply without zero points or bias.
inline isa::Instruction matmul(uint64_t src, uint64_t wgt, uint64_t dst, int m, int k, int n) {
  using F = isa::Field;
  return isa::make(isa::Opcode::kMatMul, {{F::kSrc, int64_t(src)},
                                          {F::kWgt, int64_t(wgt)},
                                          {F::kDst, int64_t(dst)},
                                          {F::kM, m},
                                          {F::kK, k},
                                          {F::kN, n},
                                          {F::kSrcSigned, 1},
                                          {F::kWgtSigned, 1}});
}

}  // namespace npusim::testing
