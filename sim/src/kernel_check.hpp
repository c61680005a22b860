// The footprint check of KernelOffload::Mode::kCheck: kernels on host threads
// are exact only if each kernel keeps to the SRAM ranges kernels::accesses()
// declares for it, since only those are guarded against other accesses.
#pragma once

#include <cstdint>
#include <string>

#include "npusim/isa/instruction.hpp"
#include "npusim/isa/kernels.hpp"

namespace npusim::sim {

// What `in`, run on `sram`, did outside its declared ranges `acc`: a byte
// changed outside acc.writes, or the bytes written depend on a byte outside
// acc.reads and acc.writes (found by running it again on a copy whose other
// bytes are flipped). Looks at the ranges and `margin` bytes either side
// (the default: the whole of `sram`). Empty when it kept to them. Leaves
// `sram` as isa::kernels::execute(in, sram) does and lets what that throws
// through.
std::string execute_checked(const isa::Instruction& in, isa::kernels::Bytes sram,
                            const isa::kernels::Accesses& acc, uint64_t margin = UINT64_MAX);

}  // namespace npusim::sim
