// The Warboy tutorial's runner experiment on the simulated NPU: N frames of
// a model with host-side pre- and post-processing through the sync runner,
// the async runner with W workers and the queue, each total in simulated
// time next to the bounds the time model predicts. `npusim bench
// --compare-runners` and tools/bench/runner_bench run it (docs/runtime.md).
#pragma once

#include <iosfwd>
#include <string>

#include "npusim/isa/hw_params.hpp"

namespace npusim::cli {

struct RunnerComparison {
  std::string model;                // .onnx (int8 QDQ) or .npub
  std::string devices = "npu0pe0";  // device list of the first experiment
  std::string compare;              // "": none, else a second device list
  int frames = 1000, workers = 8;
  int host_cores = 0;                    // 0: the hardware's host_cores
  double pre_us = 2000, post_us = 3000;  // application stages per frame on a host lane
  bool arithmetic = false;               // compute outputs too (slower; same cycles)
  isa::HwParams hw;                      // the device (and host_cores unless set above)
};

// Runs the experiment for `devices` (and `compare`), printing the results to
// `out` and the frames done to `progress`: a line updated in place when
// `progress_is_terminal`, else a line at every tenth. Throws
// runtime::RuntimeError naming the model or device.
void compare_runners(const RunnerComparison& c, std::ostream& out, std::ostream& progress,
                     bool progress_is_terminal);

}  // namespace npusim::cli
