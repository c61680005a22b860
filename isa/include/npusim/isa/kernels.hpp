// Functional semantics of the compute instructions on byte buffers: what the
// device computes, bit for bit. The simulator executes instructions through
// these; tests use them as the reference arithmetic. Layouts and formulas are in
// docs/isa-compute.md.
#pragma once

#include <cstdint>
#include <span>

#include "npusim/isa/instruction.hpp"

namespace npusim::isa::kernels {

// A view of one PE's SRAM (or of both SRAMs in fused mode) as bytes.
using Bytes = std::span<uint8_t>;

// Output spatial size of a convolution / pooling window along one axis.
int64_t conv_out_size(int64_t in, int64_t pad_begin, int64_t pad_end, int64_t kernel,
                      int64_t stride, int64_t dilation);

// Executes one compute-engine instruction (mat.* or vec.*) on `sram`.
// Addresses in the instruction are offsets into `sram`; the caller has
// already checked that every access lies inside it (see access ranges below).
void execute(const Instruction& in, Bytes sram);

// The [begin, end) byte ranges an instruction reads and writes, for range
// checks and for the simulator's SRAM-traffic counters.
struct Range {
  uint64_t begin = 0, end = 0;
};
struct Accesses {
  Range reads[4];
  int num_reads = 0;
  Range writes[1];
  int num_writes = 0;
};
Accesses accesses(const Instruction& in);

// Multiply-accumulate operations an instruction performs (0 for vector ops).
uint64_t mac_count(const Instruction& in);

// Elements an instruction processes on the vector unit (0 for matrix ops).
uint64_t vector_elements(const Instruction& in);

}  // namespace npusim::isa::kernels
