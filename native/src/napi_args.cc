#include "napi_args.h"

#include <cmath>

namespace kiln {

void check(napi_env env, napi_status status) {
  if (status == napi_ok) return;
  const napi_extended_error_info* info = nullptr;
  napi_get_last_error_info(env, &info);
  const char* message = info != nullptr && info->error_message != nullptr ? info->error_message : "unknown error";
  throw JsError(JsError::Kind::kError, std::string("kiln native: N-API call failed: ") + message);
}

CallArgs::CallArgs(napi_env env, napi_callback_info info, size_t count) : env_(env), values_{} {
  if (count > kMaxArgs) throw JsError(JsError::Kind::kError, "kiln native: too many arguments for CallArgs");
  size_t given = count;
  check(env, napi_get_cb_info(env, info, &given, values_, nullptr, nullptr));
  if (given < count) {
    throw JsError(JsError::Kind::kTypeError,
                  "kiln native: expected " + std::to_string(count) + " arguments, got " + std::to_string(given));
  }
}

bool CallArgs::isNull(size_t index) const {
  napi_valuetype type;
  check(env_, napi_typeof(env_, values_[index], &type));
  return type == napi_null || type == napi_undefined;
}

bool CallArgs::boolean(size_t index, const char* name) const {
  bool result;
  if (napi_get_value_bool(env_, values_[index], &result) != napi_ok) {
    throw JsError(JsError::Kind::kTypeError, std::string("kiln native: ") + name + " must be a boolean");
  }
  return result;
}

double CallArgs::number(size_t index, const char* name) const {
  double result;
  if (napi_get_value_double(env_, values_[index], &result) != napi_ok) {
    throw JsError(JsError::Kind::kTypeError, std::string("kiln native: ") + name + " must be a number");
  }
  return result;
}

int64_t CallArgs::size(size_t index, const char* name) const {
  const double value = number(index, name);
  if (!(value >= 0 && value < 9007199254740992.0) || std::floor(value) != value) {
    throw JsError(JsError::Kind::kRangeError, std::string("kiln native: ") + name + " must be a non-negative integer");
  }
  return static_cast<int64_t>(value);
}

std::string CallArgs::string(size_t index, const char* name) const {
  size_t length;
  if (napi_get_value_string_utf8(env_, values_[index], nullptr, 0, &length) != napi_ok) {
    throw JsError(JsError::Kind::kTypeError, std::string("kiln native: ") + name + " must be a string");
  }
  std::string result(length, '\0');
  check(env_, napi_get_value_string_utf8(env_, values_[index], result.data(), length + 1, &length));
  return result;
}

void* CallArgs::typedArray(size_t index, const char* name, napi_typedarray_type type, const char* typeName,
                           size_t* length) const {
  bool isTypedArray = false;
  check(env_, napi_is_typedarray(env_, values_[index], &isTypedArray));
  napi_typedarray_type actual = napi_int8_array;
  void* data = nullptr;
  if (isTypedArray) {
    // `data` already points at the view's first element (the byte offset is applied).
    check(env_, napi_get_typedarray_info(env_, values_[index], &actual, length, &data, nullptr, nullptr));
  }
  if (!isTypedArray || actual != type) {
    throw JsError(JsError::Kind::kTypeError, std::string("kiln native: ") + name + " must be a " + typeName);
  }
  return data;
}

ArrayView<float> CallArgs::float32Array(size_t index, const char* name) const {
  size_t length = 0;
  void* data = typedArray(index, name, napi_float32_array, "Float32Array", &length);
  return ArrayView<float>{static_cast<float*>(data), length};
}

ArrayView<int32_t> CallArgs::int32Array(size_t index, const char* name) const {
  size_t length = 0;
  void* data = typedArray(index, name, napi_int32_array, "Int32Array", &length);
  return ArrayView<int32_t>{static_cast<int32_t*>(data), length};
}

ArrayView<uint8_t> CallArgs::uint8Array(size_t index, const char* name) const {
  size_t length = 0;
  void* data = typedArray(index, name, napi_uint8_array, "Uint8Array", &length);
  return ArrayView<uint8_t>{static_cast<uint8_t*>(data), length};
}

ArrayView<double> CallArgs::float64Array(size_t index, const char* name) const {
  size_t length = 0;
  void* data = typedArray(index, name, napi_float64_array, "Float64Array", &length);
  return ArrayView<double>{static_cast<double*>(data), length};
}

void requireMatrix(const char* op, const char* name, size_t length, int64_t offset, int64_t ld, int64_t rows,
                   int64_t cols) {
  if (ld < cols) {
    throw JsError(JsError::Kind::kRangeError, std::string(op) + ": leading dimension of " + name + " is " +
                                                  std::to_string(ld) + " but its rows have " + std::to_string(cols) +
                                                  " columns");
  }
  if (rows == 0 || cols == 0) return;
  requireLength(op, name, length, offset + (rows - 1) * ld + cols);
}

void requireLength(const char* op, const char* name, size_t length, int64_t needed) {
  if (static_cast<uint64_t>(needed) > length) {
    throw JsError(JsError::Kind::kRangeError, std::string(op) + ": " + name + " needs " + std::to_string(needed) +
                                                  " elements, has " + std::to_string(length));
  }
}

}  // namespace kiln
