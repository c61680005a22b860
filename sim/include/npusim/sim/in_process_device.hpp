// The simulated device in this process: implements isa::Transport on a
// SystemC platform driven by its own simulation thread.
#pragma once

#include <memory>

#include "npusim/isa/hw_params.hpp"
#include "npusim/isa/transport.hpp"
#include "npusim/sim/instruction_observer.hpp"

namespace npusim::sim {

struct DeviceConfig {
  isa::HwParams hw = isa::HwParams{};
  bool timing_only = false;  // skip the arithmetic; cycles are unchanged
};

// Returns the process's device, configured (and reset) with `config`.
// SystemC elaborates one platform per process, so every call returns the
// same device; reconfiguring resets it.
std::shared_ptr<isa::Transport> in_process_device(const DeviceConfig& config);

// Reports every instruction the process's device executes to `observer`
// (null: stop), with a checksum of what each wrote if `values` (functional
// mode only). It stays attached across reconfiguration. Creates the device
// (default configuration) if there is none yet. Call it while no command
// runs; after stopping, the observer is no longer called.
void observe_instructions(std::shared_ptr<InstructionObserver> observer, bool values = false);

}  // namespace npusim::sim
