// Hand-written programs run through driver -> simulator: each output is
// bit-exact against the naive reference, and each cycle count equals the
// number worked out by hand from docs/timing.md (derivations in comments;
// warboy: 2 GHz, 64x128 array, DRAM 33 B/cycle, DMA setup 64 cycles,
// bursts of 4 KiB, matrix issue 16, vector issue 8, 64 vector lanes).
#include <gtest/gtest.h>

#include "common/device_fixture.hpp"
#include "common/instructions.hpp"
#include "common/naive_ops.hpp"
#include "common/program_builder.hpp"

namespace npusim::testing {
namespace {

using isa::Engine;
using isa::Field;
using isa::Opcode;
using F = Field;

isa::Instruction load(uint64_t base, uint64_t off, uint64_t sram, uint64_t bytes) {
  return dma_load(base, off, sram, bytes);
}
isa::Instruction store(uint64_t off, uint64_t sram, uint64_t bytes) {
  return dma_store(isa::kBaseIo, off, sram, bytes);
}
isa::Instruction signal(int sem) {
  return sem_signal(sem);
}
isa::Instruction wait(int sem) {
  return sem_wait(sem);
}

// Per-channel multiplier table as the vector unit reads it: {mult, shift} int32 pairs.
std::vector<uint8_t> multiplier_table(const std::vector<isa::FixedMultiplier>& m) {
  std::vector<int32_t> words;
  for (const auto& x : m) {
    words.push_back(x.mult);
    words.push_back(x.shift);
  }
  return as_bytes(words);
}

std::vector<isa::FixedMultiplier> channel_scales(int channels, double base) {
  std::vector<isa::FixedMultiplier> m;
  for (int c = 0; c < channels; ++c) m.push_back(isa::quantize_multiplier(base * (1 + c % 5)));
  return m;
}

isa::Instruction requant(uint64_t src, uint64_t dst, int count, int channels, uint64_t params) {
  return isa::make(Opcode::kVecRequant, {{F::kSrc, int64_t(src)},
                                         {F::kDst, int64_t(dst)},
                                         {F::kCount, count},
                                         {F::kChannels, channels},
                                         {F::kPerChannel, 1},
                                         {F::kParams, int64_t(params)},
                                         {F::kOutSigned, 1},
                                         {F::kClampLo, -128},
                                         {F::kClampHi, 127}});
}

class DeviceProgramTest : public DeviceTest {};

TEST_F(DeviceProgramTest, MatmulIsBitExactAndTakesTheHandComputedCycles) {
  const int m = 16, k = 32, n = 64;
  const auto a = random_bytes(m * k, 1), w = random_bytes(n * k, 2);
  const auto scales = channel_scales(n, 1.0 / 64);
  ProgramBuilder b;
  const uint64_t w_off = b.add_weights(w);
  const uint64_t p_off = b.add_weights(multiplier_table(scales));
  b.input("a", {m, k}, 0).output("y", {m, n}, 1024);
  b.emit(Engine::kLoad, load(isa::kBaseIo, 0, 0, m * k))
      .emit(Engine::kLoad, load(isa::kBaseWeights, w_off, 0x1000, n * k))
      .emit(Engine::kLoad, load(isa::kBaseWeights, p_off, 0x4000, n * 8))
      .emit(Engine::kLoad, signal(0));
  b.emit(Engine::kCompute, wait(0))
      .emit(Engine::kCompute, matmul(0, 0x1000, 0x2000, m, k, n))
      .emit(Engine::kCompute, requant(0x2000, 0x3000, m, n, 0x4000))
      .emit(Engine::kCompute, signal(1));
  b.emit(Engine::kStore, wait(1)).emit(Engine::kStore, store(1024, 0x3000, m * n));

  const runtime::RunOutcome r = run(b.build(), {a});
  EXPECT_EQ(r.outputs[0], naive_requant(naive_matmul(a, w, m, k, n), n, scales));
  // load:    A 512 B: 64 + ceil(512/33)=16 -> 80; W 2048 B: 64 + 63 -> 127;
  //          table 512 B: 64 + 16 -> 80                                   = 287
  // compute: mat.mm WS: 1 pass of 2*64 + 128 + 16 - 2 = 270, + 16 issue   = 286
  //          vec.requant 1024 elements: 8 + 1024/64                       =  24
  // store:   1024 B: 64 + ceil(1024/33)=32                                =  96
  EXPECT_EQ(r.run.cycles(), 287u + 286u + 24u + 96u);
}

TEST_F(DeviceProgramTest, ConvTileIsBitExactAndTakesTheHandComputedCycles) {
  const int h = 8, w = 8, c = 16, oc = 32, k = 3;
  const auto in = random_bytes(h * w * c, 3), wt = random_bytes(oc * k * k * c, 4);
  std::vector<int32_t> bias(oc);
  for (int o = 0; o < oc; ++o) bias[o] = (o - 16) * 37;
  const auto scales = channel_scales(oc, 1.0 / 256);
  ProgramBuilder b;
  const uint64_t w_off = b.add_weights(wt);                        // 4608 B
  const uint64_t b_off = b.add_weights(as_bytes(bias));            // 128 B
  const uint64_t p_off = b.add_weights(multiplier_table(scales));  // 256 B
  ASSERT_EQ(p_off + 256, 4992u);
  b.input("x", {1, h, w, c}, 0).output("y", {1, h, w, oc}, 1024);
  const uint64_t wsram = 0x1000;
  b.emit(Engine::kLoad, load(isa::kBaseIo, 0, 0, h * w * c))
      .emit(Engine::kLoad, load(isa::kBaseWeights, 0, wsram, 4992))
      .emit(Engine::kLoad, signal(0));
  b.emit(Engine::kCompute, wait(0))
      .emit(Engine::kCompute, isa::make(Opcode::kMatConv, {{F::kSrc, 0},
                                                           {F::kWgt, int64_t(wsram + w_off)},
                                                           {F::kBias, int64_t(wsram + b_off)},
                                                           {F::kDst, 0x4000},
                                                           {F::kInH, h},
                                                           {F::kInW, w},
                                                           {F::kInC, c},
                                                           {F::kOutC, oc},
                                                           {F::kKH, k},
                                                           {F::kKW, k},
                                                           {F::kStrideH, 1},
                                                           {F::kStrideW, 1},
                                                           {F::kDilH, 1},
                                                           {F::kDilW, 1},
                                                           {F::kPadT, 1},
                                                           {F::kPadL, 1},
                                                           {F::kPadB, 1},
                                                           {F::kPadR, 1},
                                                           {F::kGroups, 1},
                                                           {F::kSrcSigned, 1},
                                                           {F::kWgtSigned, 1},
                                                           {F::kBiasEn, 1}}))
      .emit(Engine::kCompute, requant(0x4000, 0x8000, h * w, oc, wsram + p_off))
      .emit(Engine::kCompute, signal(1));
  b.emit(Engine::kStore, wait(1)).emit(Engine::kStore, store(1024, 0x8000, h * w * oc));

  const runtime::RunOutcome r = run(b.build(), {in});
  EXPECT_EQ(r.outputs[0], naive_requant(naive_conv(in, h, w, c, wt, bias, oc, k, 1), oc, scales));
  // load:    x 1024 B: 64 + 32 = 96; weights 4992 B in bursts 4096 + 896:
  //          64 + 125 + 28 = 217                                          = 313
  // compute: reduction 16*9 = 144 -> 3 row folds, 32 channels -> 1 column
  //          fold; 3 passes of 2*64 + 128 + 64 - 2 = 318, + 16 issue       = 970
  //          vec.requant 2048 elements: 8 + 32                            =  40
  // store:   2048 B: 64 + ceil(2048/33)=63                                = 127
  EXPECT_EQ(r.run.cycles(), 313u + 970u + 40u + 127u);
}

TEST_F(DeviceProgramTest, RequantiseIsBitExactAndTakesTheHandComputedCycles) {
  const int count = 64, channels = 32;
  std::vector<int32_t> acc(count * channels);
  for (size_t i = 0; i < acc.size(); ++i) acc[i] = int32_t(i * 7919 % 20000) - 10000;
  const auto scales = channel_scales(channels, 1.0 / 100);
  ProgramBuilder b;
  const uint64_t p_off = b.add_weights(multiplier_table(scales));
  b.input("acc", {count, channels}, 0, "int32").output("y", {count, channels}, 8192);
  b.emit(Engine::kLoad, load(isa::kBaseIo, 0, 0, acc.size() * 4))
      .emit(Engine::kLoad, load(isa::kBaseWeights, p_off, 0x4000, channels * 8))
      .emit(Engine::kLoad, signal(0));
  b.emit(Engine::kCompute, wait(0))
      .emit(Engine::kCompute, requant(0, 0x5000, count, channels, 0x4000))
      .emit(Engine::kCompute, signal(1));
  b.emit(Engine::kStore, wait(1)).emit(Engine::kStore, store(8192, 0x5000, count * channels));

  const runtime::RunOutcome r = run(b.build(), {as_bytes(acc)});
  EXPECT_EQ(r.outputs[0], naive_requant(acc, channels, scales));
  // load:    8192 B = 2 bursts: 64 + 125 + 125 = 314; table 256 B: 64 + 8 = 72
  // compute: 2048 elements: 8 + 32 = 40;  store: 2048 B: 64 + 63 = 127
  EXPECT_EQ(r.run.cycles(), 314u + 72u + 40u + 127u);
}

TEST_F(DeviceProgramTest, MaxPoolIsBitExactAndTakesTheHandComputedCycles) {
  const int h = 16, w = 16, c = 32;
  const auto in = random_bytes(h * w * c, 5);
  ProgramBuilder b;
  b.input("x", {1, h, w, c}, 0).output("y", {1, h / 2, w / 2, c}, 8192);
  b.emit(Engine::kLoad, load(isa::kBaseIo, 0, 0, in.size())).emit(Engine::kLoad, signal(0));
  b.emit(Engine::kCompute, wait(0))
      .emit(Engine::kCompute, isa::make(Opcode::kVecPool, {{F::kSrc, 0},
                                                           {F::kDst, 0x4000},
                                                           {F::kInH, h},
                                                           {F::kInW, w},
                                                           {F::kInC, c},
                                                           {F::kKH, 2},
                                                           {F::kKW, 2},
                                                           {F::kStrideH, 2},
                                                           {F::kStrideW, 2},
                                                           {F::kMode, 0},
                                                           {F::kSrcSigned, 1}}))
      .emit(Engine::kCompute, signal(1));
  b.emit(Engine::kStore, wait(1)).emit(Engine::kStore, store(8192, 0x4000, h * w * c / 4));

  const runtime::RunOutcome r = run(b.build(), {in});
  EXPECT_EQ(r.outputs[0], naive_maxpool(in, h, w, c, 2));
  // load 8192 B: 314; pool: 2048 outputs x 4 window reads / 64 lanes + 8 = 136;
  // store 2048 B: 127
  EXPECT_EQ(r.run.cycles(), 314u + 136u + 127u);
}

}  // namespace
}  // namespace npusim::testing
