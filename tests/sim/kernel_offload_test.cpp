// KernelOffload: kernels run on a host thread per PE, and every other access
// that conflicts with the bytes they touch waits for them, so results are
// those of running each kernel at once. execute_checked: the footprint check
// that makes this exact (a kernel keeps to kernels::accesses()).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <random>
#include <stdexcept>
#include <thread>
#include <vector>

#include "kernel_check.hpp"
#include "kernel_offload.hpp"
#include "npusim/isa/assembler.hpp"
#include "npusim/isa/verifier.hpp"

namespace npusim::sim {
namespace {

using namespace std::chrono_literals;
using isa::kernels::Accesses;
using Mode = KernelOffload::Mode;

// A footprint over `sram`: reads [r0, r1), writes [w0, w1) (empty: none).
KernelOffload::Footprint footprint(const std::vector<uint8_t>& sram, uint64_t r0, uint64_t r1,
                                   uint64_t w0, uint64_t w1) {
  Accesses a;
  if (r1 > r0) a.reads[a.num_reads++] = {r0, r1};
  if (w1 > w0) a.writes[a.num_writes++] = {w0, w1};
  return {sram.data(), a};
}

// A kernel that holds on until released, then writes `value` to `cell`.
struct SlowWrite {
  std::atomic<bool>& release;
  uint8_t& cell;
  uint8_t value;
  void operator()() const {
    while (!release) std::this_thread::sleep_for(1ms);
    cell = value;
  }
};

// Releases `release` after a while, from another thread.
std::thread release_later(std::atomic<bool>& release) {
  return std::thread([&release] {
    std::this_thread::sleep_for(20ms);
    release = true;
  });
}

TEST(KernelOffload, KernelsRunOnAnotherThread) {
  KernelOffload offload(Mode::kThreads);
  std::thread::id ran_on;
  offload.start(0, [&] { ran_on = std::this_thread::get_id(); }, {});
  offload.finish(0);
  EXPECT_NE(ran_on, std::this_thread::get_id());
  EXPECT_EQ(offload.offloaded(), 1u);
}

// The kernel has been handed to its thread and is running: finish() still
// waits for its end, not just for the thread to pick it up.
TEST(KernelOffload, FinishWaitsForTheKernelsEndNotItsStart) {
  KernelOffload offload(Mode::kThreads);
  std::vector<uint8_t> sram(64, 0);
  std::atomic<bool> release{false};
  offload.start(0, SlowWrite{release, sram[10], 7}, footprint(sram, 0, 0, 8, 16));
  std::this_thread::sleep_for(5ms);  // the thread has taken the kernel
  std::thread releaser = release_later(release);
  offload.finish(0);
  EXPECT_EQ(sram[10], 7);
  releaser.join();
}

TEST(KernelOffload, AReadOfBytesTheKernelWritesWaitsForIt) {
  KernelOffload offload(Mode::kThreads);
  std::vector<uint8_t> sram(64, 0);
  std::atomic<bool> release{false};
  offload.start(0, SlowWrite{release, sram[10], 7}, footprint(sram, 0, 0, 8, 16));
  std::thread releaser = release_later(release);
  offload.before_access(&sram[15], &sram[20], false);  // overlaps [8, 16): waits
  EXPECT_EQ(sram[10], 7);
  releaser.join();
  offload.finish(0);
}

TEST(KernelOffload, AWriteToBytesTheKernelReadsWaitsForIt) {
  KernelOffload offload(Mode::kThreads);
  std::vector<uint8_t> sram(64, 0);
  std::atomic<bool> release{false};
  offload.start(0, SlowWrite{release, sram[40], 7}, footprint(sram, 0, 8, 40, 41));
  std::thread releaser = release_later(release);
  offload.before_access(&sram[4], &sram[5], true);
  EXPECT_EQ(sram[40], 7);
  releaser.join();
  offload.finish(0);
}

TEST(KernelOffload, NoWaitForAReadOfBytesTheKernelOnlyReadsNorForOtherBytes) {
  KernelOffload offload(Mode::kThreads);
  std::vector<uint8_t> sram(64, 0);
  std::atomic<bool> release{false};
  offload.start(1, SlowWrite{release, sram[10], 7}, footprint(sram, 0, 8, 8, 16));
  offload.before_access(&sram[0], &sram[8], false);   // only read by the kernel
  offload.before_access(&sram[16], &sram[32], true);  // adjacent, not overlapping
  EXPECT_EQ(sram[10], 0);
  release = true;
  offload.finish(1);
  EXPECT_EQ(sram[10], 7);
}

TEST(KernelOffload, TwoPesKernelsRunAtOnce) {
  KernelOffload offload(Mode::kThreads);
  std::atomic<int> arrived{0};
  std::atomic<bool> met{false};
  // Each waits (up to 10 s) for the other to be running too.
  auto kernel = [&] {
    ++arrived;
    const auto until = std::chrono::steady_clock::now() + 10s;
    while (arrived < 2 && std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_for(1ms);
    if (arrived == 2) met = true;
  };
  offload.start(0, kernel, {});
  offload.start(1, kernel, {});
  offload.finish(0);
  offload.finish(1);
  EXPECT_TRUE(met);
}

TEST(KernelOffload, AKernelsErrorReachesItsFinishNotAnAccess) {
  KernelOffload offload(Mode::kThreads);
  std::vector<uint8_t> sram(16, 0);
  offload.start(
      0, [] { throw std::runtime_error("cannot execute"); }, footprint(sram, 0, 0, 0, 16));
  EXPECT_NO_THROW(offload.before_access(&sram[0], &sram[1], true));
  EXPECT_THROW(offload.finish(0), std::runtime_error);
  EXPECT_NO_THROW(offload.finish(0));  // reported once
}

TEST(KernelOffload, ResetWaitsAndDropsErrors) {
  KernelOffload offload(Mode::kThreads);
  std::vector<uint8_t> sram(64, 0);
  std::atomic<bool> release{false};
  offload.start(0, SlowWrite{release, sram[3], 9}, footprint(sram, 0, 0, 0, 8));
  offload.start(1, [] { throw std::runtime_error("abandoned"); }, {});
  std::thread releaser = release_later(release);
  offload.reset();
  EXPECT_EQ(sram[3], 9);
  EXPECT_NO_THROW(offload.finish(1));
  releaser.join();
}

TEST(KernelOffload, InlineRunsEachKernelAtOnce) {
  KernelOffload offload(Mode::kInline);
  std::thread::id ran_on;
  offload.start(0, [&] { ran_on = std::this_thread::get_id(); }, {});
  EXPECT_EQ(ran_on, std::this_thread::get_id());
  EXPECT_EQ(offload.offloaded(), 0u);
  EXPECT_THROW(offload.start(0, [] { throw std::runtime_error("x"); }, {}), std::runtime_error);
}

// A kernel too small to pay for the hand-over runs at once, on this thread
// (with kAllThreads, on its PE's).
TEST(KernelOffload, SmallKernelsRunAtOnce) {
  KernelOffload offload(Mode::kThreads);
  std::thread::id ran_on;
  offload.start(
      0, [&] { ran_on = std::this_thread::get_id(); }, {}, false);
  EXPECT_EQ(ran_on, std::this_thread::get_id());
  EXPECT_EQ(offload.offloaded(), 0u);
  KernelOffload all(Mode::kAllThreads);
  all.start(
      0, [&] { ran_on = std::this_thread::get_id(); }, {}, false);
  all.finish(0);
  EXPECT_NE(ran_on, std::this_thread::get_id());
  using F = isa::Field;
  EXPECT_FALSE(KernelOffload::worth_a_thread(
      isa::make(isa::Opcode::kVecFill, {{F::kDst, 0}, {F::kLen, 4096}})));
  EXPECT_TRUE(KernelOffload::worth_a_thread(
      isa::make(isa::Opcode::kVecFill, {{F::kDst, 0}, {F::kLen, 1 << 20}})));
  EXPECT_TRUE(KernelOffload::worth_a_thread(
      isa::make(isa::Opcode::kMatMul, {{F::kM, 256}, {F::kK, 64}, {F::kN, 64}})));
}

// kCheck runs a kernel as late as it may: at the first conflicting access.
TEST(KernelOffload, CheckModeRunsAKernelAtItsFirstConflictingAccess) {
  KernelOffload offload(Mode::kCheck);
  std::vector<uint8_t> sram(64, 0);
  int runs = 0;
  offload.start(
      0, [&] { sram[10] = uint8_t(++runs); }, footprint(sram, 0, 8, 8, 16));
  offload.before_access(&sram[0], &sram[8], false);
  offload.before_access(&sram[16], &sram[24], true);
  EXPECT_EQ(runs, 0);
  offload.before_access(&sram[10], &sram[11], false);
  EXPECT_EQ(runs, 1);
  offload.finish(0);
  EXPECT_EQ(runs, 1);
  offload.start(0, [&] { ++runs; }, {});
  offload.finish(0);
  EXPECT_EQ(runs, 2);
}

TEST(KernelOffload, ModeFromItsEnvironmentValue) {
  EXPECT_EQ(KernelOffload::parse_mode("1"), Mode::kThreads);
  EXPECT_EQ(KernelOffload::parse_mode("0"), Mode::kInline);
  EXPECT_EQ(KernelOffload::parse_mode("check"), Mode::kCheck);
  EXPECT_EQ(KernelOffload::parse_mode("all"), Mode::kAllThreads);
  try {
    KernelOffload::parse_mode("yes");
    FAIL() << "no error";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("NPUSIM_KERNEL_THREADS"), std::string::npos) << e.what();
  }
}

// vec.copy of 4 bytes from 8 to 32.
isa::Instruction copy4() {
  using F = isa::Field;
  return isa::make(isa::Opcode::kVecCopy, {{F::kSrc, 8},
                                           {F::kDst, 32},
                                           {F::kElem, 1},
                                           {F::kCnt0, 4},
                                           {F::kCnt1, 1},
                                           {F::kCnt2, 1},
                                           {F::kSrcS0, 1},
                                           {F::kDstS0, 1}});
}

TEST(KernelFootprint, AKernelWithinItsRangesPasses) {
  std::vector<uint8_t> sram(64);
  for (size_t i = 0; i < sram.size(); ++i) sram[i] = uint8_t(i);
  const isa::Instruction in = copy4();
  EXPECT_EQ(execute_checked(in, sram, isa::kernels::accesses(in)), "");
  EXPECT_EQ(sram[32], 8);
  EXPECT_EQ(sram[35], 11);
  EXPECT_EQ(sram[36], 36);
}

TEST(KernelFootprint, AWriteOutsideTheDeclaredRangesIsFound) {
  std::vector<uint8_t> sram(64);
  for (size_t i = 0; i < sram.size(); ++i) sram[i] = uint8_t(i);
  const isa::Instruction in = copy4();
  Accesses narrow = isa::kernels::accesses(in);
  narrow.writes[0].end = 34;  // the kernel writes [32, 36)
  const std::string problem = execute_checked(in, sram, narrow);
  EXPECT_NE(problem.find("SRAM byte 34 changed"), std::string::npos) << problem;
  EXPECT_NE(problem.find("vec.copy"), std::string::npos) << problem;
}

// With a margin only the bytes near each range are compared (as the PE's
// check does on a 16 MiB SRAM): the stray write at 34 is 0 bytes from [32, 34).
TEST(KernelFootprint, AMarginStillFindsAStrayWriteNearARange) {
  std::vector<uint8_t> sram(4096);
  for (size_t i = 0; i < sram.size(); ++i) sram[i] = uint8_t(i);
  const isa::Instruction in = copy4();
  Accesses narrow = isa::kernels::accesses(in);
  narrow.writes[0].end = 34;
  EXPECT_NE(execute_checked(in, sram, narrow, 2).find("SRAM byte 34 changed"), std::string::npos);
  for (size_t i = 0; i < sram.size(); ++i) sram[i] = uint8_t(i);
  narrow = isa::kernels::accesses(in);
  narrow.reads[0].begin = 9;
  EXPECT_NE(execute_checked(in, sram, narrow, 2).find("SRAM byte 32 of its result depends"),
            std::string::npos);
  EXPECT_EQ(execute_checked(in, sram, isa::kernels::accesses(in), 2), "");
}

TEST(KernelFootprint, AReadOutsideTheDeclaredRangesIsFound) {
  std::vector<uint8_t> sram(64);
  for (size_t i = 0; i < sram.size(); ++i) sram[i] = uint8_t(i);
  const isa::Instruction in = copy4();
  Accesses narrow = isa::kernels::accesses(in);
  narrow.reads[0].begin = 9;  // the kernel reads [8, 12)
  const std::string problem = execute_checked(in, sram, narrow);
  EXPECT_NE(problem.find("SRAM byte 32 of its result depends"), std::string::npos) << problem;
}

// A random value for field `f`, small enough that shapes fit a few KiB and
// large enough (multipliers, clamps) that results depend on the inputs.
int64_t random_value(isa::Field f, std::mt19937& rng) {
  using F = isa::Field;
  auto in = [&](int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
  };
  switch (f) {
    case F::kSrc:
    case F::kSrc2:
    case F::kWgt:
    case F::kBias:
    case F::kDst:
    case F::kParams:
    case F::kTable:
      return in(0, 3000);
    case F::kMult:
    case F::kMult2:
    case F::kMultOut:
      return in(int64_t{1} << 29, (int64_t{1} << 31) - 1);
    case F::kShift:
    case F::kShift2:
    case F::kShiftOut:
      return in(-6, 1);
    case F::kClampLo:
      return in(0, 3) == 0 ? in(-20, 20) : -32768;
    case F::kClampHi:
      return in(0, 3) == 0 ? in(-20, 20) : 32767;
    case F::kValue:
      return in(0, 255);
    case F::kLen:
      return in(0, 64);
    case F::kSrcS0:
    case F::kSrcS1:
    case F::kSrcS2:
    case F::kDstS0:
    case F::kDstS1:
    case F::kDstS2:
      return in(0, 9);
    case F::kSrcZp:
    case F::kSrc2Zp:
    case F::kWgtZp:
    case F::kOutZp:
      return in(-3, 3);
    case F::kMode:
      return in(0, 5);
    default:
      return in(0, 5);  // shapes, counts, strides, paddings, flags, groups
  }
}

// Every compute opcode over random valid shapes (those the PE accepts: no
// shape problem, ranges inside SRAM) keeps to the SRAM ranges it declares,
// and does not throw, so an offloaded kernel never fails late.
TEST(KernelFootprint, EveryComputeOpcodeKeepsToItsRanges) {
  std::mt19937 rng(14);
  constexpr uint64_t kSize = 4096;
  std::vector<uint8_t> sram(kSize);
  for (const isa::OpcodeInfo& info : isa::all_opcodes()) {
    const uint8_t op = static_cast<uint8_t>(info.opcode);
    if ((op & 0xF0) != 0x10 && (op & 0xF0) != 0x20)  // mat.* and vec.*, as the PE decides
      continue;
    int checked = 0;
    for (int attempt = 0; attempt < 20000 && checked < 150; ++attempt) {
      isa::Instruction in = isa::make(info.opcode, {});
      for (const isa::FieldSpec& f : info.fields) in[f.field] = random_value(f.field, rng);
      if (!isa::shape_problem(in).empty()) continue;
      const Accesses acc = isa::kernels::accesses(in);
      bool fits = acc.num_writes > 0;
      for (int i = 0; i < acc.num_reads; ++i) fits = fits && acc.reads[i].end <= kSize;
      for (int i = 0; i < acc.num_writes; ++i) fits = fits && acc.writes[i].end <= kSize;
      if (!fits) continue;
      for (auto& b : sram) b = uint8_t(rng());
      std::string problem;
      EXPECT_NO_THROW(problem = execute_checked(in, sram, acc)) << isa::disassemble(in);
      EXPECT_EQ(problem, "");
      ++checked;
    }
    EXPECT_GE(checked, 150) << info.mnemonic << ": too few valid random shapes";
  }
}

}  // namespace
}  // namespace npusim::sim
