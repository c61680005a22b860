// Internal: the segment planner. Before any instruction is emitted it decides,
// for one NPU segment, which tensors stay in SRAM from the layer that writes
// them to the last layer that reads them (instead of a DRAM round trip),
// which layers' parameters stay resident, which rows each PE computes in
// fused mode, and which rows travel between the PEs through DRAM.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "families.hpp"
#include "sram_allocator.hpp"

namespace npusim::compiler::codegen {

struct PlannedLayer {
  const Node* node = nullptr;
  const Family* family = nullptr;
  LayerTraits traits;                    // as planned: a channel split is not row-local
  FusedSplit split = FusedSplit::kRows;  // fused mode: what the PEs divide
  RowRange rows[2];                      // row-local layers: the output rows each slot computes
  std::optional<size_t> params_item;     // resident parameters (SramAllocator item)
};

struct PlannedValue {
  std::string name;
  RowShape shape;
  int producer = -1;                            // layer index; -1 for a segment input
  std::vector<std::pair<int, size_t>> readers;  // (layer, input index), in layer order
  bool segment_output = false;
  bool resident = false;
  std::optional<size_t> item;  // SramAllocator item, when resident
  RowRange produced[2];        // rows each slot writes (all rows on slot 0 in single mode)
  RowRange held[2];            // rows held in SRAM per slot, when resident
  bool in_dram = false;        // has a DRAM copy (the I/O area or scratch)
  int last_sram_reader = -1;
  // Whether reader r (index into `readers`) reads the value in SRAM.
  std::vector<bool> reads_sram;
};

struct SegmentPlan {
  int slots = 1;
  uint64_t work_bytes = 0;  // the working area [0, work_bytes) of each PE's SRAM
  std::vector<PlannedLayer> layers;
  std::map<std::string, PlannedValue> values;
  SramAllocator sram{0, 0};
};

// The rows of `v` that reader layer `r` reads on `slot` (clamped to the tensor).
RowRange rows_read(const SegmentPlan& plan, const PlannedValue& v, int layer, size_t input,
                   int slot);

// Plans `nodes` (indices into g.nodes, in order) for `slots` PEs with a
// working area of `work_bytes`; `inputs`/`outputs` cross the segment boundary.
// With `batch` > 1 parameters are first offered SRAM for the whole segment,
// so every image after the first finds them there. Without `channel_splits`
// fused mode splits every layer by rows.
SegmentPlan plan_segment(const Graph& g, const std::vector<int>& nodes,
                         const std::vector<std::string>& inputs,
                         const std::vector<std::string>& outputs, const isa::HwParams& hw,
                         int slots, uint64_t work_bytes, int batch = 1, bool channel_splits = true);

// True if some layer of the plan splits its output channels.
bool splits_channels(const SegmentPlan& plan);

// True if `item` holds parameters for every layer of the segment: loaded by
// the first image, nothing else ever uses its addresses.
bool whole_segment(const SegmentPlan& plan, size_t item);

// The working area the segment needs at least: its largest layer's smallest
// schedule with every operand in DRAM.
uint64_t min_work_bytes(const Graph& g, const std::vector<int>& nodes, const isa::HwParams& hw);

}  // namespace npusim::compiler::codegen
