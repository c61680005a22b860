// The cost model of the device's units, in device cycles: part of the
// hardware contract, so the simulator charges it (sim/) and the compiler
// plans with it (compiler-backend/codegen). Every formula is defined in
// docs/timing.md; tests check hand-computed values against it, and the
// Verilator RTL (sim/rtl) against the matrix unit's.
#pragma once

#include <cstdint>

#include "npusim/isa/hw_params.hpp"
#include "npusim/isa/instruction.hpp"

namespace npusim::isa {

// Cycles the matrix unit needs for mat.conv / mat.mm (issue cost included).
uint64_t matrix_cycles(const Instruction& in, const HwParams& hw);

// Cycles the vector unit needs for a vec.* instruction (issue cost included).
uint64_t vector_cycles(const Instruction& in, const HwParams& hw);

// Cycles a compute-engine instruction occupies the engine (matrix or vector).
uint64_t compute_cycles(const Instruction& in, const HwParams& hw);

// Cycles one burst of `bytes` occupies a channel of `bandwidth` bytes/s:
// ceil(bytes * clock / bandwidth).
uint64_t burst_cycles(uint64_t bytes, uint64_t bandwidth, const HwParams& hw);

// Bytes a dma.load / dma.store moves (len0 x cnt1 x cnt2); 0 for other opcodes.
uint64_t dma_bytes(const Instruction& in);

// The weight-stationary matrix unit's passes for a GEMM-shaped job of
// `groups` products reducing over `reduction` into `outputs` channels
// (docs/timing.md): how many times a block of weights is loaded.
uint64_t weight_stationary_passes(uint64_t groups, uint64_t reduction, uint64_t outputs,
                                  const HwParams& hw);

}  // namespace npusim::isa
