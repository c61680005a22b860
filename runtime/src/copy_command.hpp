// The H2D / D2H command that copies `bytes` between host IOVA and device DRAM.
#pragma once

#include <cstdint>

#include "npusim/isa/regmap.hpp"

namespace npusim::runtime {

inline isa::reg::Command copy_command(isa::reg::CommandOp op, uint64_t iova, uint64_t dram,
                                      uint64_t bytes) {
  isa::reg::Command c{};
  c.op = static_cast<uint32_t>(op);
  c.a = iova;
  c.b = dram;
  c.len = bytes;
  return c;
}

}  // namespace npusim::runtime
