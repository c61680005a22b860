// The compiler: a quantised ONNX graph to a .npub program for the device.
// Stages: lower quantised forms (lower_quantized.hpp) -> partition into NPU
// and CPU segments -> plan DRAM -> tile, plan SRAM and schedule each NPU
// layer over the load/compute/store engines (double buffered) -> encode.
#pragma once

#include <string>
#include <vector>

#include "npusim/compiler/graph.hpp"
#include "npusim/compiler/lower_quantized.hpp"
#include "npusim/isa/program.hpp"

namespace npusim::compiler {

struct CompileOptions {
  isa::HwParams hw;
  isa::Mode target = isa::Mode::kSingle;  // kFused: both PEs split every layer
  // Cut the graph at these tensors (like the Warboy tutorial's export before
  // the box decode); empty keeps the model's outputs.
  std::vector<std::string> outputs;
  // Images per request (1 ... limits::kMaxBatch). A graph of one image (every
  // input's leading dim 1) becomes a program for `batch` images: each NPU
  // segment runs its layers image after image against parameters loaded
  // once, the CPU segments run per image. A graph whose inputs already lead
  // with `batch` is compiled as it is.
  int batch = 1;
};

struct Placement {
  std::string node;    // Node::describe()
  std::string unit;    // "NPU" or "CPU"
  std::string reason;  // why a CPU node is not on the NPU
};

// The compiler's plan for one NPU layer, as `npusim compile` prints it.
struct LayerPlan {
  std::string segment, layer, op;
  std::string tiling;       // the chosen schedule, in words
  uint64_t dram_bytes = 0;  // bytes its DMA moves per run, every image of a batch (every PE)
  uint64_t sram_resident =
      0;  // bytes of tensors and parameters resident in SRAM at this layer (per PE)
  uint64_t sram_work = 0;  // bytes of its working area (per PE)
};

struct StageTime {
  std::string stage;
  double ms = 0;
};

struct CompileResult {
  isa::Program program;
  std::vector<Placement> placement;
  std::vector<StageTime> stages;
  uint64_t sram_peak = 0;         // bytes, the largest layer's SRAM plan (per PE)
  uint64_t dram_weights = 0;      // bytes of weights, biases and multiplier tables
  uint64_t dram_activations = 0;  // bytes of scratch + I/O areas
  std::vector<LayerPlan> layers;  // per NPU layer: schedule, DRAM traffic, SRAM
  uint64_t dram_traffic = 0;      // bytes moved by the NPU's DMA per run (one batch)
  int batch = 1;                  // images per run (CompileOptions::batch)
  Graph graph;                    // the graph as placed (after lowering)
};

// Compiles `g` (already imported). Throws CompileError naming the node, op
// and reason; refuses float-only graphs pointing to `npusim quantize`.
CompileResult compile(Graph g, const CompileOptions& options);

}  // namespace npusim::compiler
