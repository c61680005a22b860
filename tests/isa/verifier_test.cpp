// The verifier: a valid program passes; each kind of problem produces a
// diagnostic naming segment, slot, engine, instruction index and field.
#include <gtest/gtest.h>

#include "npusim/isa/assembler.hpp"
#include "npusim/isa/verifier.hpp"

namespace npusim::isa {
namespace {

const HwParams kHw = preset("warboy");  // 16 MiB SRAM per PE, 32 semaphores
constexpr uint64_t kSram = 16ull << 20;

const std::string kValid = R"(
.io 2048
.scratch 4096
.weights 00112233
.input name=x shape=1x4x4x16 dtype=int8 offset=0
.output name=y shape=1x4x4x16 dtype=int8 offset=1024
.stream slot=0 engine=load
  dma.load dram_base=2 dram_off=0 sram=0 len0=256 cnt1=1 cnt2=1
  sem.signal sem=0
  end
.stream slot=0 engine=compute
  sem.wait sem=0
  vec.lut src=0 dst=0x1000 len=256 table=0x2000
  sem.signal sem=1
  end
.stream slot=0 engine=store
  sem.wait sem=1
  dma.store dram_base=2 dram_off=1024 sram=0x1000 len0=256 cnt1=1 cnt2=1
  irq code=1
  end
)";

// Diagnostics of a program made of `text`.
std::vector<Diagnostic> check(const std::string& text, const HwParams& hw = kHw) {
  return verify(assemble(text, "v.s"), hw);
}

std::string all(const std::vector<Diagnostic>& d) {
  std::string s;
  for (const auto& x : d) s += x.to_string() + "\n";
  return s;
}

// Exactly one diagnostic, at this place, whose message contains `part`.
void expect_one(const std::vector<Diagnostic>& d, int slot, Engine engine, long index,
                const std::string& field, const std::string& part) {
  ASSERT_EQ(d.size(), 1u) << all(d);
  EXPECT_EQ(d[0].segment, "main");
  EXPECT_EQ(d[0].slot, slot);
  if (slot >= 0) {
    EXPECT_EQ(d[0].engine, engine);
  }
  EXPECT_EQ(d[0].index, index) << d[0].to_string();
  EXPECT_EQ(d[0].field, field) << d[0].to_string();
  EXPECT_NE(d[0].message.find(part), std::string::npos) << d[0].to_string();
}

std::string compute(const std::string& body) {
  return ".stream slot=0 engine=compute\n" + body + "\nend\n";
}

TEST(Verifier, ValidProgramPasses) {
  EXPECT_TRUE(check(kValid).empty()) << all(check(kValid));
  EXPECT_NO_THROW(verify_or_throw(assemble(kValid), kHw));
}

TEST(Verifier, BadOpcodeNamesInstructionIndex) {
  Program p = assemble(compute("irq\nirq"));
  auto& words = std::get<NpuSegment>(p.segments[0]).streams[0][1];
  words[2] = 0x27f;  // second instruction: opcode 0x7f
  const auto d = verify(p, kHw);
  expect_one(d, 0, Engine::kCompute, 1, "", "unknown opcode 0x7f");
}

TEST(Verifier, WrongEngineIsNamed) {
  const auto d = check(".stream slot=0 engine=load\nmat.mm m=1 k=1 n=1\nend\n");
  expect_one(d, 0, Engine::kLoad, 0, "", "mat.mm cannot run on the load engine");
  const auto d2 = check(compute("dma.load len0=1 cnt1=1 cnt2=1"));
  expect_one(d2, 0, Engine::kCompute, 0, "", "dma.load cannot run on the compute engine");
}

TEST(Verifier, StreamMustEndWithEnd) {
  expect_one(check(".stream slot=0 engine=store\nirq\n"), 0, Engine::kStore, -1, "",
             "does not end with end");
  expect_one(check(".stream slot=0 engine=store\nend\nirq\n"), 0, Engine::kStore, 1, "",
             "instruction after end");
}

TEST(Verifier, SlotOneNeedsFusedMode) {
  expect_one(check(".stream slot=1 engine=load\nend\n"), 1, Engine::kLoad, -1, "",
             "slot 1 has a stream but the program is in single mode");
  EXPECT_TRUE(check(".mode fused\n.stream slot=1 engine=load\nend\n").empty());
}

TEST(Verifier, ComputeRangeOutsideSramNamesField) {
  // 256 bytes at 16 MiB - 128 run past the end of the SRAM.
  const auto d =
      check(compute("vec.lut src=0 dst=" + std::to_string(kSram - 128) + " len=256 table=0x100"));
  expect_one(d, 0, Engine::kCompute, 0, "dst", "lies outside the SRAM");
  const auto d2 = check(compute("vec.lut src=0 dst=0 len=16 table=" + std::to_string(kSram - 255)));
  expect_one(d2, 0, Engine::kCompute, 0, "table", "lies outside the SRAM");
  // Exactly up to the end is fine.
  EXPECT_TRUE(check(compute("vec.fill dst=" + std::to_string(kSram - 16) + " len=16")).empty());
  // vec.lutn reads `tables` tables of 256 bytes: three from 16 MiB - 768 fit, four do not.
  const std::string lutn = "vec.lutn src=0 dst=0x100 len=16 table=" + std::to_string(kSram - 768);
  EXPECT_TRUE(check(compute(lutn + " tables=3")).empty());
  expect_one(check(compute(lutn + " tables=4")), 0, Engine::kCompute, 0, "table",
             "lies outside the SRAM");
}

TEST(Verifier, MatrixOperandRangesAreChecked) {
  // 64x64x64 conv input at the very end of SRAM.
  const auto d = check(compute("mat.conv src=" + std::to_string(kSram - 100) +
                               " wgt=0 bias=0 dst=0x10000 in_h=8 in_w=8 in_c=64 out_c=64"
                               " k_h=1 k_w=1 stride_h=1 stride_w=1 dil_h=1 dil_w=1 groups=1"));
  expect_one(d, 0, Engine::kCompute, 0, "src", "outside the SRAM");
}

TEST(Verifier, FusedModeSlotsOwnTheirHalf) {
  const std::string slot1 = ".mode fused\n.stream slot=1 engine=compute\n";
  EXPECT_TRUE(check(slot1 + "vec.fill dst=" + std::to_string(kSram) + " len=16\nend\n").empty());
  const auto d = check(slot1 + "vec.fill dst=0x100 len=16\nend\n");
  expect_one(d, 1, Engine::kCompute, 0, "dst", "other PE's SRAM");
  const auto d2 =
      check(".mode fused\n" + compute("vec.fill dst=" + std::to_string(kSram) + " len=1"));
  expect_one(d2, 0, Engine::kCompute, 0, "dst", "other PE's SRAM");
  const auto d3 = check(slot1 + "vec.fill dst=" + std::to_string(2 * kSram - 1) + " len=2\nend\n");
  expect_one(d3, 1, Engine::kCompute, 0, "dst", "outside the SRAM");
}

TEST(Verifier, ShapeChecksNameTheField) {
  const std::string conv =
      "mat.conv src=0 wgt=0x1000 bias=0 dst=0x2000 in_h=4 in_w=4 in_c=6 out_c=6 k_h=1 k_w=1 "
      "stride_h=1 stride_w=1 dil_h=1 dil_w=1 ";
  EXPECT_TRUE(check(compute(conv + "groups=3")).empty()) << all(check(compute(conv + "groups=3")));
  const std::string conv9 =
      "mat.conv src=0 wgt=0x1000 bias=0 dst=0x2000 in_h=4 in_w=4 in_c=6 out_c=9 k_h=1 k_w=1 "
      "stride_h=1 stride_w=1 dil_h=1 dil_w=1 groups=6";
  expect_one(check(compute(conv9)), 0, Engine::kCompute, 0, "groups",
             "groups=6 does not divide out_c=9");
  EXPECT_TRUE(check(compute(conv + "groups=0")).empty()) << "groups=0 reads as 1";
  expect_one(check(compute("vec.requant src=0 dst=64 count=1 channels=1 clamp_lo=5 clamp_hi=4")), 0,
             Engine::kCompute, 0, "clamp_lo", "clamp_lo=5 is above clamp_hi=4");
  const std::string big_kernel =
      "mat.conv src=0 wgt=0x1000 bias=0 dst=0x2000 in_h=4 in_w=4 in_c=1 out_c=1 k_h=5 k_w=1 "
      "stride_h=1 stride_w=1 dil_h=1 dil_w=1 groups=1";
  expect_one(check(compute(big_kernel)), 0, Engine::kCompute, 0, "k_h", "output height is 0");
  expect_one(check(compute("vec.copy src=0 dst=64 elem=3 cnt0=1 cnt1=1 cnt2=1")), 0,
             Engine::kCompute, 0, "elem", "1, 2 or 4");
  expect_one(check(compute("vec.copy src=0 dst=64 elem=1 cnt0=1 cnt1=0 cnt2=1")), 0,
             Engine::kCompute, 0, "cnt1", ">= 1");
  expect_one(check(compute("vec.resize src=0 dst=0x100 in_h=2 in_w=2 in_c=1 out_h=4 out_w=4 "
                           "mode=5")),
             0, Engine::kCompute, 0, "mode", "resize mode");
  expect_one(check(compute("vec.pool src=0 dst=0x100 in_h=2 in_w=2 in_c=1 k_h=2 k_w=2 "
                           "stride_h=1 stride_w=0")),
             0, Engine::kCompute, 0, "stride_w", ">= 1");
  expect_one(check(compute("vec.pool src=0 dst=0x100 in_h=2 in_w=2 in_c=1 k_h=2 k_w=2 "
                           "stride_h=1 stride_w=1 mode=2")),
             0, Engine::kCompute, 0, "mode", "pool mode");
  expect_one(check(compute("mat.mm src=0 wgt=0 bias=0 dst=0x100 m=0 k=1 n=1")), 0, Engine::kCompute,
             0, "m", ">= 1");
  expect_one(check(compute("vec.lutn src=0 dst=0x100 len=4 table=0x200 tables=0")), 0,
             Engine::kCompute, 0, "tables", ">= 1");
}

TEST(Verifier, DmaRangesUseTheThreeDExtent) {
  // 4 rows of 16 bytes, dstride1 = 100: extent 3*100 + 16 = 316 bytes of scratch.
  const std::string head = ".scratch 316\n.stream slot=0 engine=load\n";
  const std::string dma = "dma.load dram_base=1 len0=16 cnt1=4 cnt2=1 dstride1=100 sstride1=16 ";
  EXPECT_TRUE(check(head + dma + "dram_off=0\nend\n").empty());
  expect_one(check(head + dma + "dram_off=1\nend\n"), 0, Engine::kLoad, 0, "dram_off",
             "DRAM range [1, 317) of base 1 exceeds its size 316");
  expect_one(check(head + "dma.load dram_base=1 len0=16 cnt1=0 cnt2=1\nend\n"), 0, Engine::kLoad, 0,
             "cnt1", ">= 1");
  // SRAM side: cnt2 planes of sstride2.
  const std::string sram_dma =
      "dma.load dram_base=1 len0=4 cnt1=1 cnt2=2 sstride2=" + std::to_string(kSram - 4) + " sram=1";
  expect_one(check(head + sram_dma + "\nend\n"), 0, Engine::kLoad, 0, "sram", "outside the SRAM");
}

TEST(Verifier, DmaBasesHaveTheirSizes) {
  const std::string head = ".weights 0011223344\n.stream slot=0 engine=store\n";
  EXPECT_TRUE(check(head + "dma.store dram_base=0 len0=5 cnt1=1 cnt2=1\nend\n").empty());
  expect_one(check(head + "dma.store dram_base=0 len0=6 cnt1=1 cnt2=1\nend\n"), 0, Engine::kStore,
             0, "dram_off", "exceeds its size 5");
  expect_one(check(head + "dma.store dram_base=2 len0=1 cnt1=1 cnt2=1\nend\n"), 0, Engine::kStore,
             0, "dram_off", "exceeds its size 0");
  expect_one(check(head + "dma.store dram_base=3 len0=1 cnt1=1 cnt2=1\nend\n"), 0, Engine::kStore,
             0, "dram_base", "no size known");
}

TEST(Verifier, HostDmaChecks) {
  const std::string head = ".io 64\n.stream slot=0 engine=load\n";
  EXPECT_TRUE(
      check(head + "dma.h2d host_base=3 host_off=0x1000 dram_base=2 len=64\nend\n").empty());
  expect_one(check(head + "dma.h2d dram_base=2 len=0\nend\n"), 0, Engine::kLoad, 0, "len", ">= 1");
  expect_one(check(head + "dma.d2h dram_base=2 dram_off=1 len=64\nend\n"), 0, Engine::kLoad, 0,
             "dram_off", "exceeds its size 64");
}

TEST(Verifier, SemaphoreIndexAndTarget) {
  expect_one(check(compute("sem.signal sem=32")), 0, Engine::kCompute, 0, "sem",
             "semaphore 32 does not exist (num_semaphores=32)");
  expect_one(check(compute("sem.signal sem=1 target=1")), 0, Engine::kCompute, 0, "target",
             "only valid in fused mode");
}

TEST(Verifier, SemaphoreImbalanceIsADeadlock) {
  const std::string text = R"(
.stream slot=0 engine=load
  sem.signal sem=2
  end
.stream slot=0 engine=compute
  irq
  sem.wait sem=2
  sem.wait sem=2
  end
)";
  expect_one(check(text), 0, Engine::kCompute, 1, "sem",
             "semaphore 2 on slot 0 is waited 2 times but signalled 1 times (deadlock)");
}

TEST(Verifier, CrossPeSignalsBalanceInFusedMode) {
  const std::string text = R"(
.mode fused
.stream slot=0 engine=store
  sem.signal sem=4 target=1
  end
.stream slot=1 engine=load
  sem.wait sem=4
  end
)";
  EXPECT_TRUE(check(text).empty()) << all(check(text));
  // The same wait on slot 0 is not satisfied by a signal aimed at slot 1.
  const std::string wrong = text + ".stream slot=0 engine=load\nsem.wait sem=4\nend\n";
  expect_one(check(wrong), 0, Engine::kLoad, 0, "sem", "semaphore 4 on slot 0 is waited 1 times");
}

TEST(Verifier, IoTableMustFitIoBytes) {
  EXPECT_TRUE(check(".io 1024\n.input name=x shape=1x8x8x16 dtype=int8 offset=0\n").empty());
  const auto d = check(".io 1000\n.input name=x shape=1x8x8x16 dtype=int8 offset=0\n");
  ASSERT_EQ(d.size(), 1u) << all(d);
  EXPECT_EQ(d[0].slot, -1);
  EXPECT_EQ(d[0].field, "io_offset");
  EXPECT_EQ(d[0].to_string(),
            "segment 'main' field io_offset: input 'x' at [0, 1024) exceeds io_bytes=1000");
  const auto d2 = check(".io 1000\n.output name=y shape=10x10 dtype=float32 offset=700\n");
  ASSERT_EQ(d2.size(), 1u) << all(d2);
  EXPECT_EQ(d2[0].to_string(),
            "segment 'main' field io_offset: output 'y' at [700, 1100) exceeds io_bytes=1000");
}

TEST(Verifier, DiagnosticTextNamesEverything) {
  const auto d = check(compute("vec.fill dst=0x100 len=0"));
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].to_string(),
            "segment 'main' slot 0 compute instruction 0 field len: len must be >= 1 (got 0)");
}

TEST(Verifier, VerifyOrThrowReportsTheFirstProblem) {
  try {
    verify_or_throw(assemble(compute("vec.fill len=0\nvec.fill len=0")), kHw);
    FAIL() << "expected ProgramError";
  } catch (const ProgramError& e) {
    EXPECT_EQ(std::string(e.what()),
              "program rejected: segment 'main' slot 0 compute instruction 0 field len: len "
              "must be >= 1 (got 0) (and 1 more)");
  }
}

TEST(Verifier, UsesTheGivenHardware) {
  HwParams small = kHw;
  set_param(small, "sram_per_pe", "64KiB");
  const std::string text = compute("vec.fill dst=0x10000 len=1");
  EXPECT_TRUE(check(text).empty());
  expect_one(check(text, small), 0, Engine::kCompute, 0, "dst", "outside the SRAM");
}

}  // namespace
}  // namespace npusim::isa
