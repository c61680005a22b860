// The device's instruction trace (docs/registers.md, "Trace") through the
// driver's DeviceTrace: one record per DMA and compute instruction, with the
// cycles docs/timing.md gives, inside its RUN; ring overflow and resets are
// counted as lost; a bad ring size is a register error.
#include <gtest/gtest.h>

#include "common/device_fixture.hpp"
#include "common/instructions.hpp"
#include "common/program_builder.hpp"
#include "npusim/driver/device_trace.hpp"

namespace npusim::testing {
namespace {

using isa::Engine;
using isa::Opcode;
using isa::reg::TraceRecord;

// Three loads, a matrix product, a requantisation and a store, whose cycles
// device_programs_test derives by hand (80, 127, 80; 286; 24; 96).
isa::Program matmul_program() {
  const int m = 16, k = 32, n = 64;
  ProgramBuilder b;
  const uint64_t w_off = b.add_weights(random_bytes(n * k, 2));
  std::vector<uint8_t> table(n * 8, 0);
  for (int c = 0; c < n; ++c) table[c * 8 + 3] = 0x40;  // multiplier 2^30, shift 0
  const uint64_t p_off = b.add_weights(table);
  b.input("a", {m, k}, 0).output("y", {m, n}, 1024);
  b.emit(Engine::kLoad, dma_load(isa::kBaseIo, 0, 0, m * k))
      .emit(Engine::kLoad, dma_load(isa::kBaseWeights, w_off, 0x1000, n * k))
      .emit(Engine::kLoad, dma_load(isa::kBaseWeights, p_off, 0x4000, n * 8))
      .emit(Engine::kLoad, sem_signal(0));
  b.emit(Engine::kCompute, sem_wait(0))
      .emit(Engine::kCompute, matmul(0, 0x1000, 0x2000, m, k, n))
      .emit(Engine::kCompute, isa::make(Opcode::kVecRequant, {{isa::Field::kSrc, 0x2000},
                                                              {isa::Field::kDst, 0x3000},
                                                              {isa::Field::kCount, m},
                                                              {isa::Field::kChannels, n},
                                                              {isa::Field::kPerChannel, 1},
                                                              {isa::Field::kParams, 0x4000},
                                                              {isa::Field::kOutSigned, 1},
                                                              {isa::Field::kClampLo, -128},
                                                              {isa::Field::kClampHi, 127}}))
      .emit(Engine::kCompute, sem_signal(1));
  b.emit(Engine::kStore, sem_wait(1))
      .emit(Engine::kStore, dma_store(isa::kBaseIo, 1024, 0x3000, m * n));
  return b.build();
}

class DeviceTraceTest : public DeviceTest {
 protected:
  runtime::RunOutcome run_matmul(const std::string& pe = "npu0pe0") {
    return run(matmul_program(), {random_bytes(16 * 32, 1)}, pe);
  }
};

TEST_F(DeviceTraceTest, OneRecordPerInstructionWithTheHandComputedCycles) {
  driver::DeviceTrace trace(*device);
  const runtime::RunOutcome r = run_matmul("npu0pe1");
  const std::vector<TraceRecord> records = trace.drain();
  ASSERT_EQ(records.size(), 6u);
  struct Expected {
    Engine engine;
    uint32_t index;
    Opcode op;
    uint64_t cycles;
  };
  const Expected expected[] = {
      {Engine::kLoad, 0, Opcode::kDmaLoad, 80},       {Engine::kLoad, 1, Opcode::kDmaLoad, 127},
      {Engine::kLoad, 2, Opcode::kDmaLoad, 80},       {Engine::kCompute, 1, Opcode::kMatMul, 286},
      {Engine::kCompute, 2, Opcode::kVecRequant, 24}, {Engine::kStore, 1, Opcode::kDmaStore, 96}};
  for (size_t i = 0; i < records.size(); ++i) {
    const TraceRecord& t = records[i];
    SCOPED_TRACE(i);
    EXPECT_EQ(t.engine, static_cast<uint8_t>(expected[i].engine));
    EXPECT_EQ(t.index, expected[i].index);
    EXPECT_EQ(t.opcode, static_cast<uint8_t>(expected[i].op));
    EXPECT_EQ(t.end_cycle - t.start_cycle, expected[i].cycles);
    EXPECT_EQ(t.pe, 1);
    EXPECT_EQ(t.slot, 0);
    EXPECT_EQ(t.program, records[0].program);
    EXPECT_EQ(t.tag, records[0].tag);
    EXPECT_GE(t.start_cycle, r.run.start_cycle);
    EXPECT_LE(t.end_cycle, r.run.end_cycle);
  }
  // The engines run back to back: loads, then compute, then the store.
  EXPECT_EQ(records[0].start_cycle, r.run.start_cycle);
  EXPECT_EQ(records[3].start_cycle, records[2].end_cycle);
  EXPECT_EQ(records[5].start_cycle, records[4].end_cycle);
  EXPECT_TRUE(trace.drain().empty()) << "a second drain sees nothing new";
  EXPECT_EQ(trace.lost(), 0u);
}

TEST_F(DeviceTraceTest, WithoutATraceTheDeviceRecordsNothing) {
  run_matmul();
  EXPECT_EQ(device->read_register(isa::reg::kTraceCount), 0u);
  EXPECT_EQ(device->read_register(isa::reg::kTraceEnable), 0u);
}

TEST_F(DeviceTraceTest, ARingTooSmallKeepsTheNewestRecordsAndCountsTheLost) {
  driver::DeviceTrace trace(*device, 4);
  run_matmul();
  const std::vector<TraceRecord> records = trace.drain();
  ASSERT_EQ(records.size(), 4u);
  EXPECT_EQ(trace.lost(), 2u);
  EXPECT_EQ(records.back().opcode, static_cast<uint8_t>(Opcode::kDmaStore));
}

TEST_F(DeviceTraceTest, AResetDropsTheRecordsAndTheTraceIsArmedAgain) {
  driver::DeviceTrace trace(*device);
  run_matmul();
  device->reset();
  EXPECT_TRUE(trace.drain().empty());
  EXPECT_EQ(trace.lost(), 1u);
  run_matmul();
  EXPECT_EQ(trace.drain().size(), 6u);
}

TEST_F(DeviceTraceTest, ARingSizeThatIsNotAPowerOfTwoIsARegisterError) {
  device->write_register(isa::reg::kTraceSize, 3);
  EXPECT_EQ(device->last_fault().code, isa::reg::ErrorCode::kBadRegister);
  EXPECT_EQ(device->last_fault().info, isa::reg::kTraceSize);
  EXPECT_THROW(driver::DeviceTrace(*device, 3), driver::DriverError);
}

}  // namespace
}  // namespace npusim::testing
