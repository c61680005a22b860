// A shared channel (DRAM, one direction of the host link) that serves bursts
// one after another in arrival order: concurrent streams interleave their
// bursts and so each gets a share of the bandwidth.
#pragma once

#include <systemc>

namespace npusim::sim {

class BandwidthChannel {
 public:
  // Occupies the channel for `duration` from max(start, end of the previous
  // burst); returns when this burst completes.
  sc_core::sc_time reserve(const sc_core::sc_time& start, const sc_core::sc_time& duration) {
    const sc_core::sc_time begin = start > busy_until_ ? start : busy_until_;
    busy_until_ = begin + duration;
    return busy_until_;
  }
  void reset() { busy_until_ = sc_core::SC_ZERO_TIME; }

 private:
  sc_core::sc_time busy_until_ = sc_core::SC_ZERO_TIME;
};

}  // namespace npusim::sim
