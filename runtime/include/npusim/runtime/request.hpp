// What one inference request returns: outputs, and where its time went on
// the simulated timeline.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "npusim/runtime/model.hpp"

namespace npusim::runtime {

struct RequestTiming {
  uint64_t request = 0;               // the request's number in its runner, from 0
  uint64_t start_ps = 0, end_ps = 0;  // from admission to the result (simulated)
  uint64_t host_ps = 0;  // host lanes: conversions, CPU segments, driver, pre/post stages
  uint64_t cpu_ps = 0;   // of which CPU segments (ops the NPU does not run)
  uint64_t h2d_ps = 0, compute_ps = 0, d2h_ps = 0;  // device commands
  // From submitting the commands to seeing the last completion: the three
  // above plus completion-record writes and waits for the lane's queues.
  uint64_t device_ps = 0;
  uint64_t host_wait_ps = 0;  // waiting for a free host lane
  std::string device;         // the device string entry it ran on
  uint64_t latency_ps() const { return end_ps - start_ps; }
};

struct Result {
  std::vector<Tensor> outputs;  // in the model's output order (or the names asked for)
  RequestTiming timing;
};

// An application stage run on a host lane as part of every request, e.g.
// image preprocessing (before) or box decoding and NMS (after). `cost_ns`
// places it on the timeline; < 0 uses the measured wall time.
struct HostStage {
  std::string name;
  std::function<void(std::vector<Tensor>&)> run;
  double cost_ns = -1;
  explicit operator bool() const { return static_cast<bool>(run); }
};

}  // namespace npusim::runtime
