/*
 * The machine's fp32 FMA peak, measured: every thread runs a throughput-bound loop of 12 independent
 * fused multiply-adds per iteration (AVX-512 on zmm registers, AVX2 on ymm), on 1 and then 2 threads;
 * best of 3 runs each. Prints one line `BENCH_JSON {...}`. bench/run.ts compiles and runs it:
 *
 *   gcc -O2 -mavx512f -mfma -pthread bench/peak_fma.c -o bench/results/work/peak_fma
 *
 * The kernels check the CPU at run time, so the program also runs (AVX2 only) where AVX-512 is missing.
 */
#include <immintrin.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static long iters = 100000000L;

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + 1e-9 * t.tv_nsec;
}

static void *fma512(void *arg) {
  __m512 a[12];
  __m512 b = _mm512_set1_ps(1.0000001f), c = _mm512_set1_ps(1e-7f);
  for (int i = 0; i < 12; i++) a[i] = _mm512_set1_ps((float)i);
  for (long it = 0; it < iters; it++) {
#pragma GCC unroll 12
    for (int i = 0; i < 12; i++) a[i] = _mm512_fmadd_ps(a[i], b, c);
  }
  __m512 s = a[0];
  for (int i = 1; i < 12; i++) s = _mm512_add_ps(s, a[i]);
  *(float *)arg = _mm512_reduce_add_ps(s);
  return NULL;
}

static void *fma256(void *arg) {
  __m256 a[12];
  __m256 b = _mm256_set1_ps(1.0000001f), c = _mm256_set1_ps(1e-7f);
  for (int i = 0; i < 12; i++) a[i] = _mm256_set1_ps((float)i);
  for (long it = 0; it < iters; it++) {
#pragma GCC unroll 12
    for (int i = 0; i < 12; i++) a[i] = _mm256_fmadd_ps(a[i], b, c);
  }
  __m256 s = a[0];
  for (int i = 1; i < 12; i++) s = _mm256_add_ps(s, a[i]);
  float o[8];
  _mm256_storeu_ps(o, s);
  *(float *)arg = o[0];
  return NULL;
}

/* GFLOP/s of `threads` threads running f: best of 3. */
static double measure(void *(*f)(void *), int threads, int lanes) {
  double best = 1e30;
  for (int r = 0; r < 3; r++) {
    pthread_t th[2];
    float sink[2];
    double t0 = now();
    for (int i = 0; i < threads; i++) pthread_create(&th[i], NULL, f, &sink[i]);
    for (int i = 0; i < threads; i++) pthread_join(th[i], NULL);
    double t = now() - t0;
    if (t < best) best = t;
  }
  return (double)iters * 12 * lanes * 2 * threads / best / 1e9;
}

int main(int argc, char **argv) {
  if (argc > 1) iters = atol(argv[1]);
  __builtin_cpu_init();
  int has512 = __builtin_cpu_supports("avx512f");
  int has2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  printf("BENCH_JSON {\"iterations\": %ld", iters);
  if (has512) printf(", \"avx512_fma_gflops\": [%.1f, %.1f]", measure(fma512, 1, 16), measure(fma512, 2, 16));
  if (has2) printf(", \"avx2_fma_gflops\": [%.1f, %.1f]", measure(fma256, 1, 8), measure(fma256, 2, 8));
  printf(", \"avx512f\": %s, \"avx2_fma\": %s}\n", has512 ? "true" : "false", has2 ? "true" : "false");
  return 0;
}
