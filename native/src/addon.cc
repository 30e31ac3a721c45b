// The N-API surface of the native backend. Every kernel works in place on the typed arrays' memory
// (napi_get_typedarray_info), never copying inputs or outputs. Arguments are checked again here, after
// the TypeScript side has validated them with the js backend's messages, because the kernels trust
// every extent: a bad call must throw, not touch memory outside the arrays.
#include <node_api.h>

#include <cmath>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "adam.h"
#include "conv2d.h"
#include "copy.h"
#include "cpu.h"
#include "elementwise.h"
#include "epilogue.h"
#include "gemm.h"
#include "int8_addon.h"
#include "malloc_tuning.h"
#include "napi_args.h"
#include "pool2d.h"
#include "sparse_addon.h"
#include "thread_pool.h"

namespace kiln {
namespace {

// Process-wide state: the kernel family in use and the thread pool.
struct Runtime {
  Isa isa = bestIsa();
  ThreadPool pool{1};
};

Runtime& runtime() {
  static Runtime instance;
  return instance;
}

const MicroKernel& activeKernel() { return microKernelFor(runtime().isa); }

napi_value undefinedValue(napi_env env) {
  napi_value result;
  check(env, napi_get_undefined(env, &result));
  return result;
}

napi_value stringValue(napi_env env, const char* text) {
  napi_value result;
  check(env, napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &result));
  return result;
}

void setProperty(napi_env env, napi_value object, const char* name, napi_value value) {
  check(env, napi_set_named_property(env, object, name, value));
}

// ---- configuration

napi_value info(napi_env env, napi_callback_info) {
  return guard(env, [&] {
    napi_value result, isas, threads;
    check(env, napi_create_object(env, &result));
    check(env, napi_create_array(env, &isas));
    uint32_t i = 0;
    for (Isa isa : supportedIsas()) check(env, napi_set_element(env, isas, i++, stringValue(env, isaName(isa))));
    check(env, napi_create_int32(env, runtime().pool.threads(), &threads));
    setProperty(env, result, "isa", stringValue(env, isaName(runtime().isa)));
    setProperty(env, result, "isas", isas);
    setProperty(env, result, "threads", threads);
    return result;
  });
}

Isa supportedIsa(const std::string& name) {
  Isa isa;
  if (!parseIsa(name, &isa) || !isaSupported(isa)) {
    std::string supported;
    for (Isa s : supportedIsas()) supported += std::string(supported.empty() ? "" : ", ") + isaName(s);
    throw JsError(JsError::Kind::kRangeError,
                  "kiln native: instruction set '" + name + "' is not available here; available: " + supported);
  }
  return isa;
}

napi_value setIsa(napi_env env, napi_callback_info cbinfo) {
  return guard(env, [&] {
    CallArgs args(env, cbinfo, 1);
    runtime().isa = supportedIsa(args.string(0, "isa"));
    return undefinedValue(env);
  });
}

napi_value setThreads(napi_env env, napi_callback_info cbinfo) {
  return guard(env, [&] {
    CallArgs args(env, cbinfo, 1);
    const int64_t threads = args.size(0, "threads");
    if (threads < 1 || threads > 1024) {
      throw JsError(JsError::Kind::kRangeError, "kiln native: threads must be between 1 and 1024");
    }
    runtime().pool.resize(static_cast<int>(threads));
    return undefinedValue(env);
  });
}

// ---- GEMM

// op(A) (rows × cols of op) as stored: transposed operands are stored cols × rows.
MatrixRef readOperand(const CallArgs& args, size_t index, const char* name, int64_t opRows, int64_t opCols) {
  const ArrayView<float> data = args.float32Array(index, name);
  const int64_t offset = args.size(index + 1, "offset");
  const int64_t ld = args.size(index + 2, "leading dimension");
  const bool trans = args.boolean(index + 3, "trans");
  requireMatrix("gemm", name, data.length, offset, ld, trans ? opCols : opRows, trans ? opRows : opCols);
  return MatrixRef{data.data + offset, ld, trans};
}

struct GemmCall {
  int64_t m, n, k;
  MatrixRef a, b;
  float* c;
  int64_t ldc;
  float alpha, beta;
  GemmEpilogue epilogue;
};

Activation readActivation(const CallArgs& args, size_t index) {
  const std::string name = args.string(index, "activation");
  Activation activation;
  if (!parseActivation(name.c_str(), &activation)) {
    throw JsError(JsError::Kind::kRangeError, "kiln native: unknown activation '" + name + "'");
  }
  return activation;
}

// A GEMM's epilogue from (bias | null, activation) at `index`; the bias needs n values.
GemmEpilogue readGemmEpilogue(const CallArgs& args, size_t index, int64_t n) {
  GemmEpilogue epilogue;
  if (!args.isNull(index)) {
    const ArrayView<float> bias = args.float32Array(index, "bias");
    requireLength("gemm", "bias", bias.length, n);
    epilogue.colBias = bias.data;
  }
  epilogue.activation = readActivation(args, index + 1);
  return epilogue;
}

// (m, n, k, a, aOffset, lda, transA, b, bOffset, ldb, transB, c, cOffset, ldc, alpha, beta, bias | null,
// activation)
GemmCall readGemmCall(const CallArgs& args) {
  GemmCall call;
  call.m = args.size(0, "m");
  call.n = args.size(1, "n");
  call.k = args.size(2, "k");
  call.a = readOperand(args, 3, "A", call.m, call.k);
  call.b = readOperand(args, 7, "B", call.k, call.n);
  const ArrayView<float> c = args.float32Array(11, "C");
  const int64_t cOffset = args.size(12, "C offset");
  call.ldc = args.size(13, "ldc");
  requireMatrix("gemm", "C", c.length, cOffset, call.ldc, call.m, call.n);
  call.c = c.data + cOffset;
  call.alpha = static_cast<float>(args.number(14, "alpha"));
  call.beta = static_cast<float>(args.number(15, "beta"));
  call.epilogue = readGemmEpilogue(args, 16, call.n);
  return call;
}

void runGemm(const MicroKernel& kernel, const GemmCall& call) {
  gemm(kernel, runtime().pool, call.m, call.n, call.k, call.alpha, call.a, call.b, call.beta, call.c, call.ldc,
       call.epilogue);
}

napi_value gemmSync(napi_env env, napi_callback_info cbinfo) {
  return guard(env, [&] {
    CallArgs args(env, cbinfo, 18);
    runGemm(activeKernel(), readGemmCall(args));
    return undefinedValue(env);
  });
}

// One gemmAsync call: the operands stay referenced (alive) until the work completes.
struct AsyncGemm {
  GemmCall call;
  const MicroKernel* kernel;
  // A, B, C and the bias (null when there is none).
  napi_ref arrays[4];
  napi_deferred deferred;
  napi_async_work work;
  std::string error;
};

void executeAsyncGemm(napi_env, void* data) {
  auto* job = static_cast<AsyncGemm*>(data);
  try {
    runGemm(*job->kernel, job->call);
  } catch (const std::exception& e) {
    job->error = e.what();
  }
}

void completeAsyncGemm(napi_env env, napi_status status, void* data) {
  auto* job = static_cast<AsyncGemm*>(data);
  for (napi_ref ref : job->arrays) {
    if (ref != nullptr) napi_delete_reference(env, ref);
  }
  if (status == napi_ok && job->error.empty()) {
    napi_value undefined;
    napi_get_undefined(env, &undefined);
    napi_resolve_deferred(env, job->deferred, undefined);
  } else {
    napi_value message, error;
    napi_create_string_utf8(env, job->error.empty() ? "kiln native: gemmAsync was cancelled" : job->error.c_str(),
                            NAPI_AUTO_LENGTH, &message);
    napi_create_error(env, nullptr, message, &error);
    napi_reject_deferred(env, job->deferred, error);
  }
  napi_delete_async_work(env, job->work);
  delete job;
}

// Same arguments as gemm; returns a promise and runs on a libuv worker thread, so the event loop stays free.
// The arrays must not be written or detached until the promise settles.
napi_value gemmAsync(napi_env env, napi_callback_info cbinfo) {
  return guard(env, [&] {
    CallArgs args(env, cbinfo, 18);
    auto* job = new AsyncGemm{readGemmCall(args), &activeKernel(), {}, nullptr, nullptr, {}};
    napi_value promise, name;
    check(env, napi_create_promise(env, &job->deferred, &promise));
    const size_t arrayArgs[4] = {3, 7, 11, 16};
    for (int i = 0; i < 4; ++i) {
      if (i == 3 && args.isNull(arrayArgs[i])) continue;
      check(env, napi_create_reference(env, args.value(arrayArgs[i]), 1, &job->arrays[i]));
    }
    check(env, napi_create_string_utf8(env, "kiln:gemmAsync", NAPI_AUTO_LENGTH, &name));
    check(env, napi_create_async_work(env, nullptr, name, executeAsyncGemm, completeAsyncGemm, job, &job->work));
    check(env, napi_queue_async_work(env, job->work));
    return promise;
  });
}

// (b, bOffset, ldb, transB, k, n) → { data: Float32Array, isa }
napi_value packBCall(napi_env env, napi_callback_info cbinfo) {
  return guard(env, [&] {
    CallArgs args(env, cbinfo, 6);
    const int64_t k = args.size(4, "k");
    const int64_t n = args.size(5, "n");
    const MatrixRef b = readOperand(args, 0, "B", k, n);
    const MicroKernel& kernel = activeKernel();
    const int64_t size = packedBSize(kernel, k, n);
    void* bytes = nullptr;
    napi_value buffer, data, result;
    check(env, napi_create_arraybuffer(env, static_cast<size_t>(size) * sizeof(float), &bytes, &buffer));
    packB(kernel, b, k, n, static_cast<float*>(bytes));
    check(env, napi_create_typedarray(env, napi_float32_array, static_cast<size_t>(size), buffer, 0, &data));
    check(env, napi_create_object(env, &result));
    setProperty(env, result, "data", data);
    setProperty(env, result, "isa", stringValue(env, isaName(kernel.isa)));
    return result;
  });
}

// (m, a, aOffset, lda, transA, packed, isa, k, n, c, cOffset, ldc, alpha, beta, bias | null, activation)
napi_value gemmPackedCall(napi_env env, napi_callback_info cbinfo) {
  return guard(env, [&] {
    CallArgs args(env, cbinfo, 16);
    const int64_t m = args.size(0, "m");
    const int64_t k = args.size(7, "k");
    const int64_t n = args.size(8, "n");
    const MatrixRef a = readOperand(args, 1, "A", m, k);
    const ArrayView<float> packed = args.float32Array(5, "packed B");
    const MicroKernel& kernel = microKernelFor(supportedIsa(args.string(6, "isa")));
    if (static_cast<int64_t>(packed.length) != packedBSize(kernel, k, n)) {
      throw JsError(JsError::Kind::kRangeError, "gemmPacked: packed B does not hold a packed " + std::to_string(k) +
                                                    "×" + std::to_string(n) + " matrix");
    }
    const ArrayView<float> c = args.float32Array(9, "C");
    const int64_t cOffset = args.size(10, "C offset");
    const int64_t ldc = args.size(11, "ldc");
    requireMatrix("gemmPacked", "C", c.length, cOffset, ldc, m, n);
    gemmPacked(kernel, runtime().pool, m, static_cast<float>(args.number(12, "alpha")), a,
               PackedRef{packed.data, k, n}, static_cast<float>(args.number(13, "beta")), c.data + cOffset, ldc,
               readGemmEpilogue(args, 14, n));
    return undefinedValue(env);
  });
}

// ---- geometries of pooling (also read by the fused convolution)

// The 12 geometry fields, in PoolGeometry order, from an Int32Array.
PoolGeometry readPoolGeometry(const CallArgs& args, size_t index) {
  const ArrayView<int32_t> fields = args.int32Array(index, "geometry");
  constexpr size_t kFields = sizeof(PoolGeometry) / sizeof(int64_t);
  if (fields.length != kFields) throw JsError(JsError::Kind::kRangeError, "pool2d: geometry must have 12 fields");
  int64_t v[kFields];
  for (size_t i = 0; i < kFields; ++i) {
    if (fields.data[i] < 0) throw JsError(JsError::Kind::kRangeError, "pool2d: geometry fields must be non-negative");
    v[i] = fields.data[i];
  }
  const PoolGeometry g{v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], v[11]};
  if (g.kernelH < 1 || g.kernelW < 1 || g.strideH < 1 || g.strideW < 1) {
    throw JsError(JsError::Kind::kRangeError, "pool2d: kernel and stride must be at least 1");
  }
  return g;
}

int64_t poolInputSize(const PoolGeometry& g) { return g.batch * g.channels * g.inH * g.inW; }
int64_t poolOutputSize(const PoolGeometry& g) { return g.batch * g.channels * g.outH * g.outW; }

// ---- convolution

// The 16 geometry fields, in ConvGeometry order, from an Int32Array.
ConvGeometry readConvGeometry(const CallArgs& args, size_t index) {
  const ArrayView<int32_t> fields = args.int32Array(index, "geometry");
  constexpr size_t kFields = sizeof(ConvGeometry) / sizeof(int64_t);
  if (fields.length != kFields) throw JsError(JsError::Kind::kRangeError, "conv2d: geometry must have 16 fields");
  int64_t values[kFields];
  for (size_t i = 0; i < kFields; ++i) {
    if (fields.data[i] < 0) throw JsError(JsError::Kind::kRangeError, "conv2d: geometry fields must be non-negative");
    values[i] = fields.data[i];
  }
  const ConvGeometry g{values[0], values[1], values[2],  values[3],  values[4],  values[5],  values[6],  values[7],
                       values[8], values[9], values[10], values[11], values[12], values[13], values[14], values[15]};
  if (g.kernelH < 1 || g.kernelW < 1 || g.strideH < 1 || g.strideW < 1 || g.dilationH < 1 || g.dilationW < 1 ||
      g.groups < 1 || g.inChannels % g.groups != 0 || g.outChannels % g.groups != 0) {
    throw JsError(JsError::Kind::kRangeError, "conv2d: inconsistent geometry");
  }
  return g;
}

struct ConvSizes {
  int64_t x, w, out;
};

ConvSizes convSizes(const ConvGeometry& g) {
  return ConvSizes{g.batch * g.inChannels * g.inH * g.inW,
                   g.outChannels * (g.inChannels / g.groups) * g.kernelH * g.kernelW,
                   g.batch * g.outChannels * g.outH * g.outW};
}

// (geometry, x, w, bias | null, out, activation)
napi_value conv2dCall(napi_env env, napi_callback_info cbinfo) {
  return guard(env, [&] {
    CallArgs args(env, cbinfo, 6);
    const ConvGeometry g = readConvGeometry(args, 0);
    const ConvSizes sizes = convSizes(g);
    const ArrayView<float> x = args.float32Array(1, "x");
    const ArrayView<float> w = args.float32Array(2, "w");
    const ArrayView<float> out = args.float32Array(4, "out");
    requireLength("conv2d", "x", x.length, sizes.x);
    requireLength("conv2d", "w", w.length, sizes.w);
    requireLength("conv2d", "out", out.length, sizes.out);
    const float* bias = nullptr;
    if (!args.isNull(3)) {
      const ArrayView<float> b = args.float32Array(3, "bias");
      requireLength("conv2d", "bias", b.length, g.outChannels);
      bias = b.data;
    }
    conv2dForward(activeKernel(), runtime().pool, g, x.data, w.data, bias, readActivation(args, 5), out.data);
    return undefinedValue(env);
  });
}

// (geometry, poolGeometry, x, w, bias | null, out, activation)
napi_value conv2dMaxPoolCall(napi_env env, napi_callback_info cbinfo) {
  return guard(env, [&] {
    CallArgs args(env, cbinfo, 7);
    const ConvGeometry g = readConvGeometry(args, 0);
    const PoolGeometry pg = readPoolGeometry(args, 1);
    if (pg.batch != g.batch || pg.channels != g.outChannels || pg.inH != g.outH || pg.inW != g.outW) {
      throw JsError(JsError::Kind::kRangeError, "conv2dMaxPool: the pooling does not take the convolution's output");
    }
    const ConvSizes sizes = convSizes(g);
    const ArrayView<float> x = args.float32Array(2, "x");
    const ArrayView<float> w = args.float32Array(3, "w");
    const ArrayView<float> out = args.float32Array(5, "out");
    requireLength("conv2dMaxPool", "x", x.length, sizes.x);
    requireLength("conv2dMaxPool", "w", w.length, sizes.w);
    requireLength("conv2dMaxPool", "out", out.length, poolOutputSize(pg));
    const float* bias = nullptr;
    if (!args.isNull(4)) {
      const ArrayView<float> b = args.float32Array(4, "bias");
      requireLength("conv2dMaxPool", "bias", b.length, g.outChannels);
      bias = b.data;
    }
    conv2dMaxPool(activeKernel(), runtime().pool, g, pg, x.data, w.data, bias, readActivation(args, 6), out.data);
    return undefinedValue(env);
  });
}

// (geometry, dy, w, dx)
napi_value conv2dBackwardInputCall(napi_env env, napi_callback_info cbinfo) {
  return guard(env, [&] {
    CallArgs args(env, cbinfo, 4);
    const ConvGeometry g = readConvGeometry(args, 0);
    const ConvSizes sizes = convSizes(g);
    const ArrayView<float> dy = args.float32Array(1, "dy");
    const ArrayView<float> w = args.float32Array(2, "w");
    const ArrayView<float> dx = args.float32Array(3, "dx");
    requireLength("conv2dBackwardInput", "dy", dy.length, sizes.out);
    requireLength("conv2dBackwardInput", "w", w.length, sizes.w);
    requireLength("conv2dBackwardInput", "dx", dx.length, sizes.x);
    conv2dBackwardInput(activeKernel(), runtime().pool, g, dy.data, w.data, dx.data);
    return undefinedValue(env);
  });
}

// (geometry, x, dy, dw)
napi_value conv2dBackwardWeightCall(napi_env env, napi_callback_info cbinfo) {
  return guard(env, [&] {
    CallArgs args(env, cbinfo, 4);
    const ConvGeometry g = readConvGeometry(args, 0);
    const ConvSizes sizes = convSizes(g);
    const ArrayView<float> x = args.float32Array(1, "x");
    const ArrayView<float> dy = args.float32Array(2, "dy");
    const ArrayView<float> dw = args.float32Array(3, "dw");
    requireLength("conv2dBackwardWeight", "x", x.length, sizes.x);
    requireLength("conv2dBackwardWeight", "dy", dy.length, sizes.out);
    requireLength("conv2dBackwardWeight", "dw", dw.length, sizes.w);
    conv2dBackwardWeight(activeKernel(), runtime().pool, g, x.data, dy.data, dw.data);
    return undefinedValue(env);
  });
}

// ---- pooling

// (geometry, x, out, argmax | null)
napi_value maxPool2dCall(napi_env env, napi_callback_info cbinfo) {
  return guard(env, [&] {
    CallArgs args(env, cbinfo, 4);
    const PoolGeometry g = readPoolGeometry(args, 0);
    const ArrayView<float> x = args.float32Array(1, "x");
    const ArrayView<float> out = args.float32Array(2, "out");
    requireLength("maxPool2d", "x", x.length, poolInputSize(g));
    requireLength("maxPool2d", "out", out.length, poolOutputSize(g));
    int32_t* argmax = nullptr;
    if (!args.isNull(3)) {
      const ArrayView<int32_t> positions = args.int32Array(3, "argmax");
      requireLength("maxPool2d", "argmax", positions.length, poolOutputSize(g));
      argmax = positions.data;
    }
    maxPool2d(activeKernel(), runtime().pool, g, x.data, out.data, argmax);
    return undefinedValue(env);
  });
}

// (geometry, dy, argmax, dx)
napi_value maxPool2dBackwardCall(napi_env env, napi_callback_info cbinfo) {
  return guard(env, [&] {
    CallArgs args(env, cbinfo, 4);
    const PoolGeometry g = readPoolGeometry(args, 0);
    const ArrayView<float> dy = args.float32Array(1, "dy");
    const ArrayView<int32_t> argmax = args.int32Array(2, "argmax");
    const ArrayView<float> dx = args.float32Array(3, "dx");
    requireLength("maxPool2dBackward", "dy", dy.length, poolOutputSize(g));
    requireLength("maxPool2dBackward", "argmax", argmax.length, poolOutputSize(g));
    requireLength("maxPool2dBackward", "dx", dx.length, poolInputSize(g));
    maxPool2dBackward(runtime().pool, g, dy.data, argmax.data, dx.data);
    return undefinedValue(env);
  });
}

// (geometry, countIncludePad, x, out)
napi_value avgPool2dCall(napi_env env, napi_callback_info cbinfo) {
  return guard(env, [&] {
    CallArgs args(env, cbinfo, 4);
    const PoolGeometry g = readPoolGeometry(args, 0);
    const bool countIncludePad = args.boolean(1, "countIncludePad");
    const ArrayView<float> x = args.float32Array(2, "x");
    const ArrayView<float> out = args.float32Array(3, "out");
    requireLength("avgPool2d", "x", x.length, poolInputSize(g));
    requireLength("avgPool2d", "out", out.length, poolOutputSize(g));
    avgPool2d(runtime().pool, g, countIncludePad, x.data, out.data);
    return undefinedValue(env);
  });
}

// (geometry, countIncludePad, dy, dx)
napi_value avgPool2dBackwardCall(napi_env env, napi_callback_info cbinfo) {
  return guard(env, [&] {
    CallArgs args(env, cbinfo, 4);
    const PoolGeometry g = readPoolGeometry(args, 0);
    const bool countIncludePad = args.boolean(1, "countIncludePad");
    const ArrayView<float> dy = args.float32Array(2, "dy");
    const ArrayView<float> dx = args.float32Array(3, "dx");
    requireLength("avgPool2dBackward", "dy", dy.length, poolOutputSize(g));
    requireLength("avgPool2dBackward", "dx", dx.length, poolInputSize(g));
    avgPool2dBackward(runtime().pool, g, countIncludePad, dy.data, dx.data);
    return undefinedValue(env);
  });
}

// ---- elementwise kernels and sums

// A float32 or uint8 operand walked as an outer × inner grid: (array, offset, outerStride, innerStride)
// starting at argument `index`, checked to stay inside the array.
template <typename T>
Grid<T> readGrid(const CallArgs& args, size_t index, const char* name, int64_t outer, int64_t inner) {
  ArrayView<T> data;
  if constexpr (std::is_same_v<T, float>) {
    data = args.float32Array(index, name);
  } else {
    data = args.uint8Array(index, name);
  }
  const int64_t offset = args.size(index + 1, "offset");
  const int64_t outerStride = args.size(index + 2, "outer stride");
  const int64_t innerStride = args.size(index + 3, "inner stride");
  if (innerStride > 1) throw JsError(JsError::Kind::kRangeError, "elementwise: inner strides must be 0 or 1");
  if (outer > 0 && inner > 0) {
    requireLength("elementwise", name, data.length, offset + (outer - 1) * outerStride + (inner - 1) * innerStride + 1);
  }
  return Grid<T>{data.data + offset, outerStride, innerStride};
}

// (op, x, xOffset, xOuter, xInner, out, outer, inner)
napi_value unaryCall(napi_env env, napi_callback_info cbinfo) {
  return guard(env, [&] {
    CallArgs args(env, cbinfo, 8);
    UnaryOp op;
    if (!parseUnaryOp(args.string(0, "op"), &op)) throw JsError(JsError::Kind::kRangeError, "unary: no native kernel");
    const int64_t outer = args.size(6, "outer");
    const int64_t inner = args.size(7, "inner");
    const Grid<float> x = readGrid<float>(args, 1, "x", outer, inner);
    const ArrayView<float> out = args.float32Array(5, "out");
    requireLength("unary", "out", out.length, outer * inner);
    unary(runtime().pool, op, x, out.data, outer, inner);
    return undefinedValue(env);
  });
}

// (op, a, aOffset, aOuter, aInner, b, bOffset, bOuter, bInner, out, outer, inner)
napi_value binaryCall(napi_env env, napi_callback_info cbinfo) {
  return guard(env, [&] {
    CallArgs args(env, cbinfo, 12);
    BinaryOp op;
    if (!parseBinaryOp(args.string(0, "op"), &op)) throw JsError(JsError::Kind::kRangeError, "binary: no native kernel");
    const int64_t outer = args.size(10, "outer");
    const int64_t inner = args.size(11, "inner");
    const Grid<float> a = readGrid<float>(args, 1, "a", outer, inner);
    const Grid<float> b = readGrid<float>(args, 5, "b", outer, inner);
    void* out;
    size_t outLength;
    if (isComparison(op)) {
      const ArrayView<uint8_t> view = args.uint8Array(9, "out");
      out = view.data;
      outLength = view.length;
    } else {
      const ArrayView<float> view = args.float32Array(9, "out");
      out = view.data;
      outLength = view.length;
    }
    requireLength("binary", "out", outLength, outer * inner);
    binary(runtime().pool, op, a, b, out, outer, inner);
    return undefinedValue(env);
  });
}

// (cond, cOffset, cOuter, cInner, a, aOffset, aOuter, aInner, b, bOffset, bOuter, bInner, out, outer, inner)
napi_value whereCall(napi_env env, napi_callback_info cbinfo) {
  return guard(env, [&] {
    CallArgs args(env, cbinfo, 15);
    const int64_t outer = args.size(13, "outer");
    const int64_t inner = args.size(14, "inner");
    const Grid<uint8_t> cond = readGrid<uint8_t>(args, 0, "cond", outer, inner);
    const Grid<float> a = readGrid<float>(args, 4, "a", outer, inner);
    const Grid<float> b = readGrid<float>(args, 8, "b", outer, inner);
    const ArrayView<float> out = args.float32Array(12, "out");
    requireLength("where", "out", out.length, outer * inner);
    where(runtime().pool, cond, a, b, out.data, outer, inner);
    return undefinedValue(env);
  });
}

// (x, dy, dx): the ReLU gradient over dx's length.
napi_value reluBackwardCall(napi_env env, napi_callback_info cbinfo) {
  return guard(env, [&] {
    CallArgs args(env, cbinfo, 3);
    const ArrayView<float> x = args.float32Array(0, "x");
    const ArrayView<float> dy = args.float32Array(1, "dy");
    const ArrayView<float> dx = args.float32Array(2, "dx");
    const int64_t n = static_cast<int64_t>(dx.length);
    requireLength("reluBackward", "x", x.length, n);
    requireLength("reluBackward", "dy", dy.length, n);
    reluBackward(runtime().pool, x.data, dy.data, dx.data, n);
    return undefinedValue(env);
  });
}

// (src, srcOffset, dst, dstOffset, layout: Float64Array [shape..., srcStrides..., dstStrides...])
napi_value copyCall(napi_env env, napi_callback_info cbinfo) {
  return guard(env, [&] {
    CallArgs args(env, cbinfo, 5);
    const ArrayView<float> src = args.float32Array(0, "src");
    const int64_t srcOffset = args.size(1, "src offset");
    const ArrayView<float> dst = args.float32Array(2, "dst");
    const int64_t dstOffset = args.size(3, "dst offset");
    const ArrayView<double> layout = args.float64Array(4, "layout");
    if (layout.length % 3 != 0) {
      throw JsError(JsError::Kind::kRangeError, "copy: layout must hold the shape and two sets of strides");
    }
    const size_t rank = layout.length / 3;
    std::vector<int64_t> values(layout.length);
    for (size_t i = 0; i < layout.length; ++i) {
      const double v = layout.data[i];
      if (!(v >= 0 && v < 9007199254740992.0) || std::floor(v) != v) {
        throw JsError(JsError::Kind::kRangeError, "copy: shape and strides must be non-negative integers");
      }
      values[i] = static_cast<int64_t>(v);
    }
    const int64_t* shape = values.data();
    const int64_t* srcStrides = shape + rank;
    const int64_t* dstStrides = srcStrides + rank;
    int64_t srcLast = srcOffset, dstLast = dstOffset;
    bool empty = false;
    for (size_t d = 0; d < rank; ++d) {
      empty = empty || shape[d] == 0;
      if (shape[d] > 1 && dstStrides[d] == 0) {
        throw JsError(JsError::Kind::kRangeError, "copy: the destination must not repeat positions (a zero stride)");
      }
      if (shape[d] > 0) {
        srcLast += (shape[d] - 1) * srcStrides[d];
        dstLast += (shape[d] - 1) * dstStrides[d];
      }
    }
    if (empty) return undefinedValue(env);
    requireLength("copy", "src", src.length, srcLast + 1);
    requireLength("copy", "dst", dst.length, dstLast + 1);
    stridedCopy(runtime().pool, src.data + srcOffset, dst.data + dstOffset, static_cast<int>(rank), shape, srcStrides,
                dstStrides);
    return undefinedValue(env);
  });
}

// (x, xOffset, layout: Float64Array [shape..., strides...], reduced: Uint8Array, out)
napi_value sumCall(napi_env env, napi_callback_info cbinfo) {
  return guard(env, [&] {
    CallArgs args(env, cbinfo, 5);
    const ArrayView<float> x = args.float32Array(0, "x");
    const int64_t offset = args.size(1, "offset");
    const ArrayView<double> layout = args.float64Array(2, "layout");
    const ArrayView<uint8_t> flags = args.uint8Array(3, "reduced");
    const ArrayView<float> out = args.float32Array(4, "out");
    const size_t rank = flags.length;
    if (layout.length != 2 * rank) throw JsError(JsError::Kind::kRangeError, "sum: layout must hold shape and strides");
    std::vector<int64_t> shape(rank), strides(rank);
    std::unique_ptr<bool[]> reduced(new bool[rank]);
    int64_t last = offset;
    int64_t outSize = 1;
    bool empty = false;
    for (size_t d = 0; d < rank; ++d) {
      const double extent = layout.data[d];
      const double stride = layout.data[rank + d];
      if (!(extent >= 0 && stride >= 0 && extent < 9007199254740992.0 && stride < 9007199254740992.0)) {
        throw JsError(JsError::Kind::kRangeError, "sum: shape and strides must be non-negative integers");
      }
      shape[d] = static_cast<int64_t>(extent);
      strides[d] = static_cast<int64_t>(stride);
      reduced[d] = flags.data[d] != 0;
      empty = empty || shape[d] == 0;
      if (shape[d] > 0) last += (shape[d] - 1) * strides[d];
      if (!reduced[d]) outSize *= shape[d];
    }
    if (!empty) requireLength("sum", "x", x.length, last + 1);
    requireLength("sum", "out", out.length, outSize);
    sum(runtime().pool, x.data + (empty ? 0 : offset), static_cast<int>(rank), shape.data(), strides.data(), reduced.get(),
        out.data);
    return undefinedValue(env);
  });
}

// ---- optimizers

// (hyperparameters: Float64Array [lr, beta1, beta2, eps, weightDecay, stepSize, biasCorrection2Sqrt,
// decoupled], p, g, m, v, vMax | null), updating p's whole length.
napi_value adamUpdateCall(napi_env env, napi_callback_info cbinfo) {
  return guard(env, [&] {
    CallArgs args(env, cbinfo, 6);
    const ArrayView<double> h = args.float64Array(0, "hyperparameters");
    if (h.length != 8) throw JsError(JsError::Kind::kRangeError, "adamUpdate: hyperparameters must have 8 entries");
    const AdamStep step{h.data[0], h.data[1], h.data[2], h.data[3], h.data[4], h.data[5], h.data[6], h.data[7] != 0};
    const ArrayView<float> p = args.float32Array(1, "p");
    const ArrayView<float> g = args.float32Array(2, "g");
    const ArrayView<float> m = args.float32Array(3, "m");
    const ArrayView<float> v = args.float32Array(4, "v");
    const int64_t n = static_cast<int64_t>(p.length);
    requireLength("adamUpdate", "g", g.length, n);
    requireLength("adamUpdate", "m", m.length, n);
    requireLength("adamUpdate", "v", v.length, n);
    float* vMax = nullptr;
    if (!args.isNull(5)) {
      const ArrayView<float> max = args.float32Array(5, "vMax");
      requireLength("adamUpdate", "vMax", max.length, n);
      vMax = max.data;
    }
    adamUpdate(runtime().isa, runtime().pool, step, p.data, g.data, m.data, v.data, vMax, n);
    return undefinedValue(env);
  });
}

}  // namespace
}  // namespace kiln

NAPI_MODULE_INIT() {
  using namespace kiln;
  keepFreedTensorMemory();
  const napi_property_descriptor properties[] = {
      {"info", nullptr, info, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"setIsa", nullptr, setIsa, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"setThreads", nullptr, setThreads, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"gemm", nullptr, gemmSync, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"gemmAsync", nullptr, gemmAsync, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"packB", nullptr, packBCall, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"gemmPacked", nullptr, gemmPackedCall, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"conv2d", nullptr, conv2dCall, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"conv2dMaxPool", nullptr, conv2dMaxPoolCall, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"conv2dBackwardInput", nullptr, conv2dBackwardInputCall, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"conv2dBackwardWeight", nullptr, conv2dBackwardWeightCall, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"maxPool2d", nullptr, maxPool2dCall, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"maxPool2dBackward", nullptr, maxPool2dBackwardCall, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"avgPool2d", nullptr, avgPool2dCall, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"avgPool2dBackward", nullptr, avgPool2dBackwardCall, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"unary", nullptr, unaryCall, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"binary", nullptr, binaryCall, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"where", nullptr, whereCall, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"reluBackward", nullptr, reluBackwardCall, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"copy", nullptr, copyCall, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"sum", nullptr, sumCall, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"adamUpdate", nullptr, adamUpdateCall, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
  };
  if (napi_define_properties(env, exports, sizeof(properties) / sizeof(properties[0]), properties) != napi_ok ||
      defineInt8Functions(env, exports, &runtime().isa, &runtime().pool) != napi_ok ||
      defineSparseFunctions(env, exports, &runtime().isa, &runtime().pool) != napi_ok) {
    return nullptr;
  }
  return exports;
}
