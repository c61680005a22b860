// The cost model of the device's units, in device cycles. Every formula is
// defined in docs/timing.md; tests check hand-computed values against it.
#pragma once

#include <cstdint>

#include "npusim/isa/hw_params.hpp"
#include "npusim/isa/instruction.hpp"

namespace npusim::sim {

// Cycles the matrix unit needs for mat.conv / mat.mm (issue cost included).
uint64_t matrix_cycles(const isa::Instruction& in, const isa::HwParams& hw);

// Cycles the vector unit needs for a vec.* instruction (issue cost included).
uint64_t vector_cycles(const isa::Instruction& in, const isa::HwParams& hw);

// Cycles a compute-engine instruction occupies the engine (matrix or vector).
uint64_t compute_cycles(const isa::Instruction& in, const isa::HwParams& hw);

// Cycles one burst of `bytes` occupies a channel of `bandwidth` bytes/s:
// ceil(bytes * clock / bandwidth).
uint64_t burst_cycles(uint64_t bytes, uint64_t bandwidth, const isa::HwParams& hw);

// Device clock period in picoseconds (the simulation's time unit is 1 ps).
uint64_t cycle_ps(const isa::HwParams& hw);

}  // namespace npusim::sim
