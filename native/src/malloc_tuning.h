// How the C library's allocator treats the memory of freed tensors (see malloc_tuning.cc).
#pragma once

namespace kiln {

// Keeps freed arrays below 32 MiB for reuse instead of returning them to the OS (glibc only; a no-op
// elsewhere, and when the user tunes glibc's malloc through its own environment variables).
void keepFreedTensorMemory();

}  // namespace kiln
