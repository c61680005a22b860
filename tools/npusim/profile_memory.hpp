// Memory figures npusim profile reports: the host process's resident set
// (/proc/self/status) and the SRAM a program's code touches on each PE.
#pragma once

#include <cstdint>

#include "npusim/isa/program.hpp"

namespace npusim::cli {

// The host process's resident memory now and at its peak, in MiB.
struct HostMemory {
  double rss = 0, peak = 0;
};
HostMemory host_memory();
// Resets the peak to the present resident set (/proc/self/clear_refs), so
// host_memory().peak afterwards is the peak of what ran since. Returns false
// where the kernel does not allow it (the peak is then the process's).
bool reset_peak_memory();

// The highest SRAM byte (exclusive) any instruction of the program reads or
// writes, per PE: the program's SRAM high-water mark.
uint64_t sram_high_water(const isa::Program& p);

}  // namespace npusim::cli
