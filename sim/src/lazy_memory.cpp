#include "lazy_memory.hpp"

#include <sys/mman.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace npusim::sim {

LazyMemory::~LazyMemory() {
  release();
}

void LazyMemory::release() {
  if (data_) munmap(data_, size_);
  data_ = nullptr;
  size_ = 0;
}

void LazyMemory::assign(uint64_t bytes, const char* what) {
  release();
  if (bytes == 0) return;
  // MAP_NORESERVE: a large device memory is backed only where it is written.
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED)
    throw std::runtime_error(std::string("cannot reserve ") + what + " of " +
                             std::to_string(bytes) + " bytes: " + std::strerror(errno));
  data_ = static_cast<uint8_t*>(p);
  size_ = bytes;
}

void LazyMemory::clear() {
  // Private anonymous pages read as zero after MADV_DONTNEED.
  if (data_ && madvise(data_, size_, MADV_DONTNEED) != 0) std::memset(data_, 0, size_);
}

}  // namespace npusim::sim
