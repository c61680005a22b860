#include "host_link.hpp"

#include <cstring>

namespace npusim::sim {

HostLink::HostLink(sc_core::sc_module_name name, const DeviceContext& ctx, RegisterFile regs)
    : sc_module(name), mmio("mmio"), host_memory("host_memory"), ctx_(ctx), regs_(std::move(regs)) {
  mmio.register_b_transport(this, &HostLink::mmio_transport);
  host_memory.register_b_transport(this, &HostLink::dma_transport);
  host_memory.register_transport_dbg(this, &HostLink::dma_debug);
}

uint64_t HostLink::map(void* data, uint64_t bytes) {
  const uint64_t iova = next_iova_;
  mappings_[iova] = Mapping{static_cast<uint8_t*>(data), bytes};
  next_iova_ += (bytes + 0xFFF) & ~uint64_t{0xFFF};
  next_iova_ += 0x1000;  // a guard page between mappings catches overruns
  return iova;
}

bool HostLink::unmap(uint64_t iova) {
  return mappings_.erase(iova) == 1;
}

void HostLink::reset() {
  to_device_.reset();
  to_host_.reset();
}

uint8_t* HostLink::translate(uint64_t iova, uint64_t len) {
  auto it = mappings_.upper_bound(iova);
  if (it == mappings_.begin()) return nullptr;
  --it;
  const uint64_t offset = iova - it->first;
  if (offset > it->second.bytes || len > it->second.bytes - offset) return nullptr;
  return it->second.data + offset;
}

void HostLink::mmio_transport(tlm::tlm_generic_payload& trans, sc_core::sc_time&) {
  if (trans.get_data_length() != 4) {
    trans.set_response_status(tlm::TLM_BURST_ERROR_RESPONSE);
    return;
  }
  const auto offset = static_cast<uint32_t>(trans.get_address());
  uint32_t value = 0;
  if (trans.is_read()) {
    value = regs_.read(offset);
    std::memcpy(trans.get_data_ptr(), &value, 4);
  } else {
    std::memcpy(&value, trans.get_data_ptr(), 4);
    regs_.write(offset, value);
  }
  trans.set_response_status(tlm::TLM_OK_RESPONSE);
}

void HostLink::dma_transport(int, tlm::tlm_generic_payload& trans, sc_core::sc_time& delay) {
  const uint64_t len = trans.get_data_length();
  uint8_t* host = translate(trans.get_address(), len);
  if (!host) {
    trans.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return;
  }
  if (trans.get_data_ptr()) {  // null in timing-only mode
    if (trans.is_read()) std::memcpy(trans.get_data_ptr(), host, len);
    if (trans.is_write()) std::memcpy(host, trans.get_data_ptr(), len);
  }
  BandwidthChannel& channel = trans.is_read() ? to_device_ : to_host_;
  const sc_core::sc_time now = sc_core::sc_time_stamp();
  const sc_core::sc_time duration = ctx_.cycles(burst_cycles(len, ctx_.hw.host_link, ctx_.hw));
  delay = channel.reserve(now + delay, duration) - now;
  trans.set_response_status(tlm::TLM_OK_RESPONSE);
}

unsigned int HostLink::dma_debug(int, tlm::tlm_generic_payload& trans) {
  const uint64_t len = trans.get_data_length();
  uint8_t* host = translate(trans.get_address(), len);
  if (!host) {
    trans.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return 0;
  }
  if (trans.is_read()) std::memcpy(trans.get_data_ptr(), host, len);
  if (trans.is_write()) std::memcpy(host, trans.get_data_ptr(), len);
  trans.set_response_status(tlm::TLM_OK_RESPONSE);
  return static_cast<unsigned int>(len);
}

}  // namespace npusim::sim
