// Injected faults (docs/faults.md): each kind, carried by a command's inject
// word or armed device-wide after N instructions, stops the work with the
// error it names, raises the error interrupt, and leaves a device that works
// again after a reset.
#include <gtest/gtest.h>

#include "common/device_fixture.hpp"
#include "common/instructions.hpp"
#include "common/program_builder.hpp"

namespace npusim::testing {
namespace {

using isa::Engine;
using isa::reg::ErrorCode;
using isa::reg::FaultKind;

// Copies 1 KiB from input to output through SRAM: load engine dma.load,
// signal; store engine wait, dma.store.
isa::Program copy_program() {
  ProgramBuilder b;
  b.input("x", {1024}, 0).output("y", {1024}, 1024);
  b.emit(Engine::kLoad, dma_load(isa::kBaseIo, 0, 0, 1024)).emit(Engine::kLoad, sem_signal(0));
  b.emit(Engine::kStore, sem_wait(0)).emit(Engine::kStore, dma_store(isa::kBaseIo, 1024, 0, 1024));
  return b.build();
}

// Only the load engine: one dma.load, then end (which engine the "next
// instruction" is, is then not up to the kernel's process order).
isa::Program load_only_program() {
  ProgramBuilder b;
  b.input("x", {1024}, 0).output("y", {1024}, 1024);
  b.emit(Engine::kLoad, dma_load(isa::kBaseIo, 0, 0, 1024));
  return b.build();
}

class DeviceFaultTest : public DeviceTest {
 protected:
  // Runs `program` (the copy program) with `inject` on its commands; returns the error.
  std::string run_faulty(uint64_t inject, const isa::Program& program = copy_program()) {
    auto context = device->open("npu0pe0");
    runtime::LoadedProgram loaded(*device, program, hw);
    try {
      runtime::run_once(*context, loaded, {random_bytes(1024, 1)}, std::chrono::seconds(30),
                        inject);
    } catch (const driver::DriverError& e) {
      EXPECT_EQ(e.kind(), driver::ErrorKind::kDevice);
      return e.what();
    }
    ADD_FAILURE() << "the injected fault did not surface";
    return "";
  }

  void expect_device_still_works() {
    device->reset();
    const auto data = random_bytes(1024, 11);
    EXPECT_EQ(run(copy_program(), {data}).outputs[0], data);
  }
};

TEST_F(DeviceFaultTest, DmaErrorStopsTheFirstDmaInstruction) {
  const std::string msg = run_faulty(isa::reg::inject_word(FaultKind::kDmaError));
  EXPECT_NE(msg.find("DMA error at instruction 0 of the pe0 load engine"), std::string::npos)
      << msg;
  EXPECT_EQ(device->last_fault().code, ErrorCode::kDmaError);
  expect_device_still_works();
}

TEST_F(DeviceFaultTest, DmaErrorAfterInstructionsHitsTheNextDmaOnly) {
  // Instructions start in the order load 0 (dma), store 0 (wait), load 1
  // (signal), store 1 (dma): after 2 started, the next DMA is the store's.
  const std::string msg = run_faulty(isa::reg::inject_word(FaultKind::kDmaError, 2));
  EXPECT_NE(msg.find("DMA error at instruction 1 of the pe0 store engine"), std::string::npos)
      << msg;
  expect_device_still_works();
}

TEST_F(DeviceFaultTest, IllegalInstructionStopsTheRun) {
  const std::string msg = run_faulty(isa::reg::inject_word(FaultKind::kIllegalInstruction));
  EXPECT_NE(msg.find("illegal instruction at instruction 0 of the pe0"), std::string::npos) << msg;
  expect_device_still_works();
}

TEST_F(DeviceFaultTest, WatchdogFiresAndNamesTheEngines) {
  const std::string msg =
      run_faulty(isa::reg::inject_word(FaultKind::kWatchdog), load_only_program());
  EXPECT_NE(msg.find("watchdog timeout: pe0 load engine at instruction 0 is running"),
            std::string::npos)
      << msg;
  EXPECT_EQ(device->last_fault().code, ErrorCode::kWatchdogTimeout);
  expect_device_still_works();
}

TEST_F(DeviceFaultTest, StuckEngineIsCaughtByTheWatchdogNamingIt) {
  const std::string msg =
      run_faulty(isa::reg::inject_word(FaultKind::kStuckEngine), load_only_program());
  EXPECT_NE(msg.find("watchdog timeout: pe0 load engine at instruction 0 is stuck"),
            std::string::npos)
      << msg;
  expect_device_still_works();
}

TEST_F(DeviceFaultTest, AStuckEngineLeavesTheOthersWaitingAndTheReportNamesAll) {
  // Stuck at the copy program's last DMA (the store's, after 4 instructions
  // have started whichever engine ran first): the load engine has finished.
  const std::string msg = run_faulty(isa::reg::inject_word(FaultKind::kStuckEngine, 4));
  EXPECT_NE(msg.find("watchdog timeout: pe0 store engine at instruction 1 is stuck"),
            std::string::npos)
      << msg;
  EXPECT_EQ(msg.find("load engine"), std::string::npos) << "the load engine had finished: " << msg;
  expect_device_still_works();
}

TEST_F(DeviceFaultTest, HostLinkErrorFailsTheCopy) {
  const std::string msg = run_faulty(isa::reg::inject_word(FaultKind::kHostLinkError));
  EXPECT_NE(msg.find("host link error on queue"), std::string::npos) << msg;
  EXPECT_EQ(device->last_fault().code, ErrorCode::kHostLinkError);
  expect_device_still_works();
}

TEST_F(DeviceFaultTest, ArmedFaultFiresAfterNInstructionsAndDisarms) {
  device->arm_fault(FaultKind::kIllegalInstruction, 5);
  EXPECT_EQ(device->armed_fault(), FaultKind::kIllegalInstruction);
  // The copy program starts 6 instructions (two ends included): the first
  // run uses 6, so the fault, due at the 6th, hits its last `end`.
  const auto data = random_bytes(1024, 3);
  try {
    run(copy_program(), {data});
    FAIL() << "the armed fault did not fire";
  } catch (const driver::DriverError& e) {
    EXPECT_NE(std::string(e.what()).find("illegal instruction at instruction"), std::string::npos)
        << e.what();
  }
  EXPECT_EQ(device->armed_fault(), FaultKind::kNone);  // fired once
  expect_device_still_works();
}

TEST_F(DeviceFaultTest, ResetDisarms) {
  device->arm_fault(FaultKind::kDmaError, 0);
  device->reset();
  EXPECT_EQ(device->armed_fault(), FaultKind::kNone);
  const auto data = random_bytes(1024, 4);
  EXPECT_EQ(run(copy_program(), {data}).outputs[0], data);
}

TEST_F(DeviceFaultTest, UnknownKindIsABadRegisterWrite) {
  device->write_register(isa::reg::kInjectKind, 99);
  EXPECT_EQ(device->last_fault().code, ErrorCode::kBadRegister);
  EXPECT_EQ(device->armed_fault(), FaultKind::kNone);
}

}  // namespace
}  // namespace npusim::testing
