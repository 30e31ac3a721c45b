// Reading N-API call arguments and reporting errors to JavaScript. Kernel entry points throw JsError (or
// std::bad_alloc); `guard` turns either into a pending JavaScript exception.
#pragma once

#include <node_api.h>

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

namespace kiln {

// An error to throw in JavaScript as a TypeError, RangeError or Error.
class JsError : public std::runtime_error {
 public:
  enum class Kind { kError, kTypeError, kRangeError };
  JsError(Kind kind, const std::string& message) : std::runtime_error(message), kind(kind) {}
  Kind kind;
};

// Throws a JsError when an N-API call fails.
void check(napi_env env, napi_status status);

// A typed array's elements, in place: no copy is made.
template <typename T>
struct ArrayView {
  T* data;
  size_t length;
};

// The arguments of one call, read by position; `name` appears in error messages.
class CallArgs {
 public:
  CallArgs(napi_env env, napi_callback_info info, size_t count);

  napi_value value(size_t index) const { return values_[index]; }
  bool isNull(size_t index) const;
  bool boolean(size_t index, const char* name) const;
  double number(size_t index, const char* name) const;
  // A number that must be an integer in [0, 2^53).
  int64_t size(size_t index, const char* name) const;
  std::string string(size_t index, const char* name) const;
  ArrayView<float> float32Array(size_t index, const char* name) const;
  ArrayView<int32_t> int32Array(size_t index, const char* name) const;
  ArrayView<uint8_t> uint8Array(size_t index, const char* name) const;
  ArrayView<double> float64Array(size_t index, const char* name) const;

 private:
  void* typedArray(size_t index, const char* name, napi_typedarray_type type, const char* typeName,
                   size_t* length) const;

  // Enough for every kernel's arguments; kept inline, since a heap allocation would cost as much as the
  // rest of a small call.
  static constexpr size_t kMaxArgs = 20;
  napi_env env_;
  napi_value values_[kMaxArgs];
};

// Throws a RangeError unless a rows × cols matrix at `offset` with row stride `ld` fits in `length`
// elements: the kernels trust these extents, so the check keeps them inside the arrays.
void requireMatrix(const char* op, const char* name, size_t length, int64_t offset, int64_t ld, int64_t rows,
                   int64_t cols);

// Throws a RangeError unless an array holds at least `needed` elements.
void requireLength(const char* op, const char* name, size_t length, int64_t needed);

// Runs body and returns its result; a C++ exception becomes a JavaScript exception and nullptr.
template <typename Body>
napi_value guard(napi_env env, const Body& body) {
  try {
    return body();
  } catch (const JsError& e) {
    if (e.kind == JsError::Kind::kTypeError) {
      napi_throw_type_error(env, nullptr, e.what());
    } else if (e.kind == JsError::Kind::kRangeError) {
      napi_throw_range_error(env, nullptr, e.what());
    } else {
      napi_throw_error(env, nullptr, e.what());
    }
  } catch (const std::bad_alloc&) {
    napi_throw_range_error(env, nullptr, "kiln native: out of memory");
  } catch (const std::exception& e) {
    napi_throw_error(env, nullptr, e.what());
  }
  return nullptr;
}

}  // namespace kiln
