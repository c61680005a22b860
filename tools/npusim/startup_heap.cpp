// The heap npusim starts with: placed before any library's initialiser runs
// (.preinit_array), so that the first megabytes of the heap come in
// transparent huge pages.
//
// Why: start-up is page faults. SystemC's initialiser allocates and zeroes a
// 3 MiB scratch heap (sc_temp_heap) in every process, 768 fresh 4 KiB pages;
// on a paravirtualised host a fault costs ~13 us, so that alone was a third of
// a 29 ms start. In a 2 MiB-aligned heap marked MADV_HUGEPAGE the same memory
// is two faults. Only advice: where the system has no transparent huge pages
// nothing changes but the heap's alignment.
//
// Blocks up to 32 MiB come from this heap, and up to 512 MiB of free heap
// stays mapped (the runtime's setting for every session, see
// runtime/src/host_allocator.cpp, made here once for the whole process).
#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>

namespace {

constexpr uintptr_t kHugePage = uintptr_t{2} << 20;
constexpr size_t kFirstHeap = size_t{8} << 20;  // SystemC's 3 MiB and then some

void start_heap_on_huge_pages(int, char**, char**) {
  mallopt(M_MMAP_THRESHOLD, 32 << 20);  // glibc's largest
  mallopt(M_TRIM_THRESHOLD, 512 << 20);
  // The heap starts one page below a huge-page boundary: malloc writes its
  // first header there, and the huge pages above stay untouched until the
  // advice below is given (a touched 2 MiB stretch stays in 4 KiB pages).
  const auto brk = reinterpret_cast<uintptr_t>(sbrk(0));
  if (brk == uintptr_t(-1)) return;
  const uintptr_t page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  const uintptr_t aligned = (brk + page + kHugePage - 1) & ~(kHugePage - 1);
  if (sbrk(static_cast<intptr_t>(aligned - page - brk)) == reinterpret_cast<void*>(-1)) return;
  // Extend the heap by the whole first stretch at once; freed, it stays the
  // top of the heap that the next blocks are cut from.
  void* first = malloc(kFirstHeap);
  asm volatile("" : : "r"(first) : "memory");  // the compiler may not drop the pair
  const auto end = reinterpret_cast<uintptr_t>(sbrk(0));
  if (end > aligned) madvise(reinterpret_cast<void*>(aligned), end - aligned, MADV_HUGEPAGE);
  free(first);
}

}  // namespace

// Not under the sanitizers, whose own allocators own the heap (GCC defines
// __SANITIZE_*__, clang answers __has_feature).
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define NPUSIM_SANITIZED_BUILD 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define NPUSIM_SANITIZED_BUILD 1
#endif
#endif
#if !defined(NPUSIM_SANITIZED_BUILD)
// Functions in the executable's .preinit_array run before the shared
// libraries' initialisers.
__attribute__((section(".preinit_array"),
               used)) static void (*const npusim_start_heap)(int, char**,
                                                             char**) = start_heap_on_huge_pages;
#endif
