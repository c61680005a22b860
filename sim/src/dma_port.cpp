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

// Until when this engine may issue bursts without yielding: no other process
// can act (and so reserve a channel) before the next pending activity, and
// the host may act where the current sc_start call ends.
sc_core::sc_time DmaPort::horizon() const {
  const sc_core::sc_time now = sc_core::sc_time_stamp();
  sc_core::sc_time h = now + sc_core::sc_time_to_pending_activity();
  if (!ctx_.run_unbounded && ctx_.run_end < h) h = ctx_.run_end;
  return h;
}

DmaResult DmaPort::move(Route route, const std::vector<Piece>& pieces, const AbortSignal& abort,
                        bool copy_data) {
  auto& socket = timed_on_dram(route) ? dram : host;
  const bool inbound = reads_timed_side(route);
  const bool local = local_other_side(route);
  const tlm::tlm_command cmd = inbound ? tlm::TLM_READ_COMMAND : tlm::TLM_WRITE_COMMAND;
  const std::vector<Burst> bursts = group_bursts(pieces);
  // Bursts go out back to back: each one arrives when the previous one ends.
  // While those ends lie before horizon() no other process runs, so a burst
  // issued ahead (its arrival passed as the TLM delay) is reserved exactly as
  // if this thread had waited for the previous one; the data are copied in
  // the same order too. At the first burst that would arrive at or after the
  // horizon the thread catches up to that burst's arrival and then waits for
  // it from there, as the burst-by-burst loop does, so even events at the
  // same instant are ordered as before.
  sc_core::sc_time ahead = sc_core::SC_ZERO_TIME;  // arrival of the next burst, from now
  sc_core::sc_time limit = horizon();
  for (size_t i = 0; i < bursts.size(); ++i) {
    const Burst& b = bursts[i];
    // A burst over one stretch of SRAM is copied straight to or from it.
    uint8_t* direct = copy_data && local ? contiguous_sram(pieces, b) : nullptr;
    if (copy_data && !direct) staging_.resize(std::max<size_t>(staging_.size(), b.bytes));
    uint8_t* buf = !copy_data ? nullptr : direct ? direct : staging_.data();
    if (!direct && !inbound && !gather(pieces, b, local, buf)) return {false, false, bad_address_};
    sc_core::sc_time delay = ahead;
    if (!timed(cmd, socket, pieces[b.first].addr, buf, b.bytes, delay))
      return {false, false, pieces[b.first].addr};
    if (!direct && inbound && !scatter(pieces, b, local, buf)) return {false, false, bad_address_};
    const sc_core::sc_time now = sc_core::sc_time_stamp();
    if (i + 1 < bursts.size() && now + delay < limit) {
      ahead = delay;  // the next burst arrives when this one ends, before anyone else acts
      continue;
    }
    if (ahead > sc_core::SC_ZERO_TIME) {  // catch up to this burst's arrival
      sc_core::wait(ahead, abort.event);
      if (abort.raised) return {true, true, 0};
      delay -= ahead;
      ahead = sc_core::SC_ZERO_TIME;
    }
    sc_core::wait(delay, abort.event);
    if (abort.raised) return {true, true, 0};
    limit = horizon();
  }
  return {};
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
