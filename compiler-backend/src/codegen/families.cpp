// The registry of op families: each npusim-domain op of npu_op_list.hpp and
// the code generator that handles it (one file per family).
#include "families.hpp"

#include <map>

#include "npusim/compiler/npu_ops.hpp"

namespace npusim::compiler::codegen {
namespace {

const std::map<std::string, Family>& families() {
  static const std::map<std::string, Family> f = {
#define NPUSIM_FAMILY_OF(name, Attrs, golden, family) \
  {#name, {family##_unsupported, plan_##family, family##_traits, family##_min_work}},
      NPUSIM_NPU_OPS(NPUSIM_FAMILY_OF)
#undef NPUSIM_FAMILY_OF
  };
  return f;
}

}  // namespace

LayerTraits dram_only_traits(const Graph&, const Node& n) {
  LayerTraits t;
  t.sram_in.assign(n.inputs.size(), false);
  return t;
}

const Family* family_of(const Node& n) {
  if (n.domain != kNpuDomain) return nullptr;
  auto it = families().find(n.op);
  return it == families().end() ? nullptr : &it->second;
}

}  // namespace npusim::compiler::codegen
