// The PCIe host link: an MMIO target for the host's register accesses, and a
// target for the device's DMA into registered host memory, with one
// bandwidth channel per direction.
#pragma once

#include <tlm_utils/multi_passthrough_target_socket.h>
#include <tlm_utils/simple_target_socket.h>
#include <functional>
#include <map>
#include <systemc>
#include <tlm>

#include "bandwidth_channel.hpp"
#include "device_context.hpp"

namespace npusim::sim {

// Register-file callbacks the platform provides.
struct RegisterFile {
  std::function<uint32_t(uint32_t)> read;
  std::function<void(uint32_t, uint32_t)> write;
};

class HostLink : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<HostLink> mmio;                    // host -> device registers
  tlm_utils::multi_passthrough_target_socket<HostLink> host_memory;  // device -> host memory

  HostLink(sc_core::sc_module_name name, const DeviceContext& ctx, RegisterFile regs);

  // Host buffer registration (IOVA space starts at 1 MiB, 4 KiB aligned).
  uint64_t map(void* data, uint64_t bytes);
  bool unmap(uint64_t iova);
  void reset();

 private:
  struct Mapping {
    uint8_t* data;
    uint64_t bytes;
  };
  void mmio_transport(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay);
  void dma_transport(int port, tlm::tlm_generic_payload& trans, sc_core::sc_time& delay);
  unsigned int dma_debug(int port, tlm::tlm_generic_payload& trans);
  uint8_t* translate(uint64_t iova, uint64_t len);

  const DeviceContext& ctx_;
  RegisterFile regs_;
  std::map<uint64_t, Mapping> mappings_;
  uint64_t next_iova_ = 1 << 20;
  BandwidthChannel to_device_, to_host_;
};

}  // namespace npusim::sim
