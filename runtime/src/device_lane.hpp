// One entry of a session's device list: an open PE context with three
// command queues, so that host-to-device copies, runs and device-to-host
// copies of different requests overlap (H2D of k+1 during RUN of k during
// D2H of k-1); WAIT_QUEUE commands order one request's three steps. Each
// request in flight holds an I/O slot: an I/O area in device DRAM and a
// host staging buffer per NPU segment.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "npusim/driver/device.hpp"
#include "placed_program.hpp"

namespace npusim::runtime {

// A request's commands on one lane.
struct LaneTickets {
  std::vector<uint32_t> h2d, d2h;
  uint32_t run_wait = 0, run = 0, d2h_wait = 0;
  uint64_t reset_count = 0;  // the device's reset count when submitted
};

// The commands' spans on the device, in picoseconds.
struct LaneTiming {
  uint64_t h2d_start = 0, h2d_end = 0, run_start = 0, run_end = 0, d2h_start = 0, d2h_end = 0;
};

class DeviceLane {
 public:
  enum Queue { kH2D = 0, kRun = 1, kD2H = 2 };

  DeviceLane(driver::Device& device, const std::string& name, const PlacedProgram& program,
             int slots);
  ~DeviceLane();
  const std::string& name() const { return name_; }
  uint32_t pe_mask() const { return context_->pe_mask(); }

  int acquire_slot();  // -1 if none is free
  void release_slot(int slot);

  // The host staging buffer of NPU segment `segment`'s I/O area for `slot`.
  std::vector<uint8_t>& staging(size_t segment, int slot);
  // Submits H2D of every segment input, RUN, and D2H of every output;
  // `inject` (isa::reg::inject_word) puts a fault on them (docs/faults.md).
  LaneTickets submit(size_t segment, int slot, uint64_t inject = 0);
  // Whether all of the request's commands completed, or were dropped by a reset.
  bool finished(const LaneTickets& t);
  bool dropped(const LaneTickets& t) const;
  // Collects the completions; throws driver::DriverError if one failed.
  LaneTiming collect(const LaneTickets& t);

 private:
  struct Area {
    uint64_t scratch = 0;
    std::vector<uint64_t> io;  // per slot: DRAM
    std::vector<std::vector<uint8_t>> host;
    std::vector<uint64_t> iova;
  };
  uint64_t to_ps(uint64_t cycles) const;

  driver::Device& device_;
  std::string name_;
  const PlacedProgram& program_;
  std::unique_ptr<driver::Context> context_;
  std::map<size_t, Area> areas_;  // per NPU segment index
  std::vector<bool> slot_busy_;
  std::vector<uint64_t> allocations_;
  uint64_t clock_hz_ = 0;
};

}  // namespace npusim::runtime
