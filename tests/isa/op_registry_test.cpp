// The opcode descriptors (isa/src/op_descriptor.hpp) and their table: every
// opcode of the opcode table has exactly its own descriptor, and a compute
// opcode has everything the verifier, the simulator and the cost model ask of
// it. The behaviour behind them is tested in kernels_test, verifier_test and
// tests/sim/timing_model_test.
#include <gtest/gtest.h>

#include "../../isa/src/op_descriptor.hpp"
#include "npusim/isa/instruction.hpp"

namespace npusim::isa {
namespace {

bool is_opcode(int value) {
  return find_opcode(static_cast<uint8_t>(value)) != nullptr;
}

TEST(OpRegistry, EveryOpcodeHasItsOwnDescriptorAndNothingElseHasOne) {
  for (int v = 0; v < 256; ++v) {
    const ops::OpDescriptor* d = ops::find(static_cast<Opcode>(v));
    if (!is_opcode(v)) {
      EXPECT_EQ(d, nullptr) << "value " << v;
      continue;
    }
    ASSERT_NE(d, nullptr) << info(static_cast<Opcode>(v)).mnemonic << " has no descriptor";
    EXPECT_EQ(static_cast<int>(d->opcode), v) << info(static_cast<Opcode>(v)).mnemonic;
  }
}

// The compute engine's opcodes are exactly the matrix and vector ones, and
// each has shape rules, access ranges, a kernel and its unit's cost inputs.
TEST(OpRegistry, ComputeOpcodesAreComplete) {
  for (const OpcodeInfo& op : all_opcodes()) {
    const ops::OpDescriptor& d = *ops::find(op.opcode);
    const bool compute = op.engines == kOnCompute;
    const bool unit = d.unit == ops::Unit::kMatrix || d.unit == ops::Unit::kVector;
    EXPECT_EQ(compute, unit) << op.mnemonic;
    EXPECT_EQ(compute, d.execute != nullptr) << op.mnemonic;
    EXPECT_EQ(compute, d.accesses != nullptr) << op.mnemonic;
    EXPECT_EQ(compute, d.shape != nullptr) << op.mnemonic;
    EXPECT_EQ(d.unit == ops::Unit::kMatrix, d.matrix_job != nullptr && d.macs != nullptr)
        << op.mnemonic;
    EXPECT_EQ(d.unit == ops::Unit::kVector, d.elements != nullptr) << op.mnemonic;
    if (d.unit == ops::Unit::kDma) {
      EXPECT_NE(d.rules, nullptr) << op.mnemonic;
    }
  }
}

}  // namespace
}  // namespace npusim::isa
