// One synchronous inference of a loaded program on a context: host-to-device
// DMA of each input, RUN, device-to-host DMA of each output.
#pragma once

#include <chrono>
#include <cstdint>
#include <vector>

#include "npusim/driver/device.hpp"
#include "npusim/runtime/loaded_program.hpp"

namespace npusim::runtime {

struct CommandTiming {
  uint64_t start_cycle = 0, end_cycle = 0;
  uint64_t cycles() const { return end_cycle - start_cycle; }
};

struct RunOutcome {
  CommandTiming h2d, run, d2h;  // h2d/d2h span all input/output transfers
  uint64_t total_cycles() const { return d2h.end_cycle - h2d.start_cycle; }
  std::vector<std::vector<uint8_t>> outputs;  // in the NPU segment's output order
};

// `inputs` in the NPU segment's input order (LoadedProgram::inputs()), each
// exactly the tensor's size. `inject` (isa::reg::inject_word) puts a fault
// on the RUN command, or for a host-link error on the first copy.
// Throws driver::DriverError (device errors, timeouts) or std::invalid_argument.
RunOutcome run_once(driver::Context& context, const LoadedProgram& program,
                    const std::vector<std::vector<uint8_t>>& inputs,
                    std::chrono::milliseconds timeout = std::chrono::seconds(60),
                    uint64_t inject = 0);

}  // namespace npusim::runtime
