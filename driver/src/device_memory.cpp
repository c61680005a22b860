// Device DRAM allocation (first fit) and host buffer registration.
#include "npusim/driver/device.hpp"

namespace npusim::driver {

namespace {
constexpr uint64_t kAlign = 4096;
uint64_t align_up(uint64_t v) {
  return (v + kAlign - 1) & ~(kAlign - 1);
}
}  // namespace

uint64_t Device::allocate(uint64_t bytes) {
  std::lock_guard lock(mutex_);
  const uint64_t size = align_up(std::max<uint64_t>(bytes, 1));
  uint64_t candidate = kAlign;  // address 0 stays unused so 0 never names a buffer
  for (const auto& [addr, len] : allocations_) {
    if (candidate + size <= addr) break;
    candidate = std::max(candidate, align_up(addr + len));
  }
  if (candidate + size > dram_size_)
    throw DriverError(ErrorKind::kOutOfMemory, name_ + ": out of device memory allocating " +
                                                   std::to_string(bytes) + " bytes (" +
                                                   std::to_string(dram_in_use()) + " of " +
                                                   std::to_string(dram_size_) + " bytes in use)");
  allocations_[candidate] = size;
  return candidate;
}

void Device::release(uint64_t addr) {
  std::lock_guard lock(mutex_);
  if (allocations_.erase(addr) != 1)
    throw DriverError(
        ErrorKind::kInvalidArgument,
        name_ + ": release of device address " + std::to_string(addr) + " that was not allocated");
}

uint64_t Device::dram_in_use() const {
  uint64_t total = 0;
  for (const auto& [addr, len] : allocations_) total += len;
  return total;
}

void Device::write_memory(uint64_t addr, const void* data, size_t bytes) {
  try {
    transport_->write_memory(addr, data, bytes);
  } catch (const std::out_of_range& e) {
    throw DriverError(ErrorKind::kInvalidArgument, name_ + ": " + e.what());
  }
}

void Device::read_memory(uint64_t addr, void* data, size_t bytes) {
  try {
    transport_->read_memory(addr, data, bytes);
  } catch (const std::out_of_range& e) {
    throw DriverError(ErrorKind::kInvalidArgument, name_ + ": " + e.what());
  }
}

uint64_t Device::register_host_buffer(void* data, size_t bytes) {
  return transport_->map_host(data, bytes);
}

void Device::unregister_host_buffer(uint64_t iova) {
  transport_->unmap_host(iova);
}

}  // namespace npusim::driver
