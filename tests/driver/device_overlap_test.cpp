// Concurrency on the device: double buffering overlaps DMA with compute,
// fused mode splits work over both PEs, and PEs share DRAM bandwidth.
#include <gtest/gtest.h>

#include "common/device_fixture.hpp"
#include "common/instructions.hpp"
#include "common/naive_ops.hpp"
#include "common/program_builder.hpp"

namespace npusim::testing {
namespace {

using isa::Engine;

// A tiled matmul: tiles of A (256 x 64 int8, 16 KiB each) stream in from
// the I/O area while the matrix unit multiplies each by resident weights
// (64 x n). Double buffered: the load engine fills buffer t%2 while the
// compute engine works on the other; semaphores 0/1 mean "buffer full", 2/3
// "buffer free". Single buffered: one buffer, strictly alternating. In fused
// mode each PE (slot) takes every other tile, in its own SRAM.
isa::Program tiled_matmul(int tiles, bool double_buffered, int n = 128, bool fused = false) {
  const int m = 256, k = 64;
  const uint64_t tile_bytes = m * k, weights_sram = 0x10000, out_sram = 0x20000;
  const isa::HwParams hw;
  ProgramBuilder b(fused ? isa::Mode::kFused : isa::Mode::kSingle, hw);
  const uint64_t w = b.add_weights(random_bytes(n * k, 7));
  b.input("a", {tiles * m, k}, 0);
  const int slots = fused ? 2 : 1, buffers = double_buffered ? 2 : 1;
  for (int s = 0; s < slots; ++s) {
    const uint64_t base = s * hw.sram_per_pe;
    b.emit(Engine::kLoad, dma_load(isa::kBaseWeights, w, base + weights_sram, n * k), s);
    for (int i = 0, t = s; t < tiles; ++i, t += slots) {
      const int buf = i % buffers;
      const uint64_t a_sram = base + buf * tile_bytes;
      if (i >= buffers) b.emit(Engine::kLoad, sem_wait(2 + buf), s);
      b.emit(Engine::kLoad, dma_load(isa::kBaseIo, t * tile_bytes, a_sram, tile_bytes), s);
      b.emit(Engine::kLoad, sem_signal(buf), s);
      b.emit(Engine::kCompute, sem_wait(buf), s);
      b.emit(Engine::kCompute,
             matmul(a_sram, base + weights_sram, base + out_sram + i * m * n * 4, m, k, n), s);
      b.emit(Engine::kCompute, sem_signal(2 + buf), s);
    }
  }
  return b.build();
}

class DeviceOverlapTest : public DeviceTest {};

TEST_F(DeviceOverlapTest, DoubleBufferingTakesMaxOfLoadAndComputeNotTheirSum) {
  const int tiles = 16;
  const std::vector<std::vector<uint8_t>> input{random_bytes(tiles * 256 * 64, 8)};
  // Per tile (docs/timing.md): load 16 KiB = 64 + 4 x 125 = 564 cycles;
  // mat.mm 256x64x128 = 16 + (2*64 + 128 + 256 - 2) = 526 cycles.
  const uint64_t load = 64 + 63 + tiles * 564;  // plus the 8 KiB weights once
  const uint64_t compute = tiles * 526;
  const uint64_t overlapped = run(tiled_matmul(tiles, true), input).run.cycles();
  const uint64_t serial = run(tiled_matmul(tiles, false), input).run.cycles();
  RecordProperty("load_cycles", std::to_string(load));
  RecordProperty("compute_cycles", std::to_string(compute));
  RecordProperty("double_buffered_cycles", std::to_string(overlapped));
  RecordProperty("single_buffered_cycles", std::to_string(serial));
  std::cout << "load " << load << " compute " << compute << " double-buffered " << overlapped
            << " single-buffered " << serial << "\n";
  EXPECT_LE(overlapped, std::max(load, compute) * 110 / 100);
  EXPECT_GE(serial, (load + compute) * 95 / 100);  // without overlap: the sum
}

TEST_F(DeviceOverlapTest, FusedMatmulKeepsBothPesBusyAndFinishesFaster) {
  // n = 512: each 16 KiB tile needs 16 + 4 x 510 = 2056 matrix cycles, so
  // the work is compute-bound and splitting it over two PEs pays off.
  const int tiles = 16, n = 512;
  const std::vector<std::vector<uint8_t>> input{random_bytes(tiles * 256 * 64, 10)};
  const uint64_t single = run(tiled_matmul(tiles, true, n), input, "npu0pe0").run.cycles();
  start();  // fresh counters
  const uint64_t fused = run(tiled_matmul(tiles, true, n, true), input, "npu0pe0-1").run.cycles();
  const driver::Counters pe0 = device->counters(0), pe1 = device->counters(1);
  std::cout << "single " << single << " fused " << fused << " tensor pe0 " << pe0.tensor_cycles
            << " pe1 " << pe1.tensor_cycles << "\n";
  EXPECT_LT(fused * 10, single * 6);             // at least 1.67x faster
  EXPECT_GT(pe0.tensor_cycles * 10, fused * 8);  // each PE's matrix unit busy > 80 % of the run
  EXPECT_GT(pe1.tensor_cycles * 10, fused * 8);
}

TEST_F(DeviceOverlapTest, TimingOnlyModeGivesTheSameCycles) {
  const std::vector<std::vector<uint8_t>> input{random_bytes(16 * 256 * 64, 12)};
  const runtime::RunOutcome functional = run(tiled_matmul(16, true, 512, true), input, "npu0pe0-1");
  start(hw, /*timing_only=*/true);
  const runtime::RunOutcome timing = run(tiled_matmul(16, true, 512, true), input, "npu0pe0-1");
  EXPECT_EQ(timing.h2d.cycles(), functional.h2d.cycles());
  EXPECT_EQ(timing.run.cycles(), functional.run.cycles());
  EXPECT_EQ(timing.d2h.cycles(), functional.d2h.cycles());
}

// Loads `bytes` from the I/O area into SRAM, nothing else.
isa::Program stream_from_dram(uint64_t bytes) {
  ProgramBuilder b;
  b.input("a", {int64_t(bytes)}, 0);
  b.emit(Engine::kLoad, dma_load(isa::kBaseIo, 0, 0, bytes));
  return b.build();
}

TEST_F(DeviceOverlapTest, TwoPesStreamingAtOnceEachGetHalfTheDramBandwidth) {
  const uint64_t bytes = 4 << 20;
  const isa::Program program = stream_from_dram(bytes);
  auto pe0 = device->open("npu0pe0");
  auto pe1 = device->open("npu0pe1");
  runtime::LoadedProgram p0(*device, program, hw), p1(*device, program, hw);
  const auto a = pe0->wait(pe0->submit(p0.run_command()), std::chrono::seconds(30));
  const uint64_t solo = a.end_cycle - a.start_cycle;
  const uint32_t s0 = pe0->submit(p0.run_command());
  const uint32_t s1 = pe1->submit(p1.run_command());
  const auto c0 = pe0->wait(s0, std::chrono::seconds(30));
  const auto c1 = pe1->wait(s1, std::chrono::seconds(30));
  const uint64_t together0 = c0.end_cycle - c0.start_cycle,
                 together1 = c1.end_cycle - c1.start_cycle;
  std::cout << "alone " << solo << " together " << together0 << " / " << together1 << "\n";
  // Alone: 64 + 1024 bursts x 125 cycles. Together the bursts interleave.
  EXPECT_EQ(solo, 64u + 1024u * 125u);
  EXPECT_NEAR(double(together0) / solo, 2.0, 0.05);
  EXPECT_NEAR(double(together1) / solo, 2.0, 0.05);
}

}  // namespace
}  // namespace npusim::testing
