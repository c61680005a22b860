// Device DRAM: a TLM-2.0 target with a shared-bandwidth timing model.
// Storage is mapped for the configured size at the first reset (configure),
// lazily: untouched pages cost no host memory.
#pragma once

#include <tlm_utils/multi_passthrough_target_socket.h>
#include <systemc>
#include <tlm>

#include "bandwidth_channel.hpp"
#include "device_context.hpp"
#include "lazy_memory.hpp"

namespace npusim::sim {

class Dram : public sc_core::sc_module {
 public:
  tlm_utils::multi_passthrough_target_socket<Dram> socket;

  Dram(sc_core::sc_module_name name, const DeviceContext& ctx);

  // Sizes storage to ctx.hw.dram_size (contents cleared) and frees the channel.
  void reset();
  uint64_t size() const { return memory_.size(); }
  uint8_t* data() { return memory_.data(); }

 private:
  void b_transport(int port, tlm::tlm_generic_payload& trans, sc_core::sc_time& delay);
  unsigned int transport_dbg(int port, tlm::tlm_generic_payload& trans);
  bool in_range(uint64_t addr, uint64_t len) const {
    return addr <= size() && len <= size() - addr;
  }

  const DeviceContext& ctx_;
  BandwidthChannel channel_;
  LazyMemory memory_;
};

}  // namespace npusim::sim
