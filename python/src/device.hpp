// The process's one simulated device. SystemC elaborates one platform per
// process (sim::in_process_device builds it on first use and reconfigures
// and resets it on every later call), so the module hands out leases:
// runners share the device while they agree on its parameters and mode,
// and it is reconfigured only when no runner holds it.
#pragma once

#include <memory>

#include "npusim/isa/hw_params.hpp"
#include "npusim/isa/transport.hpp"

namespace npusim::python {

class DeviceLease {
 public:
  // Throws runtime::RuntimeError (kBusy) when open runners use other
  // parameters or the other mode, naming the first difference.
  static std::shared_ptr<DeviceLease> acquire(const isa::HwParams& hw, bool timing_only);
  ~DeviceLease();
  DeviceLease(const DeviceLease&) = delete;
  DeviceLease& operator=(const DeviceLease&) = delete;

  const std::shared_ptr<isa::Transport>& transport() const { return transport_; }

 private:
  explicit DeviceLease(std::shared_ptr<isa::Transport> t) : transport_(std::move(t)) {}
  std::shared_ptr<isa::Transport> transport_;
};

}  // namespace npusim::python
