// Device memory a program uses, read from its code: the SRAM high-water
// mark per PE (npusim profile's memory range, a sweep's SRAM use).
#pragma once

#include <cstdint>

#include "npusim/isa/program.hpp"

namespace npusim::runtime {

// The highest SRAM byte (exclusive) any instruction of the program reads or
// writes, per PE: the program's SRAM high-water mark.
uint64_t sram_high_water(const isa::Program& p);

}  // namespace npusim::runtime
