import { BackendError } from '../errors.js';
import type { Backend } from './backend.js';
import { jsBackend } from './js/js-backend.js';

/** Why the current backend was chosen, for `kiln env`. */
export interface BackendChoice {
  backend: Backend;
  reason: string;
}

const backends = new Map<string, Backend>([[jsBackend.name, jsBackend]]);
let current: BackendChoice | null = null;

/** Names of the backends available in this process. */
export function availableBackends(): string[] {
  return [...backends.keys()];
}

/** Makes a backend available (the native and wasm backends register themselves when they load). */
export function registerBackend(backend: Backend): void {
  backends.set(backend.name, backend);
}

function choose(): BackendChoice {
  const requested = process.env.KILN_BACKEND;
  if (requested !== undefined && requested !== '') {
    const backend = backends.get(requested);
    if (backend === undefined) {
      throw new BackendError(
        `KILN_BACKEND=${requested} is not an available backend; available: ${availableBackends().join(', ')}`,
      );
    }
    return { backend, reason: `KILN_BACKEND=${requested}` };
  }
  return { backend: jsBackend, reason: 'the js reference backend is the only one built' };
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
  const backend = backends.get(name);
  if (backend === undefined) {
    throw new BackendError(`unknown backend '${name}'; available: ${availableBackends().join(', ')}`);
  }
  current = { backend, reason: 'set by setBackend()' };
}
