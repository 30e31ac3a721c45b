{
  "targets": [
    {
      "target_name": "kiln_native",
      "sources": [
        "native/src/adam.cc",
        "native/src/addon.cc",
        "native/src/conv2d.cc",
        "native/src/copy.cc",
        "native/src/cpu.cc",
        "native/src/elementwise.cc",
        "native/src/epilogue.cc",
        "native/src/gemm.cc",
        "native/src/gemm_avx2.cc",
        "native/src/gemm_avx512.cc",
        "native/src/gemm_scalar.cc",
        "native/src/int8_addon.cc",
        "native/src/int8_conv.cc",
        "native/src/int8_gemm.cc",
        "native/src/int8_gemm_avx2.cc",
        "native/src/int8_gemm_avx512.cc",
        "native/src/int8_gemm_scalar.cc",
        "native/src/int8_pool.cc",
        "native/src/int8_quantize.cc",
        "native/src/malloc_tuning.cc",
        "native/src/napi_args.cc",
        "native/src/pool2d.cc",
        "native/src/sparse.cc",
        "native/src/sparse_addon.cc",
        "native/src/sparse_avx2.cc",
        "native/src/sparse_avx512.cc",
        "native/src/sparse_scalar.cc",
        "native/src/thread_pool.cc",
        "native/src/winograd_avx512.cc"
      ],
      "defines": ["NAPI_VERSION=8"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++17"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-O3", "-ffp-contract=off", "-fno-math-errno"],
      "xcode_settings": {
        "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
        "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
        "GCC_OPTIMIZATION_LEVEL": "3",
        "OTHER_CPLUSPLUSFLAGS": ["-ffp-contract=off", "-fno-math-errno"]
      },
      "msvs_settings": {
        "VCCLCompilerTool": {
          "ExceptionHandling": 1,
          "AdditionalOptions": ["/std:c++17"]
        }
      }
    }
  ]
}
