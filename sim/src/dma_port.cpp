#include "dma_port.hpp"

#include <algorithm>
#include <cstring>

namespace npusim::sim {

DmaPort::DmaPort(sc_core::sc_module_name name, const DeviceContext& ctx)
    : sc_module(name), dram("dram"), host("host"), ctx_(ctx) {}

// Consecutive pieces that are contiguous in the timed memory share a burst,
// up to dma_burst bytes; a piece longer than a burst was split by the caller.
std::vector<DmaPort::Burst> DmaPort::group_bursts(const std::vector<Piece>& pieces) const {
  std::vector<Burst> bursts;
  const uint64_t limit = ctx_.hw.dma_burst;
  for (size_t i = 0; i < pieces.size(); ++i) {
    if (!bursts.empty()) {
      Burst& b = bursts.back();
      const Piece& last = pieces[b.first + b.count - 1];
      if (last.addr + last.len == pieces[i].addr && b.bytes + pieces[i].len <= limit) {
        ++b.count;
        b.bytes += pieces[i].len;
        continue;
      }
    }
    bursts.push_back({i, 1, pieces[i].len});
  }
  return bursts;
}

bool DmaPort::timed(tlm::tlm_command cmd, tlm_utils::simple_initiator_socket<DmaPort>& socket,
                    uint64_t addr, uint8_t* data, uint64_t len, sc_core::sc_time& delay) {
  tlm::tlm_generic_payload trans;
  trans.set_command(cmd);
  trans.set_address(addr);
  trans.set_data_ptr(data);
  trans.set_data_length(static_cast<unsigned int>(len));
  trans.set_streaming_width(static_cast<unsigned int>(len));
  trans.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  socket->b_transport(trans, delay);
  return trans.is_response_ok();
}

bool DmaPort::untimed_dram(tlm::tlm_command cmd, uint64_t addr, uint8_t* data, uint64_t len) {
  tlm::tlm_generic_payload trans;
  trans.set_command(cmd);
  trans.set_address(addr);
  trans.set_data_ptr(data);
  trans.set_data_length(static_cast<unsigned int>(len));
  trans.set_streaming_width(static_cast<unsigned int>(len));
  return dram->transport_dbg(trans) == len;
}

namespace {
bool timed_on_dram(Route r) {
  return r == Route::kDramToSram || r == Route::kSramToDram;
}
bool reads_timed_side(Route r) {
  return r == Route::kDramToSram || r == Route::kHostToDram || r == Route::kHostToSram;
}
bool local_other_side(Route r) {
  return r != Route::kHostToDram && r != Route::kDramToHost;
}
}  // namespace

DmaResult DmaPort::move(Route route, const std::vector<Piece>& pieces, const AbortSignal& abort,
                        bool copy_data) {
  auto& socket = timed_on_dram(route) ? dram : host;
  const bool inbound = reads_timed_side(route);
  const bool local = local_other_side(route);
  const tlm::tlm_command cmd = inbound ? tlm::TLM_READ_COMMAND : tlm::TLM_WRITE_COMMAND;
  for (const Burst& b : group_bursts(pieces)) {
    // A burst over one stretch of SRAM is copied straight to or from it.
    if (copy_data && local) wait_for_kernels(pieces, b, inbound);
    uint8_t* direct = copy_data && local ? contiguous_sram(pieces, b) : nullptr;
    if (copy_data && !direct) staging_.resize(std::max<size_t>(staging_.size(), b.bytes));
    uint8_t* buf = !copy_data ? nullptr : direct ? direct : staging_.data();
    if (!direct && !inbound && !gather(pieces, b, local, buf)) return {false, false, bad_address_};
    sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
    if (!timed(cmd, socket, pieces[b.first].addr, buf, b.bytes, delay))
      return {false, false, pieces[b.first].addr};
    if (!direct && inbound && !scatter(pieces, b, local, buf)) return {false, false, bad_address_};
    sc_core::wait(delay, abort.event);
    if (abort.raised) return {true, true, 0};
  }
  return {};
}

// Waits for the kernels in flight that conflict with the burst's SRAM bytes
// (kernel_offload.hpp); `to_sram`: the burst writes them. Every DMA copy
// to or from SRAM happens right after this, at the burst's start, before
// any simulated time passes.
void DmaPort::wait_for_kernels(const std::vector<Piece>& pieces, const Burst& b, bool to_sram) {
  if (!offload_) return;
  for (size_t i = b.first; i < b.first + b.count; ++i)
    offload_->before_access(pieces[i].sram, pieces[i].sram + pieces[i].len, to_sram);
}

// The burst's SRAM bytes when its pieces follow each other there, else null.
uint8_t* DmaPort::contiguous_sram(const std::vector<Piece>& pieces, const Burst& b) {
  for (size_t i = b.first + 1; i < b.first + b.count; ++i)
    if (pieces[i - 1].sram + pieces[i - 1].len != pieces[i].sram) return nullptr;
  return pieces[b.first].sram;
}

// Collects the outgoing bytes of a burst from SRAM pointers or (untimed) DRAM.
bool DmaPort::gather(const std::vector<Piece>& pieces, const Burst& b, bool local, uint8_t* buf) {
  uint64_t off = 0;
  for (size_t i = b.first; i < b.first + b.count; ++i) {
    const Piece& p = pieces[i];
    if (local) {
      if (buf) std::memcpy(buf + off, p.sram, p.len);
    } else if (!untimed_dram(tlm::TLM_READ_COMMAND, p.dram, buf ? buf + off : nullptr, p.len)) {
      bad_address_ = p.dram;
      return false;
    }
    off += p.len;
  }
  return true;
}

// Distributes the incoming bytes of a burst to SRAM pointers or (untimed) DRAM.
bool DmaPort::scatter(const std::vector<Piece>& pieces, const Burst& b, bool local, uint8_t* buf) {
  uint64_t off = 0;
  for (size_t i = b.first; i < b.first + b.count; ++i) {
    const Piece& p = pieces[i];
    if (local) {
      if (buf) std::memcpy(p.sram, buf + off, p.len);
    } else if (!untimed_dram(tlm::TLM_WRITE_COMMAND, p.dram, buf ? buf + off : nullptr, p.len)) {
      bad_address_ = p.dram;
      return false;
    }
    off += p.len;
  }
  return true;
}

}  // namespace npusim::sim
