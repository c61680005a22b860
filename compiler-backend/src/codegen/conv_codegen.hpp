// Internal: code generation of one QConv layer, tiled over output rows and
// double buffered (load tile t+1 while computing tile t, store tile t-1).
#pragma once

#include <cstdint>
#include <vector>

#include "npusim/compiler/graph.hpp"
#include "npusim/isa/hw_params.hpp"
#include "streams.hpp"

namespace npusim::compiler::codegen {

struct ConvLayer {
  const Node* node = nullptr;
  Shape in, out;  // NCHW logical shapes
  int64_t kh = 1, kw = 1;
  DramPlace x, y;              // NHWC tensors in DRAM
  uint64_t params_offset = 0;  // in the weights blob: weights, bias, multiplier table
  bool has_bias = false;
};

// SRAM plan of a layer (byte offsets inside one PE's SRAM).
struct ConvSram {
  uint64_t weights = 0, bias = 0, table = 0, in[2] = {0, 0}, acc = 0, out[2] = {0, 0};
  uint64_t total = 0;
  int64_t rows = 0;  // output rows per tile
};

// Appends the layer's device-layout parameters to `blob` ([oc][kh][kw][c/g]
// weights, int32 bias, {mult, shift} table) and returns their offset.
uint64_t append_conv_params(const Graph& g, const Node& qconv, std::vector<uint8_t>& blob);

// Chooses the largest row tile that fits; throws CompileError naming the node if none does.
ConvSram plan_conv_sram(const ConvLayer& layer, const isa::HwParams& hw);

// Emits the layer's output rows [row_begin, row_end) on `slot` (whose SRAM
// starts at `sram_base` in the program's address view).
void emit_conv(Streams& s, const ConvLayer& layer, const ConvSram& plan, int slot,
               uint64_t sram_base, int64_t row_begin, int64_t row_end);

}  // namespace npusim::compiler::codegen
