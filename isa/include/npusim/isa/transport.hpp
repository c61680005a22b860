// The transport between a driver and a device: register access, a window
// on device memory, host buffers the device may DMA into, and interrupts.
// sim/ implements it in-process; driver/ uses nothing else.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>

namespace npusim::isa {

enum class WaitResult { kInterrupt, kTimeout, kIdle, kDeadline };

class Transport {
 public:
  virtual ~Transport() = default;

  // 32-bit register access in BAR0.
  virtual uint32_t read32(uint32_t offset) = 0;
  virtual void write32(uint32_t offset, uint32_t value) = 0;

  // Device-memory window (BAR2): copies to/from device DRAM.
  virtual void write_memory(uint64_t dram_addr, const void* data, size_t bytes) = 0;
  virtual void read_memory(uint64_t dram_addr, void* data, size_t bytes) = 0;

  // Registers host memory for device DMA; returns its IOVA (device-visible address).
  virtual uint64_t map_host(void* data, size_t bytes) = 0;
  virtual void unmap_host(uint64_t iova) = 0;

  // Blocks until the interrupt line is asserted (kInterrupt), the device has
  // nothing left to do and no interrupt pending (kIdle), or `timeout` of wall
  // time passed (kTimeout). Simulated time advances only while the host waits
  // here or in advance_host_time().
  virtual WaitResult wait_interrupt(std::chrono::milliseconds timeout) = 0;

  // Like wait_interrupt, but simulated time stops at `deadline_ps` at the
  // latest (kDeadline), even when the device is idle: the host has work of
  // its own that ends then (conservative synchronisation of host lanes).
  virtual WaitResult wait_interrupt_until(uint64_t deadline_ps,
                                          std::chrono::milliseconds timeout) = 0;

  // Host spends `ps` picoseconds of simulated time (host work on the timeline).
  virtual void advance_host_time(uint64_t ps) = 0;

  // Current simulated time in picoseconds.
  virtual uint64_t now_ps() = 0;
};

}  // namespace npusim::isa
