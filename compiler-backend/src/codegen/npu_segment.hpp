// Internal: code generation of one NPU segment (a run of npusim-domain nodes).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "npusim/compiler/compile.hpp"
#include "npusim/compiler/graph.hpp"
#include "npusim/isa/program.hpp"

namespace npusim::compiler::codegen {

struct SegmentBuild {
  isa::NpuSegment segment;
  std::vector<isa::TensorInfo> tensors;  // the segment's inputs and outputs (I/O area)
  uint64_t sram_peak = 0;
  std::vector<LayerPlan> layers;
};

// Why node `n` cannot run on the NPU of `hw` (op, attributes, shape limits,
// SRAM), or "" if code generation handles it.
std::string npu_unsupported(const Graph& g, const Node& n, const isa::HwParams& hw);

// `nodes` are indices into g.nodes, in order; `inputs`/`outputs` the values
// crossing the segment boundary.
// The program's I/O space: one offset per tensor name, shared by all NPU
// segments, so the program's tensor table names each tensor once.
struct IoLayout {
  std::map<std::string, uint64_t> offsets;
  uint64_t end = 0;
};

// `io` places the segment's inputs and outputs (tensors placed by an earlier
// segment keep their offset); SegmentBuild::tensors lists the new ones.
SegmentBuild build_npu_segment(const Graph& g, const std::vector<int>& nodes,
                               const std::vector<std::string>& inputs,
                               const std::vector<std::string>& outputs, const std::string& name,
                               const isa::HwParams& hw, isa::Mode mode, IoLayout& io);

}  // namespace npusim::compiler::codegen
