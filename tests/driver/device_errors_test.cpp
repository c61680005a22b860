// Bad programs and bad register accesses raise the error interrupt with a
// readable error; after a reset the device keeps working. PEs are owned
// exclusively; waits time out.
#include <gtest/gtest.h>

#include "common/device_fixture.hpp"
#include "common/instructions.hpp"
#include "common/program_builder.hpp"
#include "npusim/isa/verifier.hpp"

namespace npusim::testing {
namespace {

using isa::Engine;
using isa::reg::ErrorCode;

// A small working program: copies 1 KiB from input to output through SRAM.
isa::Program copy_program() {
  ProgramBuilder b;
  b.input("x", {1024}, 0).output("y", {1024}, 1024);
  b.emit(Engine::kLoad, dma_load(isa::kBaseIo, 0, 0, 1024)).emit(Engine::kLoad, sem_signal(0));
  b.emit(Engine::kStore, sem_wait(0)).emit(Engine::kStore, dma_store(isa::kBaseIo, 1024, 0, 1024));
  return b.build();
}

class DeviceErrorTest : public DeviceTest {
 protected:
  // Runs a program the verifier would reject and returns the driver's message.
  std::string run_bad(const isa::Program& p) {
    try {
      run(p, {}, "npu0pe0", /*verify=*/false);
    } catch (const driver::DriverError& e) {
      EXPECT_EQ(e.kind(), driver::ErrorKind::kDevice);
      return e.what();
    }
    ADD_FAILURE() << "the bad program ran without an error";
    return "";
  }

  void expect_device_still_works() {
    device->reset();
    const auto data = random_bytes(1024, 11);
    EXPECT_EQ(run(copy_program(), {data}).outputs[0], data);
  }
};

TEST_F(DeviceErrorTest, UnknownOpcodeRaisesIllegalInstruction) {
  isa::Program p = ProgramBuilder().build();
  auto& seg = std::get<isa::NpuSegment>(p.segments[0]);
  seg.streams[0][1] = {0x0000017Fu};  // opcode 0x7f, one word: not in the ISA
  EXPECT_FALSE(isa::verify(p, hw).empty());
  const std::string msg = run_bad(p);
  EXPECT_NE(msg.find("illegal instruction at instruction 0 of the pe0 compute engine"),
            std::string::npos)
      << msg;
  EXPECT_EQ(device->last_fault().code, ErrorCode::kIllegalInstruction);
  expect_device_still_works();
}

TEST_F(DeviceErrorTest, SramAddressOutOfRangeNamesEngineInstructionAndAddress) {
  ProgramBuilder b;
  b.emit(Engine::kLoad, sem_signal(1));
  b.emit(Engine::kLoad, dma_load(isa::kBaseWeights, 0, hw.sram_per_pe - 16, 64));
  b.add_weights(random_bytes(64, 1));
  const std::string msg = run_bad(b.build());
  EXPECT_NE(
      msg.find("address out of range at instruction 1 of the pe0 load engine (address 0xfffff0)"),
      std::string::npos)
      << msg;
  expect_device_still_works();
}

TEST_F(DeviceErrorTest, DramAddressOutOfRangeIsCaughtByTheDram) {
  ProgramBuilder b;
  isa::Instruction in = dma_load(isa::kBaseWeights, 0, 0, 64);
  in[isa::Field::kDramOff] = int64_t(hw.dram_size);  // past the end of device DRAM
  b.emit(Engine::kLoad, in);
  const std::string msg = run_bad(b.build());
  EXPECT_NE(msg.find("address out of range at instruction 0 of the pe0 load engine"),
            std::string::npos)
      << msg;
  expect_device_still_works();
}

TEST_F(DeviceErrorTest, ShapeTheUnitCannotExecuteIsAnIllegalInstructionInBothModes) {
  ProgramBuilder b;
  isa::Instruction conv = isa::make(isa::Opcode::kMatConv, {{isa::Field::kInH, 4},
                                                            {isa::Field::kInW, 4},
                                                            {isa::Field::kInC, 8},
                                                            {isa::Field::kOutC, 8},
                                                            {isa::Field::kKH, 1},
                                                            {isa::Field::kKW, 1},
                                                            {isa::Field::kStrideH, 0},
                                                            {isa::Field::kStrideW, 1},
                                                            {isa::Field::kDilH, 1},
                                                            {isa::Field::kDilW, 1}});
  b.emit(Engine::kCompute, conv);
  const isa::Program p = b.build();
  for (bool timing_only : {false, true}) {
    start(hw, timing_only);
    const std::string msg = run_bad(p);
    EXPECT_NE(msg.find("illegal instruction at instruction 0 of the pe0 compute engine"),
              std::string::npos)
        << msg;
  }
  start(hw);  // functional again: the check below compares data
  expect_device_still_works();
}

TEST_F(DeviceErrorTest, SemaphoreDeadlockIsCaughtByTheWatchdog) {
  ProgramBuilder b;
  b.emit(Engine::kCompute, sem_wait(5));  // nobody ever signals semaphore 5
  b.emit(Engine::kStore, sem_wait(6));
  const isa::Program p = b.build();
  EXPECT_FALSE(isa::verify(p, hw).empty());  // the verifier sees it statically too
  const std::string msg = run_bad(p);
  // Every waiting engine with its instruction and semaphore; the load engine
  // (no stream) is not listed.
  EXPECT_NE(msg.find("semaphore deadlock (no instruction retired for a watchdog period): "
                     "pe0 compute engine at instruction 0 waits on semaphore 5; "
                     "pe0 store engine at instruction 0 waits on semaphore 6"),
            std::string::npos)
      << msg;
  const driver::DeviceFault f = device->last_fault();
  ASSERT_EQ(f.code, ErrorCode::kSemaphoreDeadlock);
  ASSERT_EQ(f.engines.size(), size_t(device->info().num_pes) * 3);
  EXPECT_EQ(f.engines[1].state, isa::reg::EngineState::kSemWait);
  EXPECT_EQ(f.engines[1].semaphore, 5);
  EXPECT_EQ(f.engines[0].state, isa::reg::EngineState::kIdle);
  expect_device_still_works();
}

TEST_F(DeviceErrorTest, DeadlockReportNamesTheInstructionEachEngineWaitsAt) {
  ProgramBuilder b;
  b.emit(Engine::kLoad, sem_signal(1)).emit(Engine::kLoad, sem_wait(2));  // waits at instruction 1
  b.emit(Engine::kCompute, sem_wait(1)).emit(Engine::kCompute, sem_wait(3));  // at 1, on 3
  const std::string msg = run_bad(b.build());
  EXPECT_NE(msg.find("pe0 load engine at instruction 1 waits on semaphore 2; "
                     "pe0 compute engine at instruction 1 waits on semaphore 3"),
            std::string::npos)
      << msg;
  expect_device_still_works();
}

TEST_F(DeviceErrorTest, UnmappedRegisterReadReturnsOnesAndRaisesTheErrorInterrupt) {
  EXPECT_EQ(device->read_register(0x3F0), 0xFFFFFFFFu);
  const driver::DeviceFault f = device->last_fault();
  EXPECT_EQ(f.code, ErrorCode::kBadRegister);
  EXPECT_EQ(f.info, 0x3F0u);
  EXPECT_NE(f.message().find("register offset 0x3f0 is unmapped or read-only"), std::string::npos)
      << f.message();
  expect_device_still_works();
}

TEST_F(DeviceErrorTest, WriteToReadOnlyRegisterRaisesTheErrorInterrupt) {
  device->write_register(isa::reg::kDeviceId, 1);
  EXPECT_EQ(device->read_register(isa::reg::kDeviceId), isa::reg::kDeviceIdValue);
  EXPECT_EQ(device->last_fault().code, ErrorCode::kBadRegister);
  expect_device_still_works();
}

TEST_F(DeviceErrorTest, APeIsOwnedExclusively) {
  auto first = device->open("npu0pe0");
  try {
    device->open("npu0pe0");
    FAIL() << "second open of npu0pe0 succeeded";
  } catch (const driver::DriverError& e) {
    EXPECT_EQ(e.kind(), driver::ErrorKind::kBusy);
    EXPECT_NE(std::string(e.what()).find("npu0pe0 is busy"), std::string::npos);
  }
  EXPECT_THROW(device->open("npu0pe0-1"), driver::DriverError);  // fused needs pe0 too
  auto other = device->open("npu0pe1");                          // the other PE is free
  first.reset();
  other.reset();
  EXPECT_NO_THROW(device->open("npu0pe0-1"));
}

TEST_F(DeviceErrorTest, UnknownPeNameIsRefused) {
  try {
    device->open("npu0pe7");
    FAIL();
  } catch (const driver::DriverError& e) {
    EXPECT_EQ(e.kind(), driver::ErrorKind::kInvalidArgument);
    EXPECT_NE(std::string(e.what()).find("unknown PE \"npu0pe7\""), std::string::npos);
  }
}

TEST_F(DeviceErrorTest, WaitTimesOutInWallClockTime) {
  // Many functional matrix instructions take wall time to simulate.
  ProgramBuilder b;
  for (int i = 0; i < 400; ++i)
    b.emit(Engine::kCompute, matmul(0, 0x100000, 0x200000, 1024, 256, 256));
  const isa::Program p = b.build();
  auto ctx = device->open("npu0pe0");
  runtime::LoadedProgram loaded(*device, p, hw);
  const uint32_t seq = ctx->submit(loaded.run_command());
  try {
    ctx->wait(seq, std::chrono::milliseconds(1));
    FAIL() << "the wait did not time out";
  } catch (const driver::DriverError& e) {
    EXPECT_EQ(e.kind(), driver::ErrorKind::kTimeout);
    EXPECT_NE(std::string(e.what()).find("timed out after 1 ms waiting for command 0 on npu0pe0"),
              std::string::npos)
        << e.what();
  }
  device->reset();  // drops the long program
  EXPECT_THROW(ctx->wait(seq, std::chrono::seconds(5)), driver::DriverError);
}

}  // namespace
}  // namespace npusim::testing
