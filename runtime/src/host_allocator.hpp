// How the process's allocator treats the runtime's per-request tensors.
#pragma once

namespace npusim::runtime {

// Requests allocate and free tensors of megabytes (inputs, quantised copies,
// outputs). By default glibc maps each block above 128 KiB freshly and trims
// freed heap memory back to the system, so every request faulted its pages in
// anew (YOLOv8n-640: thousands of page faults per request, a third of the
// host time). Raising the mmap and trim thresholds once per process lets
// freed blocks be reused from the heap. Called by every Session; idempotent.
void keep_freed_tensors_in_heap();

}  // namespace npusim::runtime
