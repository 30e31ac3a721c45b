// The sparse kernels' N-API surface. Packed weights live in C++ memory behind a tagged external value:
// JavaScript can neither read nor change their column indices, so the kernels may trust every index
// without checking it again at each call. Other extents are checked here, as in addon.cc, after the
// TypeScript side has run the shared checks of sparse-args.ts.
#include "sparse_addon.h"

#include <cstdint>
#include <string>

#include "epilogue.h"
#include "napi_args.h"
#include "sparse.h"

namespace kiln {
namespace {

struct SparseRuntime {
  const Isa* isa = nullptr;
  ThreadPool* pool = nullptr;
};

SparseRuntime& runtime() {
  static SparseRuntime instance;
  return instance;
}

// Marks externals made by packSparse, so that no other object is taken for packed weights.
constexpr napi_type_tag kSparseMatrixTag = {0x6b696c6e73707273ULL, 0x9d2c5e4a7f1b3c81ULL};

[[noreturn]] void fail(const std::string& message) { throw JsError(JsError::Kind::kRangeError, message); }

int64_t bytesOf(const SparseMatrix& w) {
  return static_cast<int64_t>(w.rowStart.size() * sizeof(int32_t) + w.columns.size() * sizeof(int32_t) +
                              w.values.size() * sizeof(float));
}

void finalizeSparseMatrix(napi_env env, void* data, void*) {
  auto* matrix = static_cast<SparseMatrix*>(data);
  int64_t total = 0;
  napi_adjust_external_memory(env, -bytesOf(*matrix), &total);
  delete matrix;
}

// The packed weights at argument `index`.
const SparseMatrix& readMatrix(napi_env env, const CallArgs& args, size_t index) {
  bool tagged = false;
  napi_valuetype type = napi_undefined;
  check(env, napi_typeof(env, args.value(index), &type));
  if (type == napi_external) check(env, napi_check_object_type_tag(env, args.value(index), &kSparseMatrixTag, &tagged));
  if (!tagged) throw JsError(JsError::Kind::kTypeError, "kiln native: sparseGemm: the weights were not packed by packSparse");
  void* data = nullptr;
  check(env, napi_get_value_external(env, args.value(index), &data));
  return *static_cast<const SparseMatrix*>(data);
}

// (w: Float32Array, n, k) → { matrix: the packed weights (external), nonzeros }
napi_value packSparseCall(napi_env env, napi_callback_info cbinfo) {
  return guard(env, [&] {
    CallArgs args(env, cbinfo, 3);
    const ArrayView<float> w = args.float32Array(0, "w");
    const int64_t n = args.size(1, "n");
    const int64_t k = args.size(2, "k");
    if (n > INT32_MAX || k > INT32_MAX || n * k > INT32_MAX) fail("packSparse: n · k exceeds 2^31 − 1");
    requireLength("packSparse", "w", w.length, n * k);
    auto* matrix = new SparseMatrix(packSparse(w.data, n, k));
    napi_value external, result, nonzeros;
    const napi_status status = napi_create_external(env, matrix, finalizeSparseMatrix, nullptr, &external);
    if (status != napi_ok) delete matrix;
    check(env, status);
    int64_t total = 0;
    check(env, napi_type_tag_object(env, external, &kSparseMatrixTag));
    check(env, napi_adjust_external_memory(env, bytesOf(*matrix), &total));
    check(env, napi_create_int64(env, static_cast<int64_t>(matrix->values.size()), &nonzeros));
    check(env, napi_create_object(env, &result));
    check(env, napi_set_named_property(env, result, "matrix", external));
    check(env, napi_set_named_property(env, result, "nonzeros", nonzeros));
    return result;
  });
}

// (m, a, aOffset, lda, matrix, bias | null, activation, out, outOffset, ldo)
napi_value sparseGemmCall(napi_env env, napi_callback_info cbinfo) {
  return guard(env, [&] {
    CallArgs args(env, cbinfo, 10);
    const int64_t m = args.size(0, "m");
    const ArrayView<float> a = args.float32Array(1, "a");
    const int64_t aOffset = args.size(2, "a offset");
    const int64_t lda = args.size(3, "lda");
    const SparseMatrix& w = readMatrix(env, args, 4);
    requireMatrix("sparseGemm", "a", a.length, aOffset, lda, m, w.k);
    const float* bias = nullptr;
    if (!args.isNull(5)) {
      const ArrayView<float> b = args.float32Array(5, "bias");
      requireLength("sparseGemm", "bias", b.length, w.n);
      bias = b.data;
    }
    const std::string name = args.string(6, "activation");
    Activation activation;
    if (!parseActivation(name.c_str(), &activation)) fail("kiln native: unknown activation '" + name + "'");
    const ArrayView<float> out = args.float32Array(7, "out");
    const int64_t outOffset = args.size(8, "out offset");
    const int64_t ldo = args.size(9, "ldo");
    requireMatrix("sparseGemm", "out", out.length, outOffset, ldo, m, w.n);
    const Isa isa = *runtime().isa;
    sparseGemm(sparseKernelsFor(isa), microKernelFor(isa), *runtime().pool,
               SparseProduct{m, a.data + aOffset, lda, &w, bias, activation, out.data + outOffset, ldo});
    napi_value undefined;
    check(env, napi_get_undefined(env, &undefined));
    return undefined;
  });
}

}  // namespace

napi_status defineSparseFunctions(napi_env env, napi_value exports, const Isa* isa, ThreadPool* pool) {
  runtime().isa = isa;
  runtime().pool = pool;
  const napi_property_descriptor properties[] = {
      {"packSparse", nullptr, packSparseCall, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"sparseGemm", nullptr, sparseGemmCall, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
  };
  return napi_define_properties(env, exports, sizeof(properties) / sizeof(properties[0]), properties);
}

}  // namespace kiln
