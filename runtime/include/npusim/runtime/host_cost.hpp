// How long host work takes on the simulated timeline. Host work (input
// quantisation and layout changes, CPU segments, driver overhead, the
// application's pre/post-processing) runs for real on the host, but its
// duration on the timeline comes from this model (reproducible) or from
// the measured wall time. docs/runtime.md lists the defaults.
#pragma once

#include <cstdint>

#include "npusim/isa/hw_params.hpp"

namespace npusim::runtime {

struct HostCostModel {
  bool measured = false;           // true: wall time of the real work instead of the model
  int cores = 8;                   // host lanes (HwParams::host_cores)
  double command_ns = 2000;        // driver overhead per device command (HwParams::host_op_ns)
  double request_ns = 5000;        // runtime bookkeeping per request
  double copy_ns_per_byte = 0.25;  // quantise, dequantise, layout change (~4 GB/s)
  double node_ns = 1000;           // per CPU-segment node
  double ns_per_element = 0.5;     // per element a CPU-segment node writes
  double ns_per_mac = 0.05;        // CPU convolutions and matrix products (~20 G MAC/s)

  static HostCostModel from(const isa::HwParams& hw) {
    HostCostModel m;
    m.cores = hw.host_cores;
    m.command_ns = static_cast<double>(hw.host_op_ns);
    return m;
  }
};

}  // namespace npusim::runtime
