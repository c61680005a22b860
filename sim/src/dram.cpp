#include "dram.hpp"

#include <sys/mman.h>

#include <cstring>
#include <stdexcept>

namespace npusim::sim {

Dram::Dram(sc_core::sc_module_name name, const DeviceContext& ctx)
    : sc_module(name), socket("socket"), ctx_(ctx) {
  socket.register_b_transport(this, &Dram::b_transport);
  socket.register_transport_dbg(this, &Dram::transport_dbg);
  reset();
}

Dram::~Dram() {
  if (storage_) munmap(storage_, size_);
}

void Dram::reset() {
  // Re-mapping gives zeroed, lazily backed memory: a 16 GiB device costs
  // only the pages a program touches.
  if (storage_) munmap(storage_, size_);
  size_ = ctx_.hw.dram_size;
  void* p = mmap(nullptr, size_, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED)
    throw std::runtime_error("cannot reserve device DRAM of the configured size");
  storage_ = static_cast<uint8_t*>(p);
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
    if (trans.is_read()) std::memcpy(trans.get_data_ptr(), storage_ + addr, len);
    if (trans.is_write()) std::memcpy(storage_ + addr, trans.get_data_ptr(), len);
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
    if (trans.is_read()) std::memcpy(trans.get_data_ptr(), storage_ + addr, len);
    if (trans.is_write()) std::memcpy(storage_ + addr, trans.get_data_ptr(), len);
  }
  trans.set_response_status(tlm::TLM_OK_RESPONSE);
  return static_cast<unsigned int>(len);
}

}  // namespace npusim::sim
