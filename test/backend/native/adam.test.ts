import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AdamStep } from '../../../src/backend/backend.js';
import { adamUpdate } from '../../../src/backend/js/adam.js';
import { seededRandom } from '../../helpers/arrays.js';
import { forEachConfiguration, nativeBackend } from './native.js';

const native = nativeBackend();

/** Values of either sign over several magnitudes, with NaN, ±Infinity and ±0 mixed in. */
function values(length: number, rand: () => number, scale = 1): Float32Array {
  const specials = [NaN, Infinity, -Infinity, 0, -0];
  return Float32Array.from({ length }, () =>
    rand() < 0.02 ? specials[Math.floor(rand() * specials.length)]! : (rand() * 2 - 1) * scale * 10 ** Math.floor(rand() * 6 - 3),
  );
}

/** Equal values element by element (±0 told apart); NaN payloads, which no arithmetic reads, may differ. */
function assertSameValues(got: Float32Array, want: Float32Array, what: string): void {
  assert.deepEqual(Array.from(got), Array.from(want), what);
}

const MODES: { name: string; decoupled: boolean; weightDecay: number; amsgrad: boolean }[] = [
  { name: 'Adam', decoupled: false, weightDecay: 0, amsgrad: false },
  { name: 'Adam with L2 weight decay', decoupled: false, weightDecay: 0.01, amsgrad: false },
  { name: 'Adam, AMSGrad', decoupled: false, weightDecay: 0.001, amsgrad: true },
  { name: 'AdamW', decoupled: true, weightDecay: 0.01, amsgrad: false },
  { name: 'AdamW, AMSGrad', decoupled: true, weightDecay: 0.1, amsgrad: true },
];

test('adamUpdate gives exactly the js backend’s values over several steps', () => {
  const rand = seededRandom(11);
  forEachConfiguration(native, (config) => {
    // Ragged lengths around the vector widths, and one large enough to be split over threads.
    for (const n of [1, 7, 17, 1000, 100_003]) {
      for (const mode of MODES) {
        const p = values(n, rand);
        const state = { p: [p, p.slice()], m: [new Float32Array(n), new Float32Array(n)], v: [new Float32Array(n), new Float32Array(n)] };
        const vMax = mode.amsgrad ? [new Float32Array(n), new Float32Array(n)] : null;
        for (let t = 1; t <= 3; t++) {
          const g = values(n, rand, 0.1);
          const lr = 1e-3 * t;
          const step: AdamStep = {
            lr,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weightDecay: mode.weightDecay,
            decoupled: mode.decoupled,
            stepSize: lr / (1 - 0.9 ** t),
            biasCorrection2Sqrt: Math.sqrt(1 - 0.999 ** t),
          };
          adamUpdate(step, state.p[0]!, g, state.m[0]!, state.v[0]!, vMax?.[0] ?? null);
          native.adamUpdate(step, state.p[1]!, g, state.m[1]!, state.v[1]!, vMax?.[1] ?? null);
          const where = `${mode.name}, length ${n}, step ${t} (${config})`;
          assertSameValues(state.p[1]!, state.p[0]!, `p: ${where}`);
          assertSameValues(state.m[1]!, state.m[0]!, `m: ${where}`);
          assertSameValues(state.v[1]!, state.v[0]!, `v: ${where}`);
          if (vMax !== null) assertSameValues(vMax[1]!, vMax[0]!, `vMax: ${where}`);
        }
      }
    }
  });
});

test('adamUpdate runs float64 parameters on the js kernel and checks lengths', () => {
  const step: AdamStep = { lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, decoupled: false, stepSize: 1, biasCorrection2Sqrt: Math.sqrt(0.001) };
  const p = Float64Array.from([1, -2]);
  native.adamUpdate(step, p, Float64Array.from([0.5, -0.5]), new Float64Array(2), new Float64Array(2), null);
  const want = Float64Array.from([1, -2]);
  adamUpdate(step, want, Float64Array.from([0.5, -0.5]), new Float64Array(2), new Float64Array(2), null);
  assert.deepEqual(p, want);
  const f = (n: number) => new Float32Array(n);
  assert.throws(() => native.adamUpdate(step, f(4), f(3), f(4), f(4), null), /g needs 4 elements, has 3/);
  assert.throws(() => native.adamUpdate(step, f(4), f(4), f(4), f(4), f(2)), /vMax needs 4 elements/);
});
