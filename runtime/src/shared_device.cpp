#include "shared_device.hpp"

#include <map>
#include <mutex>

namespace npusim::runtime {

std::shared_ptr<driver::Device> shared_device(const std::shared_ptr<isa::Transport>& transport) {
  static std::mutex mutex;
  static std::map<isa::Transport*, std::weak_ptr<driver::Device>> devices;
  std::lock_guard lock(mutex);
  auto& slot = devices[transport.get()];
  if (auto device = slot.lock()) return device;
  auto device = std::make_shared<driver::Device>(transport);
  slot = device;
  return device;
}

}  // namespace npusim::runtime
