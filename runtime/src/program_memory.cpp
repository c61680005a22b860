#include "npusim/runtime/program_memory.hpp"

#include <algorithm>

#include "npusim/isa/kernels.hpp"

namespace npusim::runtime {

namespace {

using isa::Field;
using isa::Opcode;

// The end of the SRAM range an instruction touches, in its program's address
// view (fused programs see both PEs' SRAM one after the other).
uint64_t sram_end(const isa::Instruction& in) {
  if (in.op == Opcode::kDmaLoad || in.op == Opcode::kDmaStore) {
    const uint64_t c1 = in.u(Field::kCnt1), c2 = in.u(Field::kCnt2);
    if (c1 == 0 || c2 == 0) return 0;
    return in.u(Field::kSram) + (c2 - 1) * in.u(Field::kSStride2) +
           (c1 - 1) * in.u(Field::kSStride1) + in.u(Field::kLen0);
  }
  const uint8_t code = static_cast<uint8_t>(in.op);
  if (code < 0x10 || code >= 0x30) return 0;  // host DMA, synchronisation
  const isa::kernels::Accesses acc = isa::kernels::accesses(in);
  uint64_t end = 0;
  for (int i = 0; i < acc.num_reads; ++i) end = std::max<uint64_t>(end, acc.reads[i].end);
  for (int i = 0; i < acc.num_writes; ++i) end = std::max<uint64_t>(end, acc.writes[i].end);
  return end;
}

}  // namespace

uint64_t sram_high_water(const isa::Program& p) {
  const uint64_t size = p.hw.sram_per_pe;
  uint64_t high = 0;
  for (const auto& seg : p.segments) {
    const auto* npu = std::get_if<isa::NpuSegment>(&seg);
    if (!npu) continue;
    for (const auto& slot : npu->streams)
      for (const auto& words : slot)
        for (const isa::Instruction& in : isa::decode(words)) {
          const uint64_t end = sram_end(in);
          if (end == 0) continue;
          // An address in the partner's SRAM counts against that PE's.
          const uint64_t local = end - ((end - 1) / size) * size;
          high = std::max(high, local);
        }
  }
  return high;
}

}  // namespace npusim::runtime
