// The compiler side of the npusim-domain ops, built from the op files
// (npu_op_table.hpp), and checked against their golden functions.
#include "npu_op_table.hpp"

#include <stdexcept>

#include "npu_op_files.hpp"
#include "npusim/compiler/npu_ops.hpp"

namespace npusim::compiler {

void NpuOpTable::add_family(const std::string& op, const codegen::Family& family) {
  if (!families_.emplace(op, family).second)
    throw std::logic_error("npusim op " + op + " has two code generators");
}

void NpuOpTable::add_lowering(std::initializer_list<const char*> onnx_ops, lowering::Matcher rule) {
  for (const char* op : onnx_ops)
    if (!lowerings_.emplace(op, rule).second)
      throw std::logic_error(std::string("ONNX op ") + op + " has two lowering rules");
}

namespace {

NpuOpTable build() {
  NpuOpTable t;
  ops::Registry goldens;
  npu_ops::Goldens g(goldens);
#define NPUSIM_REGISTER_OP_FILE(name)   \
  npu_ops::register_compiler_##name(t); \
  npu_ops::register_golden_##name(g);
  NPUSIM_NPU_OP_FILES(NPUSIM_REGISTER_OP_FILE)
#undef NPUSIM_REGISTER_OP_FILE
  // An op is either complete (golden function and code generator) or not there.
  const std::string prefix = std::string(kNpuDomain) + ".";
  for (const auto& [key, fn] : goldens)
    if (key.rfind(prefix, 0) == 0 && !t.families().count(key.substr(prefix.size())))
      throw std::logic_error("npusim op " + key.substr(prefix.size()) +
                             " has a golden function but no code generator");
  for (const auto& [op, family] : t.families())
    if (!goldens.count(prefix + op))
      throw std::logic_error("npusim op " + op + " has a code generator but no golden function");
  return t;
}

}  // namespace

const NpuOpTable& npu_op_table() {
  static const NpuOpTable t = build();
  return t;
}

}  // namespace npusim::compiler
