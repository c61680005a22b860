// Issue 11: the device maps memory for the sizes it is configured with
// (sim/src/lazy_memory.hpp), not 16 GiB of DRAM and four zero-filled SRAMs
// whatever --set says; a large SRAM costs no host memory until it is used.
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "common/device_fixture.hpp"
#include "common/instructions.hpp"
#include "common/program_builder.hpp"
#include "npusim/isa/regmap.hpp"

namespace npusim::testing {
namespace {

// A /proc/self/status figure in bytes (VmSize: mapped; VmHWM: peak resident).
uint64_t status_bytes(const std::string& key) {
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);)
    if (line.rfind(key + ":", 0) == 0) return std::stoull(line.substr(key.size() + 1)) * 1024;
  ADD_FAILURE() << "no " << key << " in /proc/self/status";
  return 0;
}

constexpr uint64_t kGiB = uint64_t{1} << 30, kMiB = uint64_t{1} << 20;

class DeviceMemory : public DeviceTest {
 protected:
  void SetUp() override {}  // each test configures the device itself
};

TEST_F(DeviceMemory, DramIsReservedForTheConfiguredSizeOnly) {
  const uint64_t before = status_bytes("VmSize");
  isa::HwParams p;
  isa::apply_assignment(p, "dram_size=1GiB");
  start(p);
  EXPECT_EQ(device->read_register(isa::reg::kDramMib), 1024u);
  const uint64_t mapped = status_bytes("VmSize") - before;
  // 1 GiB of DRAM, 2 x 16 MiB of SRAM and the simulator's threads: far
  // from the 16 GiB every command used to reserve.
  EXPECT_GE(mapped, 1 * kGiB);
  EXPECT_LT(mapped, 1 * kGiB + 512 * kMiB) << mapped / kMiB << " MiB mapped";
}

TEST_F(DeviceMemory, AGigabyteOfSramPerPeCostsNoHostMemoryUntilUsed) {
  isa::HwParams p;
  isa::apply_assignment(p, "sram_per_pe=1GiB");
  start(p);
  EXPECT_EQ(device->read_register(isa::reg::kSramKib), 1024u * 1024u);
  EXPECT_LT(status_bytes("VmHWM"), 400 * kMiB) << "SRAM was zero-filled";
  // And it works: a copy through SRAM at its last kilobyte.
  ProgramBuilder b(isa::Mode::kSingle, hw);
  b.input("x", {1024}, 0).output("y", {1024}, 1024);
  const uint64_t top = p.sram_per_pe - 1024;
  b.emit(isa::Engine::kLoad, dma_load(isa::kBaseIo, 0, top, 1024))
      .emit(isa::Engine::kLoad, sem_signal(0));
  b.emit(isa::Engine::kStore, sem_wait(0))
      .emit(isa::Engine::kStore, dma_store(isa::kBaseIo, 1024, top, 1024));
  const auto data = random_bytes(1024, 5);
  EXPECT_EQ(run(b.build(), {data}).outputs[0], data);
  EXPECT_LT(status_bytes("VmHWM"), 400 * kMiB);
}

}  // namespace
}  // namespace npusim::testing
