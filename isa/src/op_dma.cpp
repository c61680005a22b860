// The DMA instructions' descriptors: the simulator's load and store engines
// move their bytes (sim/), so isa/ holds only their verifier rules
// (docs/isa.md, "Verification", DMA).
#include <string>

#include "op_descriptor.hpp"

namespace npusim::isa::ops {
namespace {

using F = Field;
using verify_detail::at_least_1;
using verify_detail::Checker;
using verify_detail::Issue;

// dma.load / dma.store: a strided 3-D walk on both sides, within the slot's
// own SRAM and the DRAM window of its base.
void strided_dma_rules(const Instruction& in, Checker& c) {
  std::vector<Issue> issues;
  at_least_1(in, {F::kLen0, F::kCnt1, F::kCnt2}, issues);
  for (const auto& i : issues) c.report(i.field, i.message);
  if (!issues.empty()) return;
  if (in.u(F::kCnt1) * in.u(F::kCnt2) > kMaxDmaRows)
    return c.report(F::kCnt2, "cnt1 * cnt2 = " + std::to_string(in.u(F::kCnt1) * in.u(F::kCnt2)) +
                                  " rows exceeds the limit of " + std::to_string(kMaxDmaRows));
  // Extent of the 3-D walk: offset of the last row plus its length. Field
  // widths (<= 40 + 16 bits) keep this inside 64 bits.
  const auto extent = [&](F s1, F s2) {
    return (in.u(F::kCnt2) - 1) * in.u(s2) + (in.u(F::kCnt1) - 1) * in.u(s1) + in.u(F::kLen0);
  };
  c.check_dram(in.u(F::kDramBase), in.u(F::kDramOff), extent(F::kDStride1, F::kDStride2));
  const uint64_t sram = in.u(F::kSram);
  c.check_sram(F::kSram, sram, sram + extent(F::kSStride1, F::kSStride2));
}

// The host base registers are the same four base[] values as the DRAM ones.
constexpr uint64_t kNumBases = 4;

// dma.h2d / dma.d2h: the DRAM side within its base; the host side is checked
// by the device against mapped memory at run time.
void host_dma_rules(const Instruction& in, Checker& c) {
  if (in[F::kLen] < 1) return c.report(F::kLen, "len must be >= 1");
  if (in.u(F::kHostBase) >= kNumBases) return c.report(F::kHostBase, "host base must be < 4");
  c.check_dram(in.u(F::kDramBase), in.u(F::kDramOff), in.u(F::kLen));
}

}  // namespace

constinit const OpDescriptor kDmaLoadOp{
    .opcode = Opcode::kDmaLoad, .unit = Unit::kDma, .rules = strided_dma_rules};
constinit const OpDescriptor kDmaStoreOp{
    .opcode = Opcode::kDmaStore, .unit = Unit::kDma, .rules = strided_dma_rules};
constinit const OpDescriptor kDmaH2DOp{
    .opcode = Opcode::kDmaH2D, .unit = Unit::kDma, .rules = host_dma_rules};
constinit const OpDescriptor kDmaD2HOp{
    .opcode = Opcode::kDmaD2H, .unit = Unit::kDma, .rules = host_dma_rules};

}  // namespace npusim::isa::ops
