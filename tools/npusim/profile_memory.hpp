// Host memory figures npusim profile reports: the process's resident set
// (/proc/self/status). The SRAM a program touches is runtime::sram_high_water.
#pragma once

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

}  // namespace npusim::cli
