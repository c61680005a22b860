// Internal: code generation of a QConv layer (and the Gemm/MatMul lowered to
// it). A schedule (ConvSchedule) fixes the loop order and the blocking:
//   - pixel groups: output rows x output columns computed by one mat.conv
//     per weight block (their int32 sums held in the accumulator);
//   - output-channel blocks (ob) and input-channel blocks (ib, accumulated
//     in the accumulator: mat.conv's accumulate flag);
//   - where the weights are: resident for the segment (the planner's), all
//     in the working area for the layer, or one output block at a time;
//   - the loop order: pixels outer (each input tile loaded once, weights
//     reused from SRAM) or weights outer (each weight block loaded once, the
//     input re-read per block).
// conv_schedule.cpp enumerates schedules that fit the working area and picks
// the cheapest by the compiler's cost model (compute cycles of the emitted
// instructions from isa/cost_model.hpp, DMA at a nominal bandwidth);
// conv_codegen.cpp emits one.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "layer.hpp"

namespace npusim::compiler::codegen {

// The layer's shape: NHWC tensors (a 2-D [M, K] input is an M x 1 image of K
// channels), OHWI weights.
struct ConvGeometry {
  int64_t n, c, h, w, oc, oh, ow, kh, kw, sh, sw, dh, dw, pt, pl, pb, pr, group;
  int64_t out_elem;  // bytes per output element: 1, or 4 for int32 sums (int32_out)
  int64_t k() const { return kh * kw * (c / group); }
};
ConvGeometry conv_geometry(const Graph& g, const Node& qconv);

// Input rows (inclusive, may lie in the padding) that output rows [r0, r1) read.
struct Span {
  int64_t first, last;
};
Span conv_input_rows(const ConvGeometry& g, int64_t r0, int64_t r1);
Span conv_input_cols(const ConvGeometry& g, int64_t c0, int64_t c1);

enum class WeightsAt {
  kResident,   // the segment planner placed the parameters in SRAM
  kWorkAll,    // all of them in the working area, loaded at the layer's start
  kWorkBlock,  // one output-channel block (every input channel) at a time, double buffered
  kWorkPiece   // one (output block, input block) piece at a time, double buffered: for
               // output channels whose weights alone exceed the working area
};
enum class LoopOrder { kPixelsOuter, kWeightsOuter };

struct ConvSchedule {
  int64_t rows = 1, cols = 1;  // output rows and columns of a pixel group
  int64_t ob = 1, ib = 1;      // output- and input-channel block sizes
  WeightsAt weights = WeightsAt::kWorkAll;
  LoopOrder order = LoopOrder::kPixelsOuter;
  bool in_sram = false, out_sram = false;  // input / output resident in SRAM
};

// The working area of a schedule (byte offsets from the working area's start).
struct ConvSram {
  uint64_t params = 0, params_bytes = 0;  // kWorkAll: weights + bias + table
  uint64_t wblock[2] = {0, 0};            // kWorkBlock/kWorkPiece: one block's or piece's weights
  uint64_t bias_table = 0;                // kWorkBlock/kWorkPiece: every bias and multiplier
  uint64_t in[2] = {0, 0};                // staged input tiles
  uint64_t acc = 0;                       // int32 sums (8-bit outputs)
  uint64_t out[2] = {0, 0};               // staged output tiles
  uint64_t total = 0;
};
ConvSram conv_sram(const ConvGeometry& g, const ConvSchedule& s);

// The parameters in the blob: weights blocked by input-channel block
// ([ib block][oc][kh][kw][ib]), then int32 bias, then {mult, shift} per oc.
struct ConvParams {
  uint64_t offset = 0;                      // in the blob
  uint64_t weights_bytes = 0;               // every block
  uint64_t bias = 0, table = 0, bytes = 0;  // offsets from `offset`, and the total
};
// The bytes the parameters take (the same for every blocking).
uint64_t conv_params_bytes(const ConvGeometry& g);
// Output channels [begin, end) of a layer (end 0: all of them).
struct ChannelRange {
  int64_t begin = 0, end = 0;
};
// Appends the parameters of output channels `channels` (as a layer of that
// many output channels).
ConvParams append_conv_params(const Graph& g, const Node& qconv, int64_t ib,
                              std::vector<uint8_t>& blob, ChannelRange channels = {});

// Where a layer's operands are, on one slot.
struct ConvOperands {
  DramPlace x, y;
  const SramTensor* x_sram = nullptr;  // when the input is resident
  const SramTensor* y_sram = nullptr;  // when the output is resident
  uint64_t params_sram = 0;            // WeightsAt::kResident: the parameters' address
  // The output in DRAM has `y_channels` channels per pixel (0: the layer's
  // own), the layer's from `y_channel0` on: fused mode's channel split.
  int64_t y_channels = 0, y_channel0 = 0;
};

// Emits output rows [row_begin, row_end) of every image on `slot`, whose
// working area starts at `base`.
void emit_conv(Streams& s, const Node& q, const ConvGeometry& g, const ConvSchedule& sch,
               const ConvSram& sram, const ConvParams& params, const ConvOperands& ops, int slot,
               uint64_t base, int64_t row_begin, int64_t row_end);

// The cheapest schedule of the layer for a working area of `work` bytes (on
// `rows` output rows per slot), or none if nothing fits.
struct ConvChoice {
  ConvSchedule schedule;
  uint64_t cycles = 0, dram_bytes = 0;
  bool found = false;
};
// "4 tiles of 7x56 pixels, weights resident; ..." for the layer summary.
std::string describe_conv_schedule(const ConvGeometry& g, const ConvSchedule& s, int64_t rows,
                                   uint64_t sram);

ConvChoice choose_conv_schedule(const Node& q, const ConvGeometry& g, uint64_t work,
                                bool params_resident, bool in_sram, bool out_sram, int64_t rows,
                                const isa::HwParams& hw);

// Fused mode's output-channel split (FusedSplit::kChannels): the first PE's
// channels and the layer's code.
int64_t conv_channel_split_point(const ConvGeometry& g);
// Whether the channel split (its operands in DRAM) is priced below the row
// split with its operands in SRAM (below the first PE alone when the layer
// has one output row), on a working area of `work` bytes
// (LayerTraits::channel_split_cheaper).
bool conv_channel_split_cheaper(const Node& q, const ConvGeometry& g, const isa::HwParams& hw,
                                uint64_t work);
LayerCode plan_conv_channel_split(const LayerEnv& e);

}  // namespace npusim::compiler::codegen
