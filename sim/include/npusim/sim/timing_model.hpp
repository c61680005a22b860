// The cost model the device charges: isa/cost_model.hpp (shared with the
// compiler, which plans with it), plus the simulation's time base.
#pragma once

#include <cstdint>

#include "npusim/isa/cost_model.hpp"

namespace npusim::sim {

using isa::burst_cycles;
using isa::compute_cycles;
using isa::matrix_cycles;
using isa::vector_cycles;

// Device clock period in picoseconds (the simulation's time unit is 1 ps).
inline uint64_t cycle_ps(const isa::HwParams& hw) {
  return isa::clock_period_ps(hw.clock_hz);
}

}  // namespace npusim::sim
