// kernels::execute: a compute instruction runs the kernel of its descriptor.
#include <string>

#include "op_descriptor.hpp"

namespace npusim::isa::kernels {

void execute(const Instruction& in, Bytes sram) {
  const ops::OpDescriptor* d = ops::find(in.op);
  if (d && d->execute) return d->execute(in, sram);
  const OpcodeInfo* i = find_opcode(static_cast<uint8_t>(in.op));
  throw IsaError("kernels::execute: " + std::string(i ? i->mnemonic : "unknown opcode") +
                 " is not a compute instruction");
}

}  // namespace npusim::isa::kernels
