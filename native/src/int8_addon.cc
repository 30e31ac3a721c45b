// The int8 kernels' N-API surface. As in addon.cc, every kernel works in place on the typed arrays and
// checks every extent again before touching memory, after the TypeScript side has run the shared checks
// of int8-args.ts.
#include "int8_addon.h"

#include <atomic>
#include <cmath>
#include <cstring>
#include <string>

#include "int8_conv.h"
#include "int8_gemm.h"
#include "int8_pool.h"
#include "int8_quantize.h"
#include "napi_args.h"

namespace kiln {
namespace {

constexpr int64_t kMaxReduction = 32768;
constexpr int64_t kMaxBias = int64_t{1} << 30;

struct Int8Runtime {
  const Isa* isa = nullptr;
  ThreadPool* pool = nullptr;
  // Cleared by setVnni(false) to run the avx512 family's int8 kernels without VNNI.
  std::atomic<bool> allowVnni{true};
};

Int8Runtime& runtime() {
  static Int8Runtime instance;
  return instance;
}

Int8Isa activeIsa() { return int8IsaFor(*runtime().isa, runtime().allowVnni); }

napi_value undefinedValue(napi_env env) {
  napi_value result;
  check(env, napi_get_undefined(env, &result));
  return result;
}

[[noreturn]] void fail(const std::string& message) { throw JsError(JsError::Kind::kRangeError, message); }

// A typed array of the given type; CallArgs reads the float and int32 ones, this the rest.
template <typename T>
ArrayView<T> typedArray(napi_env env, const CallArgs& args, size_t index, napi_typedarray_type type,
                        const char* typeName, const char* name) {
  bool isTypedArray = false;
  check(env, napi_is_typedarray(env, args.value(index), &isTypedArray));
  napi_typedarray_type actual = napi_float64_array;
  size_t length = 0;
  void* data = nullptr;
  if (isTypedArray) check(env, napi_get_typedarray_info(env, args.value(index), &actual, &length, &data, nullptr, nullptr));
  if (!isTypedArray || actual != type) {
    throw JsError(JsError::Kind::kTypeError, std::string("kiln native: ") + name + " must be a " + typeName);
  }
  return ArrayView<T>{static_cast<T*>(data), length};
}

// An integer argument in [0, 255].
int32_t byteValue(const CallArgs& args, size_t index, const char* kernel, const char* name) {
  const int64_t value = args.size(index, name);
  if (value > 255) fail(std::string(kernel) + ": " + name + " must be in [0, 255]");
  return static_cast<int32_t>(value);
}

// Packed weights (packed, n, k) at argument `index`.
PackedInt8 readPacked(napi_env env, const CallArgs& args, size_t index, const char* kernel, int64_t n, int64_t k) {
  const ArrayView<int8_t> packed = typedArray<int8_t>(env, args, index, napi_int8_array, "Int8Array", "packed weights");
  if (k > kMaxReduction) fail(std::string(kernel) + ": k exceeds the longest reduction, 32768");
  if (static_cast<int64_t>(packed.length) != packedInt8Size(n, k)) {
    fail(std::string(kernel) + ": the packed weights do not hold a packed " + std::to_string(n) + "×" +
         std::to_string(k) + " matrix");
  }
  return PackedInt8{packed.data, n, k};
}

// The output array and requantization at argument `index`: (bias, scale, offset | null, zeroPoint, min, max,
// out). A Uint8Array out takes the uint8 requantization, a Float32Array the float32 one (and the offset).
struct Output {
  Requant r;
  void* data;
  size_t length;
};

Output readOutput(napi_env env, const CallArgs& args, size_t index, const char* kernel, int64_t n) {
  const ArrayView<int32_t> bias = args.int32Array(index, "bias");
  const ArrayView<float> scale = args.float32Array(index + 1, "scale");
  requireLength(kernel, "bias", bias.length, n);
  requireLength(kernel, "scale", scale.length, n);
  for (int64_t j = 0; j < n; ++j) {
    if (std::abs(static_cast<int64_t>(bias.data[j])) >= kMaxBias) fail(std::string(kernel) + ": biases must be below 2^30");
  }
  Output result{Requant{false, bias.data, scale.data, nullptr, 0, 0, 255}, nullptr, 0};
  bool isTypedArray = false;
  check(env, napi_is_typedarray(env, args.value(index + 6), &isTypedArray));
  napi_typedarray_type type = napi_float64_array;
  if (isTypedArray) {
    check(env, napi_get_typedarray_info(env, args.value(index + 6), &type, &result.length, &result.data, nullptr, nullptr));
  }
  if (type == napi_uint8_array) {
    result.r.toUint8 = true;
    result.r.zeroPoint = byteValue(args, index + 3, kernel, "zeroPoint");
    result.r.min = byteValue(args, index + 4, kernel, "min");
    result.r.max = byteValue(args, index + 5, kernel, "max");
    if (result.r.min > result.r.max) fail(std::string(kernel) + ": min exceeds max");
  } else if (type == napi_float32_array) {
    if (!args.isNull(index + 2)) {
      const ArrayView<float> offset = args.float32Array(index + 2, "offset");
      requireLength(kernel, "offset", offset.length, n);
      result.r.offset = offset.data;
    }
  } else {
    throw JsError(JsError::Kind::kTypeError, std::string("kiln native: ") + kernel + ": out must be a Uint8Array or a Float32Array");
  }
  return result;
}

// Geometry fields from an Int32Array, each non-negative, in the order of the struct they fill.
template <typename Geometry>
Geometry readGeometry(const CallArgs& args, size_t index, const char* kernel) {
  const ArrayView<int32_t> fields = args.int32Array(index, "geometry");
  constexpr size_t kFields = sizeof(Geometry) / sizeof(int64_t);
  if (fields.length != kFields) fail(std::string(kernel) + ": geometry must have " + std::to_string(kFields) + " fields");
  int64_t values[kFields];
  for (size_t i = 0; i < kFields; ++i) {
    if (fields.data[i] < 0) fail(std::string(kernel) + ": geometry fields must be non-negative");
    values[i] = fields.data[i];
  }
  Geometry g;
  static_assert(sizeof g == sizeof values, "a geometry is a struct of int64_t fields");
  std::memcpy(&g, values, sizeof g);
  return g;
}

// ---- kernels

// (w: Int8Array, n, k) → the packed Int8Array.
napi_value packInt8Call(napi_env env, napi_callback_info cbinfo) {
  return guard(env, [&] {
    CallArgs args(env, cbinfo, 3);
    const ArrayView<int8_t> w = typedArray<int8_t>(env, args, 0, napi_int8_array, "Int8Array", "w");
    const int64_t n = args.size(1, "n");
    const int64_t k = args.size(2, "k");
    if (k > kMaxReduction) fail("packInt8: k exceeds the longest reduction, 32768");
    requireLength("packInt8", "w", w.length, n * k);
    const int64_t size = packedInt8Size(n, k);
    void* bytes = nullptr;
    napi_value buffer, packed;
    check(env, napi_create_arraybuffer(env, static_cast<size_t>(size), &bytes, &buffer));
    packInt8(w.data, n, k, static_cast<int8_t*>(bytes));
    check(env, napi_create_typedarray(env, napi_int8_array, static_cast<size_t>(size), buffer, 0, &packed));
    return packed;
  });
}

// (m, a, aOffset, lda, packed, n, k, bias, scale, offset, zeroPoint, min, max, out, outOffset, ldo)
napi_value qgemmCall(napi_env env, napi_callback_info cbinfo) {
  return guard(env, [&] {
    CallArgs args(env, cbinfo, 16);
    const int64_t m = args.size(0, "m");
    const ArrayView<uint8_t> a = args.uint8Array(1, "a");
    const int64_t aOffset = args.size(2, "a offset");
    const int64_t lda = args.size(3, "lda");
    const int64_t n = args.size(5, "n");
    const int64_t k = args.size(6, "k");
    const PackedInt8 w = readPacked(env, args, 4, "qgemm", n, k);
    requireMatrix("qgemm", "a", a.length, aOffset, lda, m, k);
    const Output out = readOutput(env, args, 7, "qgemm", n);
    const int64_t outOffset = args.size(14, "out offset");
    const int64_t ldo = args.size(15, "ldo");
    requireMatrix("qgemm", "out", out.length, outOffset, ldo, m, n);
    void* outStart = out.r.toUint8 ? static_cast<void*>(static_cast<uint8_t*>(out.data) + outOffset)
                                   : static_cast<void*>(static_cast<float*>(out.data) + outOffset);
    qgemm(int8MicroKernelFor(activeIsa()), *runtime().pool,
          Int8Product{m, a.data + aOffset, lda, k, w, out.r, outStart, ldo});
    return undefinedValue(env);
  });
}

ConvGeometry readConvGeometry(const CallArgs& args, size_t index, const char* kernel) {
  const ConvGeometry g = readGeometry<ConvGeometry>(args, index, kernel);
  if (g.groups != 1 || g.kernelH < 1 || g.kernelW < 1 || g.strideH < 1 || g.strideW < 1 || g.dilationH < 1 ||
      g.dilationW < 1) {
    fail(std::string(kernel) + ": inconsistent geometry");
  }
  return g;
}

// (geometry, x, xZeroPoint, packed, bias, scale, offset, zeroPoint, min, max, out)
napi_value qconv2dCall(napi_env env, napi_callback_info cbinfo) {
  return guard(env, [&] {
    CallArgs args(env, cbinfo, 11);
    const ConvGeometry g = readConvGeometry(args, 0, "qconv2d");
    const ArrayView<uint8_t> x = args.uint8Array(1, "x");
    const int32_t xZeroPoint = byteValue(args, 2, "qconv2d", "xZeroPoint");
    const int64_t k = g.kernelH * g.kernelW * g.inChannels;
    const PackedInt8 w = readPacked(env, args, 3, "qconv2d", g.outChannels, k);
    const Output out = readOutput(env, args, 4, "qconv2d", g.outChannels);
    requireLength("qconv2d", "x", x.length, g.batch * g.inH * g.inW * g.inChannels);
    requireLength("qconv2d", "out", out.length, g.batch * g.outH * g.outW * g.outChannels);
    qconv2d(int8MicroKernelFor(activeIsa()), *runtime().pool, g, x.data, static_cast<uint8_t>(xZeroPoint), w, out.r,
            out.data);
    return undefinedValue(env);
  });
}

// The number of whole windows of `kernel` conv outputs, `stride` apart, along an axis of `size`.
int64_t pooledSize(int64_t size, int64_t kernel, int64_t stride) {
  return size < kernel ? 0 : (size - kernel) / stride + 1;
}

// (geometry, pool, x, xZeroPoint, packed, bias, scale, offset (null), zeroPoint, min, max, out: Uint8Array)
napi_value qconv2dMaxPoolCall(napi_env env, napi_callback_info cbinfo) {
  return guard(env, [&] {
    CallArgs args(env, cbinfo, 12);
    const ConvGeometry g = readConvGeometry(args, 0, "qconv2dMaxPool");
    const PoolWindow p = readGeometry<PoolWindow>(args, 1, "qconv2dMaxPool");
    if (p.kernelH < 1 || p.kernelW < 1 || p.strideH < 1 || p.strideW < 1 ||
        p.outH != pooledSize(g.outH, p.kernelH, p.strideH) || p.outW != pooledSize(g.outW, p.kernelW, p.strideW)) {
      fail("qconv2dMaxPool: inconsistent pooling window");
    }
    const ArrayView<uint8_t> x = args.uint8Array(2, "x");
    const int32_t xZeroPoint = byteValue(args, 3, "qconv2dMaxPool", "xZeroPoint");
    const int64_t k = g.kernelH * g.kernelW * g.inChannels;
    const PackedInt8 w = readPacked(env, args, 4, "qconv2dMaxPool", g.outChannels, k);
    const Output out = readOutput(env, args, 5, "qconv2dMaxPool", g.outChannels);
    if (!out.r.toUint8) {
      throw JsError(JsError::Kind::kTypeError, "kiln native: qconv2dMaxPool: out must be a Uint8Array");
    }
    requireLength("qconv2dMaxPool", "x", x.length, g.batch * g.inH * g.inW * g.inChannels);
    requireLength("qconv2dMaxPool", "out", out.length, g.batch * p.outH * p.outW * g.outChannels);
    qconv2dMaxPool(int8MicroKernelFor(activeIsa()), *runtime().pool, g, p, x.data, static_cast<uint8_t>(xZeroPoint), w,
                   out.r, static_cast<uint8_t*>(out.data));
    return undefinedValue(env);
  });
}

PoolGeometry readPoolGeometry(const CallArgs& args, const char* kernel) {
  const PoolGeometry g = readGeometry<PoolGeometry>(args, 0, kernel);
  if (g.kernelH < 1 || g.kernelW < 1 || g.strideH < 1 || g.strideW < 1) {
    fail(std::string(kernel) + ": kernel and stride must be at least 1");
  }
  return g;
}

// (geometry, x, out)
napi_value qmaxPool2dCall(napi_env env, napi_callback_info cbinfo) {
  return guard(env, [&] {
    CallArgs args(env, cbinfo, 3);
    const PoolGeometry g = readPoolGeometry(args, "qmaxPool2d");
    const ArrayView<uint8_t> x = args.uint8Array(1, "x");
    const ArrayView<uint8_t> out = args.uint8Array(2, "out");
    requireLength("qmaxPool2d", "x", x.length, g.batch * g.inH * g.inW * g.channels);
    requireLength("qmaxPool2d", "out", out.length, g.batch * g.outH * g.outW * g.channels);
    qmaxPool2d(activeIsa(), *runtime().pool, g, x.data, out.data);
    return undefinedValue(env);
  });
}

// (geometry, countIncludePad, zeroPoint, x, out)
napi_value qavgPool2dCall(napi_env env, napi_callback_info cbinfo) {
  return guard(env, [&] {
    CallArgs args(env, cbinfo, 5);
    const PoolGeometry g = readPoolGeometry(args, "qavgPool2d");
    const bool countIncludePad = args.boolean(1, "countIncludePad");
    const int32_t zeroPoint = byteValue(args, 2, "qavgPool2d", "zeroPoint");
    const ArrayView<uint8_t> x = args.uint8Array(3, "x");
    const ArrayView<uint8_t> out = args.uint8Array(4, "out");
    requireLength("qavgPool2d", "x", x.length, g.batch * g.inH * g.inW * g.channels);
    requireLength("qavgPool2d", "out", out.length, g.batch * g.outH * g.outW * g.channels);
    qavgPool2d(*runtime().pool, g, countIncludePad, static_cast<uint8_t>(zeroPoint), x.data, out.data);
    return undefinedValue(env);
  });
}

// (batch, channels, plane) and the scale and zero point at arguments 3 and 5 of quantize and dequantize.
struct Quantization {
  ChannelsLastShape shape;
  float scale;
  int32_t zeroPoint;
};

Quantization readQuantization(const CallArgs& args, const char* kernel) {
  const ChannelsLastShape shape{args.size(0, "batch"), args.size(1, "channels"), args.size(2, "plane")};
  const double scale = args.number(4, "scale");
  if (!(scale > 0 && std::isfinite(scale))) fail(std::string(kernel) + ": scale must be a positive finite number");
  return Quantization{shape, static_cast<float>(scale), byteValue(args, 5, kernel, "zeroPoint")};
}

// (batch, channels, plane, x: Float32Array, scale, zeroPoint, out: Uint8Array)
napi_value quantizeCall(napi_env env, napi_callback_info cbinfo) {
  return guard(env, [&] {
    CallArgs args(env, cbinfo, 7);
    const Quantization q = readQuantization(args, "quantize");
    const ArrayView<float> x = args.float32Array(3, "x");
    const ArrayView<uint8_t> out = args.uint8Array(6, "out");
    const int64_t size = q.shape.batch * q.shape.channels * q.shape.plane;
    requireLength("quantize", "x", x.length, size);
    requireLength("quantize", "out", out.length, size);
    quantize(activeIsa(), *runtime().pool, q.shape, x.data, q.scale, q.zeroPoint, out.data);
    return undefinedValue(env);
  });
}

// (batch, channels, plane, x: Uint8Array, scale, zeroPoint, out: Float32Array)
napi_value dequantizeCall(napi_env env, napi_callback_info cbinfo) {
  return guard(env, [&] {
    CallArgs args(env, cbinfo, 7);
    const Quantization q = readQuantization(args, "dequantize");
    const ArrayView<uint8_t> x = args.uint8Array(3, "x");
    const ArrayView<float> out = args.float32Array(6, "out");
    const int64_t size = q.shape.batch * q.shape.channels * q.shape.plane;
    requireLength("dequantize", "x", x.length, size);
    requireLength("dequantize", "out", out.length, size);
    dequantize(activeIsa(), *runtime().pool, q.shape, x.data, q.scale, q.zeroPoint, out.data);
    return undefinedValue(env);
  });
}

// ---- configuration

// () → the name of the int8 family in use
napi_value int8IsaCall(napi_env env, napi_callback_info) {
  return guard(env, [&] {
    napi_value name;
    check(env, napi_create_string_utf8(env, int8IsaName(activeIsa()), NAPI_AUTO_LENGTH, &name));
    return name;
  });
}

// (allowed: boolean)
napi_value setVnniCall(napi_env env, napi_callback_info cbinfo) {
  return guard(env, [&] {
    CallArgs args(env, cbinfo, 1);
    runtime().allowVnni = args.boolean(0, "allowed");
    return undefinedValue(env);
  });
}

}  // namespace

napi_status defineInt8Functions(napi_env env, napi_value exports, const Isa* isa, ThreadPool* pool) {
  runtime().isa = isa;
  runtime().pool = pool;
  const napi_property_descriptor properties[] = {
      {"packInt8", nullptr, packInt8Call, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"qgemm", nullptr, qgemmCall, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"qconv2d", nullptr, qconv2dCall, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"qconv2dMaxPool", nullptr, qconv2dMaxPoolCall, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"qmaxPool2d", nullptr, qmaxPool2dCall, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"qavgPool2d", nullptr, qavgPool2dCall, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"quantize", nullptr, quantizeCall, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"dequantize", nullptr, dequantizeCall, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"int8Isa", nullptr, int8IsaCall, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"setVnni", nullptr, setVnniCall, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
  };
  return napi_define_properties(env, exports, sizeof(properties) / sizeof(properties[0]), properties);
}

}  // namespace kiln
