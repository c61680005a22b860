// Zero-initialised memory for a modelled device memory (DRAM, a PE's SRAM):
// an anonymous mapping of exactly the configured size, so untouched pages cost
// no host memory and no time; touched memory comes in transparent huge pages
// where the system has them (one page fault per 2 MiB). A clear gives the pages back to the system
// (they read as zero again), so a reset never writes the whole size.
#pragma once

#include <cstddef>
#include <cstdint>

namespace npusim::sim {

class LazyMemory {
 public:
  LazyMemory() = default;
  ~LazyMemory();
  LazyMemory(const LazyMemory&) = delete;
  LazyMemory& operator=(const LazyMemory&) = delete;

  // Maps `bytes` of zeros (0: no mapping); the old contents are gone. Throws
  // std::runtime_error naming `what` when the system refuses the mapping.
  void assign(uint64_t bytes, const char* what);
  // Every byte reads as zero again; the size stays.
  void clear();

  uint8_t* data() { return data_; }
  const uint8_t* data() const { return data_; }
  uint64_t size() const { return size_; }

 private:
  void release();
  uint8_t* data_ = nullptr;
  uint64_t size_ = 0;
  uint64_t mapped_ = 0;  // size_ rounded up to whole huge pages
};

}  // namespace npusim::sim
