/**
 * Loads the native backend once per process, or says why it cannot: the addon was not built, does not
 * load here, or the environment asks for something invalid.
 *
 * `KILN_NATIVE_PATH` overrides where the addon is looked for; `KILN_THREADS` sets the thread count
 * (default: `os.availableParallelism()`; 1 runs every kernel on the calling thread).
 */
import { existsSync } from 'node:fs';
import os from 'node:os';
import { defaultAddonPath, loadAddon, type NativeAddon } from './addon.js';
import { createNativeBackend, type NativeBackend } from './native-backend.js';

/** The native backend, or the reason it is unavailable. */
export type NativeLoadResult = { backend: NativeBackend; reason: null } | { backend: null; reason: string };

let result: NativeLoadResult | null = null;

/** The native backend if it loads in this process (tried once, on the first call). */
export function loadNativeBackend(): NativeLoadResult {
  result ??= tryLoad();
  return result;
}

/** The thread count `KILN_THREADS` asks for, or a message saying why it is invalid. */
function threadsFromEnvironment(): number | string {
  const value = process.env.KILN_THREADS;
  if (value === undefined || value.trim() === '') return os.availableParallelism();
  const threads = Number(value);
  if (!Number.isInteger(threads) || threads < 1 || threads > 1024) {
    return `KILN_THREADS=${value} is not a thread count (an integer from 1 to 1024); set it to e.g. 2, or unset it`;
  }
  return threads;
}

function tryLoad(): NativeLoadResult {
  const threads = threadsFromEnvironment();
  if (typeof threads === 'string') return { backend: null, reason: threads };
  const override = process.env.KILN_NATIVE_PATH;
  const path = override !== undefined && override !== '' ? override : defaultAddonPath();
  const where = override !== undefined && override !== '' ? `KILN_NATIVE_PATH=${override}` : path;
  if (!existsSync(path)) {
    return {
      backend: null,
      reason: `the addon is not built: there is no file at ${where}. \`npm install\` builds it with node-gyp, which needs a C++17 compiler, Python 3 and make`,
    };
  }
  let addon: NativeAddon;
  try {
    addon = loadAddon(path);
  } catch (error) {
    return { backend: null, reason: `the addon at ${where} does not load: ${(error as Error).message}` };
  }
  addon.setThreads(threads);
  return { backend: createNativeBackend(addon), reason: null };
}
