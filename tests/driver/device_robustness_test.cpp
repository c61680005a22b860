// The device never crashes or hangs on a bad program: random instruction
// words and random (small) field values, run without the verifier, either
// complete or end in a device error, and the device keeps working.
#include <gtest/gtest.h>

#include <random>

#include "common/device_fixture.hpp"
#include "common/instructions.hpp"
#include "common/program_builder.hpp"

namespace npusim::testing {
namespace {

// An instruction with a random opcode and random small field values
// (addresses below 64 KiB, other fields below 256) so work stays bounded.
isa::Instruction random_instruction(std::mt19937& rng) {
  const auto& ops = isa::all_opcodes();
  const isa::OpcodeInfo& op = ops[rng() % ops.size()];
  isa::Instruction in;
  in.op = op.opcode;
  for (const isa::FieldSpec& f : op.fields) {
    const bool address = f.kind != isa::FieldKind::kUnsigned && f.kind != isa::FieldKind::kSigned;
    const uint64_t limit =
        std::min<uint64_t>(address ? 1u << 16 : 256, uint64_t{1} << (f.bits - 1));
    int64_t v = static_cast<int64_t>(rng() % limit);
    if (f.kind == isa::FieldKind::kSigned && rng() % 2) v = -v;
    in[f.field] = v;
  }
  return in;
}

isa::Program random_program(std::mt19937& rng) {
  ProgramBuilder b;
  b.add_weights(random_bytes(4096, rng()));
  b.scratch(1 << 16).input("x", {1 << 12}, 0);
  isa::Program p = [&] {
    for (int e = 0; e < isa::kNumEngines; ++e)
      for (int i = 0, n = 1 + rng() % 6; i < n; ++i)
        b.emit(static_cast<isa::Engine>(e), random_instruction(rng));
    return b.build();
  }();
  if (rng() % 3 == 0) {  // raw random words in one stream: exercises the decoder
    auto& words = std::get<isa::NpuSegment>(p.segments[0]).streams[0][rng() % 3];
    for (auto& w : words) w = rng();
  }
  return p;
}

class DeviceRobustnessTest : public DeviceTest {};

TEST_F(DeviceRobustnessTest, RandomProgramsEndInSuccessOrADeviceErrorNeverACrash) {
  std::mt19937 rng(2024);
  int ok = 0, faults = 0;
  for (int i = 0; i < 200; ++i) {
    const isa::Program p = random_program(rng);
    try {
      run(p, {random_bytes(1 << 12, i)}, "npu0pe0", /*verify=*/false);
      ++ok;
    } catch (const driver::DriverError& e) {
      ASSERT_EQ(e.kind(), driver::ErrorKind::kDevice) << "program " << i << ": " << e.what();
      ++faults;
      device->reset();
    }
  }
  std::cout << ok << " programs completed, " << faults << " ended in a device error\n";
  EXPECT_GT(faults, 100);  // most random programs are wrong, and the device says so
  const auto data = random_bytes(1024, 3);
  ProgramBuilder b;
  b.input("x", {1024}, 0).output("y", {1024}, 1024);
  b.emit(isa::Engine::kLoad, dma_load(isa::kBaseIo, 0, 0, 1024))
      .emit(isa::Engine::kLoad, sem_signal(0));
  b.emit(isa::Engine::kStore, sem_wait(0))
      .emit(isa::Engine::kStore, dma_store(isa::kBaseIo, 1024, 0, 1024));
  EXPECT_EQ(run(b.build(), {data}).outputs[0], data);  // and it still works
}

}  // namespace
}  // namespace npusim::testing
