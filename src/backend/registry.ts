import { BackendError } from '../errors.js';
import type { Backend } from './backend.js';
import { jsBackend } from './js/js-backend.js';
import { loadNativeBackend, type NativeLoadResult } from './native/load.js';
import { profiledBackend, profiling } from './profiler.js';

/** Why the current backend was chosen, for `kiln env`. */
export interface BackendChoice {
  backend: Backend;
  reason: string;
}

const backends = new Map<string, Backend>([[jsBackend.name, jsBackend]]);
let current: BackendChoice | null = null;
/** With KILN_PROFILE, the timed wrapper of each backend that ops have been given. */
const timed = new Map<Backend, Backend>();

/** The backend ops run on: `backend` itself, or its timed wrapper when profiling. */
function instrumented(backend: Backend): Backend {
  if (!profiling) return backend;
  let wrapper = timed.get(backend);
  if (wrapper === undefined) {
    wrapper = profiledBackend(backend);
    timed.set(backend, wrapper);
  }
  return wrapper;
}

/** Loads the native backend on first use and registers it when it loads. */
function nativeBackend(): NativeLoadResult {
  const native = loadNativeBackend();
  if (native.backend !== null && !backends.has(native.backend.name)) registerBackend(native.backend);
  return native;
}

const ISA_LABELS: Record<string, string> = { avx512: 'AVX-512', avx2: 'AVX2 + FMA', scalar: 'portable scalar kernels' };

let warnedNativeUnavailable = false;

/** Warns once per process that Kiln fell back to the js backend, and why. */
function warnNativeUnavailable(reason: string): void {
  if (warnedNativeUnavailable) return;
  warnedNativeUnavailable = true;
  process.emitWarning(
    `Kiln runs on the much slower js reference backend because the native backend is unavailable: ${reason}. ` +
      'Set KILN_BACKEND=js to choose js explicitly and silence this warning.',
    { type: 'KilnWarning', code: 'KILN_NATIVE_UNAVAILABLE' },
  );
}

/** Names of the backends available in this process. */
export function availableBackends(): string[] {
  nativeBackend();
  return [...backends.keys()];
}

/** Makes a backend available (the native and wasm backends register themselves when they load). */
export function registerBackend(backend: Backend): void {
  backends.set(backend.name, backend);
}

function choose(): BackendChoice {
  const requested = process.env.KILN_BACKEND;
  if (requested !== undefined && requested !== '') {
    const native = requested === 'native' ? nativeBackend() : null;
    if (native?.backend === null) {
      throw new BackendError(`KILN_BACKEND=native, but the native backend is unavailable: ${native.reason}`);
    }
    const backend = backends.get(requested);
    if (backend === undefined) {
      throw new BackendError(
        `KILN_BACKEND=${requested} is not an available backend; available: ${availableBackends().join(', ')}`,
      );
    }
    return { backend: instrumented(backend), reason: `KILN_BACKEND=${requested}` };
  }
  const native = nativeBackend();
  if (native.backend !== null) {
    const isa = ISA_LABELS[native.backend.isa] ?? native.backend.isa;
    const threads = native.backend.threads;
    return {
      backend: instrumented(native.backend),
      reason: `native (${isa}, ${threads} thread${threads === 1 ? '' : 's'}) is the fastest available backend`,
    };
  }
  warnNativeUnavailable(native.reason);
  return { backend: instrumented(jsBackend), reason: `the native backend is unavailable: ${native.reason}` };
}

/** The backend every op runs on (chosen on first use: `KILN_BACKEND`, else the fastest available). */
export function getBackend(): Backend {
  current ??= choose();
  return current.backend;
}

/** The current backend with the reason it was chosen. */
export function backendChoice(): BackendChoice {
  getBackend();
  return current!;
}

/** Switches every later op to the backend called `name`. */
export function setBackend(name: string): void {
  const native = nativeBackend();
  if (name === 'native' && native.backend === null) {
    throw new BackendError(`the native backend is unavailable: ${native.reason}`);
  }
  const backend = backends.get(name);
  if (backend === undefined) {
    throw new BackendError(`unknown backend '${name}'; available: ${availableBackends().join(', ')}`);
  }
  current = { backend: instrumented(backend), reason: 'set by setBackend()' };
}
