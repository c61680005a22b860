// A DMA initiator: moves data between SRAM, device DRAM and host memory in
// bursts over TLM-2.0 sockets. Each burst's time comes from the target's
// bandwidth channel, so concurrent DMA engines share bandwidth.
#pragma once

#include <tlm_utils/simple_initiator_socket.h>
#include <cstdint>
#include <systemc>
#include <tlm>
#include <vector>

#include "abort_signal.hpp"
#include "device_context.hpp"
#include "kernel_offload.hpp"

namespace npusim::sim {

// Which memories a transfer connects. "Sram" routes may use any device-local
// buffer (SRAM, or a command processor's completion record).
enum class Route { kDramToSram, kSramToDram, kHostToDram, kDramToHost, kHostToSram, kSramToHost };

// One contiguous piece of a transfer. `addr` is in the memory whose channel
// times the transfer (DRAM for SRAM routes, host IOVA for host routes);
// `sram` or `dram` is the other side.
struct Piece {
  uint64_t addr = 0;
  uint8_t* sram = nullptr;
  uint64_t dram = 0;
  uint64_t len = 0;
};

struct DmaResult {
  bool ok = true;
  bool aborted = false;
  uint64_t bad_address = 0;  // valid when !ok
};

class DmaPort : public sc_core::sc_module {
 public:
  tlm_utils::simple_initiator_socket<DmaPort> dram;
  tlm_utils::simple_initiator_socket<DmaPort> host;

  DmaPort(sc_core::sc_module_name name, const DeviceContext& ctx);

  // Moves the pieces in order; must be called from an SC_THREAD. Stops early
  // when `abort` is raised (result.aborted). With copy_data false (timing-only
  // mode) only time and address checks happen.
  DmaResult move(Route route, const std::vector<Piece>& pieces, const AbortSignal& abort,
                 bool copy_data);
  // The kernels in flight on the chip's host threads: a burst waits for those
  // whose SRAM bytes it conflicts with before copying.
  void set_offload(KernelOffload* offload) { offload_ = offload; }

 private:
  struct Burst {
    size_t first, count;
    uint64_t bytes;
  };
  std::vector<Burst> group_bursts(const std::vector<Piece>& pieces) const;
  static uint8_t* contiguous_sram(const std::vector<Piece>& pieces, const Burst& b);
  void wait_for_kernels(const std::vector<Piece>& pieces, const Burst& b, bool to_sram);
  bool timed(tlm::tlm_command cmd, tlm_utils::simple_initiator_socket<DmaPort>& socket,
             uint64_t addr, uint8_t* data, uint64_t len, sc_core::sc_time& delay);
  bool untimed_dram(tlm::tlm_command cmd, uint64_t addr, uint8_t* data, uint64_t len);
  bool gather(const std::vector<Piece>& pieces, const Burst& b, bool local, uint8_t* buf);
  bool scatter(const std::vector<Piece>& pieces, const Burst& b, bool local, uint8_t* buf);

  const DeviceContext& ctx_;
  KernelOffload* offload_ = nullptr;
  std::vector<uint8_t> staging_;
  uint64_t bad_address_ = 0;
};

}  // namespace npusim::sim
