// Internal: the compiler's estimate of how long generated streams take, to
// choose between its own candidate schedules. It replays the streams the
// way the device runs them: each engine in order, semaphores as counters
// (the k-th wait on a semaphore takes its k-th signal; every semaphore of a
// schedule has one waiting engine), compute instructions for their exact
// cost (isa/cost_model.hpp), and DMA instructions one after another on one
// DRAM channel at a nominal bandwidth. The compiler does not read
// dram_bandwidth (one program serves every bandwidth of a sweep), so the
// figure ranks candidates; the simulator gives the real time.
#pragma once

#include <cstdint>

#include "npusim/isa/hw_params.hpp"
#include "streams.hpp"

namespace npusim::compiler::codegen {

// DRAM bytes per cycle the compiler assumes when it prices a DMA.
inline constexpr uint64_t kNominalBytesPerCycle = 32;

struct Estimate {
  uint64_t cycles = 0;      // when the last engine ends
  uint64_t dram_bytes = 0;  // bytes the DMA instructions move
};

// Replays slots [0, slots) of `s`.
Estimate estimate(const Streams& s, int slots, const isa::HwParams& hw);

}  // namespace npusim::compiler::codegen
