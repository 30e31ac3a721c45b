#include "int8_quantize.h"

#include <algorithm>
#include <cmath>

#include "aligned_buffer.h"

#if KILN_X86_KERNELS
#include <immintrin.h>
#endif

// GCC 12 takes the _mm512_undefined_* placeholders inside its own intrinsics for uninitialized values.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

namespace kiln {
namespace {

// Elements per task: the conversions are memory-bound, so small batches stay on one thread.
constexpr int64_t kMinElementsPerTask = 1 << 16;
// Bytes of the channel-major staging tile of a layout change, which stays in L1.
constexpr int64_t kTileBytes = 16 << 10;

// Contiguous conversions of n values, one build per instruction set.
using QuantizeFn = void (*)(const float* x, int64_t n, float scale, int32_t zeroPoint, uint8_t* out);
using DequantizeFn = void (*)(const uint8_t* x, int64_t n, float scale, int32_t zeroPoint, float* out);

inline uint8_t quantizeValue(float x, float scale, int32_t zeroPoint) {
  float v = x / scale;
  // NaN fails the comparison and goes to the bottom, as the js store of NaN gives 0.
  if (!(v >= -kRequantLimit)) v = -kRequantLimit;
  v = std::min(v, kRequantLimit);
  return static_cast<uint8_t>(std::min(std::max(static_cast<int32_t>(std::lrintf(v)) + zeroPoint, 0), 255));
}

void quantizePortable(const float* x, int64_t n, float scale, int32_t zeroPoint, uint8_t* out) {
  for (int64_t i = 0; i < n; ++i) out[i] = quantizeValue(x[i], scale, zeroPoint);
}

void dequantizePortable(const uint8_t* x, int64_t n, float scale, int32_t zeroPoint, float* out) {
  for (int64_t i = 0; i < n; ++i) out[i] = static_cast<float>(x[i] - zeroPoint) * scale;
}

#if KILN_X86_KERNELS
#define KILN_TARGET_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq")))
#define KILN_TARGET_AVX2 __attribute__((target("avx2,fma")))

// A true division, not a multiplication by the reciprocal, which would round differently. max_ps returns
// its second operand when the first is NaN, which sends NaN to the bottom as in quantizeValue.
KILN_TARGET_AVX512 void quantizeAvx512(const float* x, int64_t n, float scale, int32_t zeroPoint, uint8_t* out) {
  const __m512 s = _mm512_set1_ps(scale);
  const __m512 lo = _mm512_set1_ps(-kRequantLimit);
  const __m512 hi = _mm512_set1_ps(kRequantLimit);
  const __m512i zero = _mm512_setzero_si512();
  const __m512i top = _mm512_set1_epi32(255);
  const __m512i zp = _mm512_set1_epi32(zeroPoint);
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 mask = n - i >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << (n - i)) - 1);
    const __m512 v = _mm512_min_ps(_mm512_max_ps(_mm512_div_ps(_mm512_maskz_loadu_ps(mask, x + i), s), lo), hi);
    const __m512i q = _mm512_add_epi32(_mm512_cvt_roundps_epi32(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC), zp);
    _mm512_mask_cvtepi32_storeu_epi8(out + i, mask, _mm512_min_epi32(_mm512_max_epi32(q, zero), top));
  }
}

KILN_TARGET_AVX512 void dequantizeAvx512(const uint8_t* x, int64_t n, float scale, int32_t zeroPoint, float* out) {
  const __m512 s = _mm512_set1_ps(scale);
  const __m512i zp = _mm512_set1_epi32(zeroPoint);
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 mask = n - i >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << (n - i)) - 1);
    const __m512i q = _mm512_sub_epi32(_mm512_cvtepu8_epi32(_mm_maskz_loadu_epi8(mask, x + i)), zp);
    _mm512_mask_storeu_ps(out + i, mask, _mm512_mul_ps(_mm512_cvtepi32_ps(q), s));
  }
}

// cvtps rounds in the MXCSR mode, ties to even unless someone changed it, as lrintf does.
KILN_TARGET_AVX2 void quantizeAvx2(const float* x, int64_t n, float scale, int32_t zeroPoint, uint8_t* out) {
  const __m256 s = _mm256_set1_ps(scale);
  const __m256 lo = _mm256_set1_ps(-kRequantLimit);
  const __m256 hi = _mm256_set1_ps(kRequantLimit);
  const __m256i zp = _mm256_set1_epi32(zeroPoint);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 v = _mm256_min_ps(_mm256_max_ps(_mm256_div_ps(_mm256_loadu_ps(x + i), s), lo), hi);
    const __m256i q = _mm256_add_epi32(_mm256_cvtps_epi32(v), zp);
    // The saturating packs clamp to [0, 255].
    const __m128i words = _mm_packus_epi32(_mm256_castsi256_si128(q), _mm256_extracti128_si256(q, 1));
    _mm_storel_epi64(reinterpret_cast<__m128i*>(out + i), _mm_packus_epi16(words, words));
  }
  quantizePortable(x + i, n - i, scale, zeroPoint, out + i);
}

KILN_TARGET_AVX2 void dequantizeAvx2(const uint8_t* x, int64_t n, float scale, int32_t zeroPoint, float* out) {
  const __m256 s = _mm256_set1_ps(scale);
  const __m256i zp = _mm256_set1_epi32(zeroPoint);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256i bytes = _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(x + i)));
    _mm256_storeu_ps(out + i, _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(bytes, zp)), s));
  }
  dequantizePortable(x + i, n - i, scale, zeroPoint, out + i);
}
#endif

QuantizeFn quantizeFor(Int8Isa isa) {
#if KILN_X86_KERNELS
  if (isa == Int8Isa::kAvx512 || isa == Int8Isa::kAvx512Vnni) return quantizeAvx512;
  if (isa == Int8Isa::kAvx2) return quantizeAvx2;
#endif
  (void)isa;
  return quantizePortable;
}

DequantizeFn dequantizeFor(Int8Isa isa) {
#if KILN_X86_KERNELS
  if (isa == Int8Isa::kAvx512 || isa == Int8Isa::kAvx512Vnni) return dequantizeAvx512;
  if (isa == Int8Isa::kAvx2) return dequantizeAvx2;
#endif
  (void)isa;
  return dequantizePortable;
}

// Runs task(first, last) over ranges of `count` units of `unitSize` elements, in parallel when large enough.
template <typename Task>
void forEachRange(ThreadPool& pool, int64_t count, int64_t unitSize, const Task& task) {
  const int64_t tasks =
      std::max<int64_t>(1, std::min<int64_t>({count, pool.threads(), count * unitSize / kMinElementsPerTask}));
  if (tasks == 1 || ThreadPool::insideTask()) return task(0, count);
  pool.parallelFor(tasks, [&](int64_t t) { task(count * t / tasks, count * (t + 1) / tasks); });
}

// The staging tile of the calling thread: [channels][positions] bytes.
uint8_t* tileScratch(int64_t bytes) {
  static thread_local AlignedBuffer buffer;
  return reinterpret_cast<uint8_t*>(buffer.reserve(static_cast<size_t>((bytes + 3) / 4)));
}

// Calls block(image, start, count, stride, tile) for the blocks of positions [start, start + count) of
// every image, spread over the pool; a block's channels fit the calling thread's staging tile, whose
// channel rows are `stride` bytes apart.
template <typename Block>
void forEachPositionBlock(ThreadPool& pool, const ChannelsLastShape& shape, const Block& block) {
  const int64_t positions = std::max<int64_t>(16, kTileBytes / shape.channels);
  const int64_t perImage = (shape.plane + positions - 1) / positions;
  forEachRange(pool, shape.batch * perImage, positions * shape.channels, [&](int64_t first, int64_t last) {
    uint8_t* tile = tileScratch(positions * shape.channels);
    for (int64_t b = first; b < last; ++b) {
      const int64_t start = (b % perImage) * positions;
      block(b / perImage, start, std::min(positions, shape.plane - start), positions, tile);
    }
  });
}

}  // namespace

void quantize(Int8Isa isa, ThreadPool& pool, const ChannelsLastShape& shape, const float* x, float scale,
              int32_t zeroPoint, uint8_t* out) {
  const QuantizeFn convert = quantizeFor(isa);
  const int64_t c = shape.channels;
  const int64_t size = shape.batch * c * shape.plane;
  if (size == 0) return;
  // With one channel or one position per image both layouts are the same.
  if (c == 1 || shape.plane == 1) {
    return forEachRange(pool, size, 1, [&](int64_t first, int64_t last) {
      convert(x + first, last - first, scale, zeroPoint, out + first);
    });
  }
  forEachPositionBlock(pool, shape, [&](int64_t image, int64_t start, int64_t count, int64_t stride, uint8_t* tile) {
    const float* src = x + image * c * shape.plane + start;
    for (int64_t ch = 0; ch < c; ++ch) convert(src + ch * shape.plane, count, scale, zeroPoint, tile + ch * stride);
    uint8_t* dst = out + (image * shape.plane + start) * c;
    for (int64_t i = 0; i < count; ++i) {
      for (int64_t ch = 0; ch < c; ++ch) dst[i * c + ch] = tile[ch * stride + i];
    }
  });
}

void dequantize(Int8Isa isa, ThreadPool& pool, const ChannelsLastShape& shape, const uint8_t* x, float scale,
                int32_t zeroPoint, float* out) {
  const DequantizeFn convert = dequantizeFor(isa);
  const int64_t c = shape.channels;
  const int64_t size = shape.batch * c * shape.plane;
  if (size == 0) return;
  if (c == 1 || shape.plane == 1) {
    return forEachRange(pool, size, 1, [&](int64_t first, int64_t last) {
      convert(x + first, last - first, scale, zeroPoint, out + first);
    });
  }
  forEachPositionBlock(pool, shape, [&](int64_t image, int64_t start, int64_t count, int64_t stride, uint8_t* tile) {
    const uint8_t* src = x + (image * shape.plane + start) * c;
    for (int64_t i = 0; i < count; ++i) {
      for (int64_t ch = 0; ch < c; ++ch) tile[ch * stride + i] = src[i * c + ch];
    }
    float* dst = out + image * c * shape.plane + start;
    for (int64_t ch = 0; ch < c; ++ch) convert(tile + ch * stride, count, scale, zeroPoint, dst + ch * shape.plane);
  });
}

}  // namespace kiln
