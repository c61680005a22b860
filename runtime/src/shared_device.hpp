// One driver::Device per transport, shared by every session on it: the
// driver's record of open PEs and its DRAM allocator must be one per device,
// or two runners would both "own" npu0pe0.
#pragma once

#include <memory>

#include "npusim/driver/device.hpp"

namespace npusim::runtime {

std::shared_ptr<driver::Device> shared_device(const std::shared_ptr<isa::Transport>& transport);

}  // namespace npusim::runtime
