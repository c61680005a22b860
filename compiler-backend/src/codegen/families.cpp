// The code generator of an npusim-domain node: the family its op file
// registered (npu_op_table.hpp).
#include "families.hpp"

#include "../npu_op_table.hpp"
#include "npusim/compiler/npu_ops.hpp"

namespace npusim::compiler::codegen {

LayerTraits dram_only_traits(const Graph&, const Node& n) {
  LayerTraits t;
  t.sram_in.assign(n.inputs.size(), false);
  return t;
}

const Family* family_of(const Node& n) {
  if (n.domain != kNpuDomain) return nullptr;
  const auto& families = npu_op_table().families();
  auto it = families.find(n.op);
  return it == families.end() ? nullptr : &it->second;
}

}  // namespace npusim::compiler::codegen
