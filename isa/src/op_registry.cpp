// The opcode descriptors (op_descriptor.hpp), each defined next to its
// kernel, registered in a table indexed by opcode from the one list in
// op_list.hpp. The table is constant-initialised: no start-up code and no
// initialisation-order question. tests/isa/op_registry_test.cpp checks that
// every opcode of the opcode table has its descriptor in its own slot.
#include "op_descriptor.hpp"

namespace npusim::isa::ops {

constinit const std::array<const OpDescriptor*, 256> kDescriptors = [] {
  std::array<const OpDescriptor*, 256> t{};
#define NPUSIM_OP(name) t[static_cast<uint8_t>(Opcode::k##name)] = &k##name##Op;
#include "op_list.hpp"
#undef NPUSIM_OP
  return t;
}();

}  // namespace npusim::isa::ops
