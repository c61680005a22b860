// A C++ driver for the verilated systolic array (sim/rtl/systolic_array.sv):
// runs single passes or whole tiled GEMMs on the RTL and measures their
// cycles, the ground truth for the matrix unit's cost model (docs/rtl.md).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace npusim::sim::rtl {

// An array geometry with a verilated model in npusim_rtl.
struct ArrayShape {
  int rows, cols;
  bool operator==(const ArrayShape&) const = default;
};

// The geometries built into the library: 16x16 (the "small" preset) and 12x8.
std::vector<ArrayShape> available_shapes();

// An 8-bit matrix operand as mat.mm reads it: raw bytes, signedness, zero point.
struct Operand8 {
  std::span<const uint8_t> data;
  bool is_signed = true;
  int32_t zero_point = 0;
};

// Test hook: every `period`-th beat the driver withholds a weight row or an
// input vector for one cycle (0 = never), to exercise the valid/ready handshake.
struct RunOptions {
  int stall_period = 0;
};

struct RtlRun {
  std::vector<int32_t> out;           // [m][n], row-major, int32 (mod 2^32)
  uint64_t cycles = 0;                // first start beat to last output, inclusive
  std::vector<uint64_t> pass_cycles;  // the same, for each pass
  uint64_t stall_cycles = 0;          // beats withheld (RunOptions::stall_period)
};

class RtlMatrixUnit {
 public:
  // Throws std::invalid_argument if no model of that shape is built.
  explicit RtlMatrixUnit(ArrayShape shape = {16, 16});
  ~RtlMatrixUnit();
  RtlMatrixUnit(const RtlMatrixUnit&) = delete;
  RtlMatrixUnit& operator=(const RtlMatrixUnit&) = delete;

  ArrayShape shape() const;

  // out[m][n] = sum_k a[m][k] * w[n][k] for operands already minus their zero
  // points (each in [-256, 255]). Tiles K by rows and N by cols into passes
  // (N tiles outer, K tiles inner), runs them back to back and accumulates.
  // Throws std::invalid_argument on bad sizes or out-of-range operands.
  RtlRun gemm(std::span<const int16_t> a, std::span<const int16_t> w, int m, int k, int n,
              RunOptions options = {});

  // One pass: gemm with k <= rows and n <= cols (throws otherwise).
  RtlRun pass(std::span<const int16_t> a, std::span<const int16_t> w, int p, int k, int n);

  // mat.mm without bias/accumulate: src [m][k], wgt [n][k], zero points
  // subtracted on the way in (the result must fit the array's 9-bit operands).
  RtlRun mat_mm(const Operand8& src, const Operand8& wgt, int m, int k, int n);

  // Clock cycles simulated since construction (reset excluded).
  uint64_t simulated_cycles() const;

  class Model;  // the verilated model behind a geometry-independent interface

 private:
  std::unique_ptr<Model> model_;
};

}  // namespace npusim::sim::rtl
