// Internal: the op families' code generators, one file each, as
// npu_segment.cpp dispatches them. Each op file registers its family
// (npu_op_table.hpp).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "layer.hpp"

namespace npusim::compiler::codegen {

// What the segment planner needs to know of a layer before it decides what
// stays in SRAM: how its output rows depend on its inputs' rows, and which
// operands its code generation can read or write in SRAM in place.
struct LayerTraits {
  // Row-local: output rows [r0, r1) of an image read only the rows
  // input_rows(k, {r0, r1}) of input k of the same image, so fused mode
  // splits the output rows and each PE reads a band of each input (plus the
  // neighbouring rows a window needs). Otherwise the layer's work splits by
  // its own units and readers need the whole output.
  bool row_local = false;
  int64_t out_rows = 0;  // rows per image of the output(s), the units fused mode splits
  std::function<RowRange(size_t k, RowRange out)> input_rows;
  std::vector<bool> sram_in;  // per input: may be read from SRAM in place
  bool sram_out = false;      // the outputs may be written to SRAM in place
  uint64_t params_bytes = 0;  // parameters the layer loads whole (resident if they fit)
  // Fused mode may split the output channels instead of the rows
  // (FusedSplit::kChannels): the parameter bytes each PE then loads, at
  // most; 0 if the layer cannot split its channels.
  uint64_t channel_split_params_bytes = 0;
  // For a layer that can: whether the compiler's estimate prices the channel
  // split below the row split (below the first PE alone when there are
  // fewer rows than PEs), on a working area of `work` bytes.
  std::function<bool(const isa::HwParams& hw, uint64_t work)> channel_split_cheaper;
};

// The traits of a layer that reads and writes DRAM only.
LayerTraits dram_only_traits(const Graph& g, const Node& n);

struct Family {
  // Why the node cannot run on the NPU of `hw` (attributes, shapes, SRAM), or "".
  std::string (*unsupported)(const Graph& g, const Node& n, const isa::HwParams& hw);
  LayerCode (*plan)(const LayerEnv& e);
  LayerTraits (*traits)(const Graph& g, const Node& n);
  // Working-area bytes of the layer's smallest schedule with every operand in DRAM.
  uint64_t (*min_work)(const Graph& g, const Node& n, const isa::HwParams& hw);
};

// The family of an npusim-domain node, or nullptr.
const Family* family_of(const Node& n);

}  // namespace npusim::compiler::codegen
