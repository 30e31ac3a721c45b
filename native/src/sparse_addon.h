// The N-API functions of the sparse-weight kernels (packSparse, sparseGemm), defined on the addon's exports
// by addon.cc.
#pragma once

#include <node_api.h>

#include "cpu.h"
#include "thread_pool.h"

namespace kiln {

// Adds the functions to `exports`; they run on the family `*isa` (read at each call) and on `pool`,
// which must outlive the addon.
napi_status defineSparseFunctions(napi_env env, napi_value exports, const Isa* isa, ThreadPool* pool);

}  // namespace kiln
