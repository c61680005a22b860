// kernels::execute: dispatch of a compute instruction to its kernel.
#include <string>

#include "kernel_impl.hpp"

namespace npusim::isa::kernels {

void execute(const Instruction& in, Bytes sram) {
  using namespace detail;
  switch (in.op) {
    case Opcode::kMatConv:
      return exec_conv(in, sram);
    case Opcode::kMatMul:
      return exec_matmul(in, sram);
    case Opcode::kVecRequant:
      return exec_requant(in, sram);
    case Opcode::kVecAdd:
      return exec_add(in, sram);
    case Opcode::kVecMul:
      return exec_mul(in, sram);
    case Opcode::kVecLut:
      return exec_lut(in, sram);
    case Opcode::kVecLutN:
      return exec_lut_n(in, sram);
    case Opcode::kVecPool:
      return exec_pool(in, sram);
    case Opcode::kVecCopy:
      return exec_copy(in, sram);
    case Opcode::kVecFill:
      return exec_fill(in, sram);
    case Opcode::kVecResize:
      return exec_resize(in, sram);
    default:
      break;
  }
  const OpcodeInfo* i = find_opcode(static_cast<uint8_t>(in.op));
  throw IsaError("kernels::execute: " + std::string(i ? i->mnemonic : "unknown opcode") +
                 " is not a compute instruction");
}

}  // namespace npusim::isa::kernels
