// The N-API functions of the int8 kernels (packInt8, qgemm, qconv2d, qconv2dMaxPool, qmaxPool2d, qavgPool2d,
// quantize, dequantize, int8Isa, setVnni), defined on the addon's exports by addon.cc.
#pragma once

#include <node_api.h>

#include "cpu.h"
#include "thread_pool.h"

namespace kiln {

// Adds the functions to `exports`; they run on the family `*isa` (read at each call) and on `pool`,
// which must outlive the addon.
napi_status defineInt8Functions(napi_env env, napi_value exports, const Isa* isa, ThreadPool* pool);

}  // namespace kiln
