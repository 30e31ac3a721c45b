// Tensor storage is typed arrays of up to megabytes that die every training step, and Node allocates them
// with the C library's calloc. By default glibc maps each such block freshly (mmap) or trims the heap
// once a few megabytes are free, so the next step's arrays land on fresh pages: a page fault and a page
// zeroed by the kernel every 4 KiB, which for the reference CNN costs more system time than several of its
// kernels take. Serving blocks below 32 MiB from the heap, and trimming it only past 256 MiB of free
// memory, lets each step reuse the memory of the step before. Peak memory stays that of the live arrays.
#include "malloc_tuning.h"

#include <cstdlib>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace kiln {

void keepFreedTensorMemory() {
#if defined(__GLIBC__)
  // Setting either value by hand turns off glibc's own adjustment of both, so a user's choice stands as is.
  if (std::getenv("MALLOC_MMAP_THRESHOLD_") != nullptr || std::getenv("MALLOC_TRIM_THRESHOLD_") != nullptr) return;
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
#endif
}

}  // namespace kiln
