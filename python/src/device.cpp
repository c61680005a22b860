#include "device.hpp"

#include <mutex>
#include <string>

#include "npusim/runtime/errors.hpp"
#include "npusim/sim/in_process_device.hpp"

namespace npusim::python {

namespace {

struct Shared {
  std::mutex mutex;
  int leases = 0;
  sim::DeviceConfig config;
  std::shared_ptr<isa::Transport> transport;
};

Shared& shared() {
  static Shared s;
  return s;
}

// "" when equal, else the first difference, e.g. "sram_per_pe 8MiB (open) vs 16MiB".
std::string difference(const sim::DeviceConfig& open, const isa::HwParams& hw, bool timing_only) {
  if (open.timing_only != timing_only)
    return std::string("timing_only ") + (open.timing_only ? "True" : "False") + " (open) vs " +
           (timing_only ? "True" : "False");
  const auto a = isa::describe(open.hw), b = isa::describe(hw);
  for (size_t i = 0; i < a.size() && i < b.size(); ++i)
    if (a[i].second != b[i].second)
      return a[i].first + " " + a[i].second + " (open) vs " + b[i].second;
  if (!(open.hw == hw)) return "preset " + open.hw.name + " (open) vs " + hw.name;
  return "";
}

}  // namespace

std::shared_ptr<DeviceLease> DeviceLease::acquire(const isa::HwParams& hw, bool timing_only) {
  Shared& s = shared();
  std::lock_guard lock(s.mutex);
  if (s.leases > 0) {
    const std::string diff = difference(s.config, hw, timing_only);
    if (!diff.empty())
      throw runtime::RuntimeError(runtime::RuntimeErrorKind::kBusy,
                                  "the simulated device is open in " + std::to_string(s.leases) +
                                      " runner(s) with other settings (" + diff +
                                      "); close them first: one process simulates one device");
  } else {
    s.config = {hw, timing_only};
    s.transport = sim::in_process_device(s.config);  // reconfigures and resets
  }
  ++s.leases;
  return std::shared_ptr<DeviceLease>(new DeviceLease(s.transport));
}

DeviceLease::~DeviceLease() {
  Shared& s = shared();
  std::lock_guard lock(s.mutex);
  --s.leases;
}

}  // namespace npusim::python
