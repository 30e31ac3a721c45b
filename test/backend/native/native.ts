import { loadNativeBackend } from '../../../src/backend/native/load.js';
import type { NativeBackend } from '../../../src/backend/native/native-backend.js';

/**
 * The native backend, which these tests need built: CI builds it with `npm install`, so a missing addon
 * fails every native test file loudly instead of skipping it.
 */
export function nativeBackend(): NativeBackend {
  const loaded = loadNativeBackend();
  if (loaded.backend === null) {
    throw new Error(`the native addon is not available, so the native backend cannot be tested: ${loaded.reason}. Run \`npm install\` to build it.`);
  }
  return loaded.backend;
}

/** Runs body once per kernel family this CPU supports and per thread count, restoring the settings after. */
export function forEachConfiguration(backend: NativeBackend, body: (label: string) => void): void {
  const { isa, threads } = backend;
  try {
    for (const family of backend.isas) {
      for (const count of [1, 2, 3]) {
        backend.setIsa(family);
        backend.setThreads(count);
        body(`${family}, ${count} thread${count === 1 ? '' : 's'}`);
      }
    }
  } finally {
    backend.setIsa(isa);
    backend.setThreads(threads);
  }
}
