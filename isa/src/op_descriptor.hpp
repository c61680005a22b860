// Internal: one descriptor per opcode, holding what isa/ knows of an
// instruction beyond its fields (those are in opcode_table.cpp): the
// verifier's rules, the SRAM ranges it touches, its kernel, its work and the
// inputs of its cost. Each descriptor is defined next to its kernel
// (kernel_<family>.cpp, op_dma.cpp, op_control.cpp) and registered by one
// line in op_list.hpp; the verifier, kernels::accesses/execute/mac_count/
// vector_elements and the cost model dispatch through the table instead of
// switching over opcodes. docs/isa.md, "Adding an instruction".
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "npusim/isa/instruction.hpp"
#include "npusim/isa/kernels.hpp"
#include "verifier_rules.hpp"

namespace npusim::isa::ops {

// Which unit executes an instruction: the matrix and vector units run the
// kernels and are charged by the cost model (docs/timing.md); DMA and control
// instructions are carried out by the simulator's engines.
enum class Unit : uint8_t { kControl, kDma, kMatrix, kVector };

// Collects an instruction's SRAM ranges, skipping empty ones (a zero-sized
// access touches nothing).
struct AccessBuilder {
  kernels::Accesses a;
  void read(int64_t begin, uint64_t bytes) {
    if (bytes) a.reads[a.num_reads++] = {uint64_t(begin), uint64_t(begin) + bytes};
  }
  void write(int64_t begin, uint64_t bytes) {
    if (bytes) a.writes[a.num_writes++] = {uint64_t(begin), uint64_t(begin) + bytes};
  }
};

// A GEMM-shaped job for the matrix unit: `groups` independent products, each
// reducing over `reduction` and producing `outputs` channels for `pixels`
// rows. The matrix unit's cost model (cost_model.cpp) works on this alone.
struct MatrixJob {
  uint64_t groups = 0, reduction = 0, outputs = 0, pixels = 0;
};

// A null member means the instruction has none of it (no shape rules, no SRAM
// accesses, no kernel, ...). Plain function pointers: dispatch is one load
// and an indirect call, as cheap as the switches it replaced.
struct OpDescriptor {
  Opcode opcode;
  Unit unit;
  // Verifier: shape rules that accesses() and the kernel rely on (sizes,
  // strides, modes); each problem names its field. Also the simulator's
  // illegal-instruction check (isa::shape_problem).
  void (*shape)(const Instruction&, std::vector<verify_detail::Issue>&) = nullptr;
  // Verifier: rules that need the program's context (DMA ranges against the
  // DRAM bases, semaphores), run after the shape rules and SRAM ranges pass.
  void (*rules)(const Instruction&, verify_detail::Checker&) = nullptr;
  // The SRAM ranges the compute unit reads and writes (kernels::accesses).
  void (*accesses)(const Instruction&, AccessBuilder&) = nullptr;
  // The kernel: executes the instruction on SRAM bytes (kernels::execute).
  void (*execute)(const Instruction&, kernels::Bytes) = nullptr;
  // Matrix unit: multiply-accumulates (kernels::mac_count) and the job the
  // cost model charges.
  uint64_t (*macs)(const Instruction&) = nullptr;
  MatrixJob (*matrix_job)(const Instruction&) = nullptr;
  // Vector unit: elements processed (kernels::vector_elements), and the
  // lane-slots they take given that count; null means one slot each.
  uint64_t (*elements)(const Instruction&) = nullptr;
  uint64_t (*lane_work)(const Instruction&, uint64_t elements) = nullptr;
};

// The descriptors (op_list.hpp), each defined next to its kernel.
#define NPUSIM_OP(name) extern const OpDescriptor k##name##Op;
#include "op_list.hpp"
#undef NPUSIM_OP

// The table, indexed by opcode value (op_registry.cpp); null for values that
// are no opcode.
extern const std::array<const OpDescriptor*, 256> kDescriptors;

inline const OpDescriptor* find(Opcode op) {
  return kDescriptors[static_cast<uint8_t>(op)];
}

}  // namespace npusim::isa::ops
