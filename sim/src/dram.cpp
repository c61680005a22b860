#include "dram.hpp"

#include <cstring>
#include <stdexcept>

namespace npusim::sim {

Dram::Dram(sc_core::sc_module_name name, const DeviceContext& ctx)
    : sc_module(name), socket("socket"), ctx_(ctx) {
  socket.register_b_transport(this, &Dram::b_transport);
  socket.register_transport_dbg(this, &Dram::transport_dbg);
  // No storage until configure() sets the size (Platform::configure).
}

void Dram::reset() {
  // A lazily backed mapping: a 16 GiB device costs only the pages a program touches.
  if (memory_.size() == ctx_.hw.dram_size)
    memory_.clear();
  else
    memory_.assign(ctx_.hw.dram_size, "device DRAM");
  channel_.reset();
}

void Dram::b_transport(int, tlm::tlm_generic_payload& trans, sc_core::sc_time& delay) {
  const uint64_t addr = trans.get_address();
  const uint64_t len = trans.get_data_length();
  if (!in_range(addr, len)) {
    trans.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return;
  }
  if (trans.get_data_ptr()) {  // null in timing-only mode
    if (trans.is_read()) std::memcpy(trans.get_data_ptr(), data() + addr, len);
    if (trans.is_write()) std::memcpy(data() + addr, trans.get_data_ptr(), len);
  }
  const sc_core::sc_time now = sc_core::sc_time_stamp();
  const sc_core::sc_time duration = ctx_.cycles(burst_cycles(len, ctx_.hw.dram_bandwidth, ctx_.hw));
  delay = channel_.reserve(now + delay, duration) - now;
  trans.set_response_status(tlm::TLM_OK_RESPONSE);
}

unsigned int Dram::transport_dbg(int, tlm::tlm_generic_payload& trans) {
  const uint64_t addr = trans.get_address();
  const uint64_t len = trans.get_data_length();
  if (!in_range(addr, len)) {
    trans.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return 0;
  }
  if (trans.get_data_ptr()) {  // timing-only mode checks the range without copying
    if (trans.is_read()) std::memcpy(trans.get_data_ptr(), data() + addr, len);
    if (trans.is_write()) std::memcpy(data() + addr, trans.get_data_ptr(), len);
  }
  trans.set_response_status(tlm::TLM_OK_RESPONSE);
  return static_cast<unsigned int>(len);
}

}  // namespace npusim::sim
