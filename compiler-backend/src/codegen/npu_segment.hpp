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
// With a batch, each tensor holds its images one after the other from its
// offset (the runtime's [N, ...] tensor), and `image_bytes` maps the offset
// to the bytes of one image: the code of image k reads and writes
// offset + k * image_bytes.
struct IoLayout {
  std::map<std::string, uint64_t> offsets;
  std::map<uint64_t, uint64_t> image_bytes;  // io offset -> bytes of one image
  uint64_t end = 0;
};

// `shape` of one image with its leading dim of 1 replaced by `batch`; throws
// CompileError naming `name` when there is no such dim to replace.
Shape batched_shape(const std::string& name, const Shape& shape, int batch);

// `io` places the segment's inputs and outputs (tensors placed by an earlier
// segment keep their offset); SegmentBuild::tensors lists the new ones.
// With `batch` > 1 the graph is one image's and the segment runs its layers
// once per image, image after image, against the same resident parameters
// (loaded once per run); SegmentBuild::layers sums each layer's DRAM bytes
// over the images.
SegmentBuild build_npu_segment(const Graph& g, const std::vector<int>& nodes,
                               const std::vector<std::string>& inputs,
                               const std::vector<std::string>& outputs, const std::string& name,
                               const isa::HwParams& hw, isa::Mode mode, IoLayout& io,
                               int batch = 1);

}  // namespace npusim::compiler::codegen
