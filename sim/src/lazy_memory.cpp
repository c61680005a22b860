#include "lazy_memory.hpp"

#include <sys/mman.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace npusim::sim {

namespace {

// The size of a transparent huge page on x86-64 (a PMD).
constexpr uint64_t kHugePage = uint64_t{2} << 20;

uint64_t round_up(uint64_t n, uint64_t to) {
  return (n + to - 1) / to * to;
}

}  // namespace

LazyMemory::~LazyMemory() {
  release();
}

void LazyMemory::release() {
  if (data_) munmap(data_, mapped_);
  data_ = nullptr;
  size_ = mapped_ = 0;
}

void LazyMemory::assign(uint64_t bytes, const char* what) {
  release();
  if (bytes == 0) return;
  // MAP_NORESERVE: a large device memory is backed only where it is written.
  // One extra huge page of address space lets the start move to a huge-page
  // boundary.
  const uint64_t span = round_up(bytes, kHugePage);
  void* p = mmap(nullptr, span + kHugePage, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED)
    throw std::runtime_error(std::string("cannot reserve ") + what + " of " +
                             std::to_string(bytes) + " bytes: " + std::strerror(errno));
  auto* raw = static_cast<uint8_t*>(p);
  auto* start = reinterpret_cast<uint8_t*>(round_up(reinterpret_cast<uintptr_t>(raw), kHugePage));
  if (start > raw) munmap(raw, static_cast<size_t>(start - raw));
  const uint64_t tail = kHugePage - static_cast<uint64_t>(start - raw);
  if (tail > 0) munmap(start + span, tail);
  // First touches are the cost of a run (a fresh 4 KiB page costs a fault
  // each, ~13 us on a paravirtualised host; YOLOv8n touches tens of MiB):
  // huge pages take one fault per 2 MiB. Only advice: without transparent huge
  // pages the mapping works as before.
  madvise(start, span, MADV_HUGEPAGE);
  data_ = start;
  size_ = bytes;
  mapped_ = span;
}

void LazyMemory::clear() {
  // Private anonymous pages read as zero after MADV_DONTNEED.
  if (data_ && madvise(data_, mapped_, MADV_DONTNEED) != 0) std::memset(data_, 0, size_);
}

}  // namespace npusim::sim
