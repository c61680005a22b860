#include "host_allocator.hpp"

#include <malloc.h>

#include <mutex>

namespace npusim::runtime {

void keep_freed_tensors_in_heap() {
  static std::once_flag once;
  std::call_once(once, [] {
    // Blocks up to 32 MiB come from the heap; up to 512 MiB of free heap stays
    // mapped for the next request (the peak a runner reaches anyway). 32 MiB
    // is the largest threshold glibc takes on 64-bit: it refuses more (64 MiB
    // left glibc's sliding threshold in place).
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 512 << 20);
  });
}

}  // namespace npusim::runtime
