// The simulated device in this process: implements isa::Transport on a
// SystemC platform driven by its own simulation thread.
#pragma once

#include <memory>

#include "npusim/isa/hw_params.hpp"
#include "npusim/isa/transport.hpp"

namespace npusim::sim {

struct DeviceConfig {
  isa::HwParams hw = isa::HwParams{};
  bool timing_only = false;  // skip the arithmetic; cycles are unchanged
};

// Returns the process's device, configured (and reset) with `config`.
// SystemC elaborates one platform per process, so every call returns the
// same device; reconfiguring resets it.
std::shared_ptr<isa::Transport> in_process_device(const DeviceConfig& config);

}  // namespace npusim::sim
