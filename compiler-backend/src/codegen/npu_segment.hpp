// Internal: code generation of one NPU segment (a run of npusim-domain nodes).
#pragma once

#include <string>
#include <vector>

#include "npusim/compiler/graph.hpp"
#include "npusim/isa/program.hpp"

namespace npusim::compiler::codegen {

struct SegmentBuild {
  isa::NpuSegment segment;
  std::vector<isa::TensorInfo> tensors;  // the segment's inputs and outputs (I/O area)
  uint64_t sram_peak = 0;
  std::vector<std::string> layer_asm;
};

// Why node `n` cannot run on the NPU of `hw` (op, attributes, shape limits,
// SRAM), or "" if code generation handles it.
std::string npu_unsupported(const Graph& g, const Node& n, const isa::HwParams& hw);

// `nodes` are indices into g.nodes, in order; `inputs`/`outputs` the values
// crossing the segment boundary.
SegmentBuild build_npu_segment(const Graph& g, const std::vector<int>& nodes,
                               const std::vector<std::string>& inputs,
                               const std::vector<std::string>& outputs, const std::string& name,
                               const isa::HwParams& hw, isa::Mode mode);

}  // namespace npusim::compiler::codegen
