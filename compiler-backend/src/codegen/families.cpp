// The registry of op families: each npusim-domain op and the code generator
// that handles it (one file per family).
#include "families.hpp"

#include <map>

#include "npusim/compiler/npu_ops.hpp"

namespace npusim::compiler::codegen {
namespace {

const std::map<std::string, Family>& families() {
  static const std::map<std::string, Family> f = {
      {"QConv", {conv_unsupported, plan_conv, conv_traits, conv_min_work}},  // conv_codegen.cpp
      {"QAdd", {binary_unsupported, plan_binary, binary_traits, binary_min_work}},
      {"QMul", {binary_unsupported, plan_binary, binary_traits, binary_min_work}},
      {"QLut", {lut_unsupported, plan_lut, lut_traits, lut_min_work}},
      {"QPool", {pool_unsupported, plan_pool, pool_traits, pool_min_work}},
      {"QConcat", {concat_unsupported, plan_concat, concat_traits, concat_min_work}},
      {"QSplit", {concat_unsupported, plan_concat, concat_traits, concat_min_work}},
      {"QResize", {resize_unsupported, plan_resize, resize_traits, resize_min_work}},
      {"QPermute", {permute_unsupported, plan_permute, dram_only_traits, permute_min_work}},
      {"QPad", {pad_unsupported, plan_pad, dram_only_traits, pad_min_work}},
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
