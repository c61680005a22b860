// Internal: the compiler side of every npusim-domain op, as the op files
// register it (npu_op.hpp): the code generator family that plans and emits
// each op, and the lowering rule of each ONNX op type that lowering turns
// into npusim ops. Lowering (lower_quantized.cpp) and code generation
// (codegen/families.cpp) read it; nothing lists the ops by hand.
#pragma once

#include <initializer_list>
#include <map>
#include <string>

#include "codegen/families.hpp"
#include "npu_op_names.hpp"
#include "qdq_match.hpp"

namespace npusim::compiler {

class NpuOpTable {
 public:
  // `op` (an npusim op) is planned and emitted by `family`.
  void add_family(const std::string& op, const codegen::Family& family);
  // Nodes of these ONNX op types (default domain) are offered to `rule`.
  void add_lowering(std::initializer_list<const char*> onnx_ops, lowering::Matcher rule);

  const std::map<std::string, codegen::Family>& families() const { return families_; }
  const std::map<std::string, lowering::Matcher>& lowerings() const { return lowerings_; }

 private:
  std::map<std::string, codegen::Family> families_;
  std::map<std::string, lowering::Matcher> lowerings_;
};

// Built once from register_compiler_<name> of every op file (npu_op_files.hpp);
// throws std::logic_error if an op has a golden function but no code
// generator or the reverse, or if two files claim one op or ONNX op type.
const NpuOpTable& npu_op_table();

namespace npu_ops {
// The compiler side of src/npu_ops/<name>.hpp: one function per op file.
#define NPUSIM_DECLARE_COMPILER_SIDE(name) void register_compiler_##name(NpuOpTable& t);
NPUSIM_NPU_OP_FILES(NPUSIM_DECLARE_COMPILER_SIDE)
#undef NPUSIM_DECLARE_COMPILER_SIDE
}  // namespace npu_ops

}  // namespace npusim::compiler
