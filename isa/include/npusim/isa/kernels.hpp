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

// vec.resize's `mode` field (and QResize's `mode` attribute): the ONNX
// nearest_mode roundings 0-3 (see resize_nearest_source), or bilinear.
constexpr int64_t kResizeNearestFloor = 0;
constexpr int64_t kResizeNearestRoundPreferFloor = 1;
constexpr int64_t kResizeNearestRoundPreferCeil = 2;
constexpr int64_t kResizeNearestCeil = 3;
constexpr int64_t kResizeBilinear = 4;
// vec.resize's `coord_mode` field: ONNX coordinate_transformation_mode.
constexpr int64_t kCoordAsymmetric = 0;
constexpr int64_t kCoordHalfPixel = 1;
constexpr int64_t kCoordAlignCorners = 2;
constexpr int64_t kCoordPytorchHalfPixel = 3;

// vec.pool's `mode` field.
constexpr int64_t kPoolMax = 0;
constexpr int64_t kPoolAverage = 1;

// vec.add / vec.mul's `bcast_a` / `bcast_b` fields: which elements of a
// [count][channels] input are stored.
constexpr int64_t kBcastFull = 0;        // all: [count][channels]
constexpr int64_t kBcastPerChannel = 1;  // one per channel: [channels]
constexpr int64_t kBcastPerRow = 2;      // one per row: [count]
constexpr int64_t kBcastScalar = 3;      // one value

// vec.lut / vec.lutn: a table maps each of the 256 byte values.
constexpr uint64_t kLutTableBytes = 256;

// vec.resize's nearest source index along one axis: output index o of `out`
// reads input index (of `in`) per ONNX coordinate_transformation_mode
// `coord_mode` (0 asymmetric, 1 half_pixel, 2 align_corners, 3
// pytorch_half_pixel) and nearest_mode `mode` (0 floor, 1 round_prefer_floor,
// 2 round_prefer_ceil, 3 ceil), rounding the exact rational coordinate. The
// compiler's tiling and the golden QResize use the same rule.
int64_t resize_nearest_source(int64_t o, int64_t in, int64_t out, int64_t mode, int64_t coord_mode);

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
