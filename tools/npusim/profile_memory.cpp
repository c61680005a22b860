#include "profile_memory.hpp"

#include <fstream>
#include <string>

namespace npusim::cli {

HostMemory host_memory() {
  std::ifstream status("/proc/self/status");
  HostMemory m;
  for (std::string line; std::getline(status, line);) {
    const auto kib = [&] { return std::stod(line.substr(line.find(':') + 1)) / 1024.0; };
    if (line.rfind("VmRSS:", 0) == 0) m.rss = kib();
    if (line.rfind("VmHWM:", 0) == 0) m.peak = kib();
  }
  return m;
}

bool reset_peak_memory() {
  std::ofstream clear("/proc/self/clear_refs");
  return static_cast<bool>(clear << "5" << std::flush);
}

}  // namespace npusim::cli
