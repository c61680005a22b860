// Internal: the op families' code generators, one file each, as
// npu_segment.cpp dispatches them.
#pragma once

#include <string>

#include "layer.hpp"

namespace npusim::compiler::codegen {

struct Family {
  // Why the node cannot run on the NPU of `hw` (attributes, shapes, SRAM), or "".
  std::string (*unsupported)(const Graph& g, const Node& n, const isa::HwParams& hw);
  LayerCode (*plan)(const LayerEnv& e);
};

// QAdd, QMul (binary_codegen.cpp)
std::string binary_unsupported(const Graph& g, const Node& n, const isa::HwParams& hw);
LayerCode plan_binary(const LayerEnv& e);
// QLut (lut_codegen.cpp)
std::string lut_unsupported(const Graph& g, const Node& n, const isa::HwParams& hw);
LayerCode plan_lut(const LayerEnv& e);
// QPool (pool_codegen.cpp)
std::string pool_unsupported(const Graph& g, const Node& n, const isa::HwParams& hw);
LayerCode plan_pool(const LayerEnv& e);
// QConcat, QSplit (concat_codegen.cpp)
std::string concat_unsupported(const Graph& g, const Node& n, const isa::HwParams& hw);
LayerCode plan_concat(const LayerEnv& e);
// QResize (resize_codegen.cpp)
std::string resize_unsupported(const Graph& g, const Node& n, const isa::HwParams& hw);
LayerCode plan_resize(const LayerEnv& e);
// QPad (pad_codegen.cpp)
std::string pad_unsupported(const Graph& g, const Node& n, const isa::HwParams& hw);
LayerCode plan_pad(const LayerEnv& e);
// QPermute (permute_codegen.cpp)
std::string permute_unsupported(const Graph& g, const Node& n, const isa::HwParams& hw);
LayerCode plan_permute(const LayerEnv& e);

}  // namespace npusim::compiler::codegen
