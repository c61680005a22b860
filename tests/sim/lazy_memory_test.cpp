// LazyMemory: the backing of DRAM and each PE's SRAM.
#include <gtest/gtest.h>

#include <cstdint>
#include <stdexcept>

#include "lazy_memory.hpp"

namespace npusim::sim {
namespace {

TEST(LazyMemory, ReadsZeroKeepsWritesAndClearsToZero) {
  LazyMemory m;
  const uint64_t size = (uint64_t{5} << 20) + 123;  // not a whole number of huge pages
  m.assign(size, "test memory");
  ASSERT_EQ(m.size(), size);
  EXPECT_EQ(m.data()[0], 0);
  EXPECT_EQ(m.data()[size - 1], 0);
  m.data()[0] = 7;
  m.data()[size / 2] = 8;
  m.data()[size - 1] = 9;
  EXPECT_EQ(m.data()[0], 7);
  EXPECT_EQ(m.data()[size / 2], 8);
  EXPECT_EQ(m.data()[size - 1], 9);
  m.clear();
  EXPECT_EQ(m.size(), size);
  EXPECT_EQ(m.data()[0], 0);
  EXPECT_EQ(m.data()[size / 2], 0);
  EXPECT_EQ(m.data()[size - 1], 0);
}

TEST(LazyMemory, StartsOnAHugePageBoundary) {
  LazyMemory m;
  m.assign(uint64_t{3} << 20, "test memory");
  EXPECT_EQ(reinterpret_cast<uintptr_t>(m.data()) % (uintptr_t{2} << 20), 0u);
}

TEST(LazyMemory, ReassigningReplacesTheContents) {
  LazyMemory m;
  m.assign(4096, "test memory");
  m.data()[100] = 1;
  m.assign(8192, "test memory");
  EXPECT_EQ(m.size(), 8192u);
  EXPECT_EQ(m.data()[100], 0);
  m.assign(0, "test memory");
  EXPECT_EQ(m.size(), 0u);
  EXPECT_EQ(m.data(), nullptr);
}

TEST(LazyMemory, ARefusedMappingNamesTheMemory) {
  LazyMemory m;
  try {
    m.assign(uint64_t{1} << 62, "DRAM");
    FAIL() << "a 4 EiB mapping was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()).rfind("cannot reserve DRAM of 4611686018427387904 bytes: ", 0),
              0u)
        << e.what();
  }
}

}  // namespace
}  // namespace npusim::sim
