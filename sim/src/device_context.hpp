// Run-time settings every module of the platform reads: the hardware
// parameters (changeable without re-elaboration) and the execution mode.
#pragma once

#include <systemc>

#include "npusim/isa/hw_params.hpp"
#include "npusim/sim/timing_model.hpp"

namespace npusim::sim {

struct DeviceContext {
  isa::HwParams hw;
  bool functional = true;  // false: timing-only mode, the arithmetic is skipped

  // Saturates at the end of simulated time (a watchdog period of 10^15
  // cycles at 1 MHz is past 2^64 ps) instead of wrapping around.
  sc_core::sc_time cycles(uint64_t n) const {
    const uint64_t period = cycle_ps(hw);
    if (n > UINT64_MAX / period) return sc_core::sc_max_time() - sc_core::sc_time_stamp();
    return sc_core::sc_time(static_cast<double>(n * period), sc_core::SC_PS);
  }
  uint64_t to_cycles(const sc_core::sc_time& t) const {
    return static_cast<uint64_t>(t.value()) / cycle_ps(hw);  // time resolution is 1 ps
  }
};

}  // namespace npusim::sim
