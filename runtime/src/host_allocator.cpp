#include "host_allocator.hpp"

#include <malloc.h>

#include <mutex>

namespace npusim::runtime {

void keep_freed_tensors_in_heap() {
  static std::once_flag once;
  std::call_once(once, [] {
    // Blocks up to 64 MiB come from the heap; up to 512 MiB of free heap stays
    // mapped for the next request (the peak a runner reaches anyway).
    mallopt(M_MMAP_THRESHOLD, 64 << 20);
    mallopt(M_TRIM_THRESHOLD, 512 << 20);
  });
}

}  // namespace npusim::runtime
