// A growable float buffer aligned to a cache line, for packed panels and im2col scratch.
#pragma once

#include <cstddef>
#include <cstdlib>
#include <new>

namespace kiln {

class AlignedBuffer {
 public:
  AlignedBuffer() = default;
  ~AlignedBuffer() { std::free(data_); }
  AlignedBuffer(const AlignedBuffer&) = delete;
  AlignedBuffer& operator=(const AlignedBuffer&) = delete;

  // At least `size` floats; the contents are stale after growing.
  float* reserve(size_t size) {
    if (size > capacity_) {
      constexpr size_t kAlignment = 64;
      const size_t bytes = (size * sizeof(float) + kAlignment - 1) / kAlignment * kAlignment;
      void* grown = std::aligned_alloc(kAlignment, bytes);
      if (grown == nullptr) throw std::bad_alloc();
      std::free(data_);
      data_ = static_cast<float*>(grown);
      capacity_ = size;
    }
    return data_;
  }

 private:
  float* data_ = nullptr;
  size_t capacity_ = 0;
};

}  // namespace kiln
