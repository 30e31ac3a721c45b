import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ArgumentError,
  DTypeError,
  Generator,
  ShapeError,
  Tensor,
  backward,
  fakeQuantize,
  fakeQuantizePerChannel,
  fromArray,
  getBackend,
  mul,
  randn,
  scalar,
  sum,
  transpose,
} from '../../src/index.js';
import { roundHalfEven } from '../../src/backend/js/int8.js';
import { quantizeWeights, symmetricScales } from '../../src/compress/quantize/qparams.js';
import { assertThrows, values } from './util.js';

const SCALE = Math.fround(0.05);
const ZERO_POINT = 100;

/**
 * Float32 values on both sides of the u8 range of SCALE/ZERO_POINT (−5…7.75), exact ties between codes,
 * zeros and extremes, so rounding and clamping are both exercised.
 */
function activations(): Float32Array {
  const random = randn([500], { generator: new Generator(3) }).contiguousData() as Float32Array;
  const ties = Array.from({ length: 40 }, (_, i) => (i - 20 + 0.5) * SCALE);
  return Float32Array.from([...Array.from(random, (v) => v * 4), ...ties, 0, -0, 1e30, -1e30, 7.75, 7.8, -5, -5.1]);
}

/** The integer kernels' round trip: dequantize(quantize(x)) on the active backend. */
function integerRoundTrip(x: Float32Array, scale: number, zeroPoint: number): Float32Array {
  const shape = { batch: 1, channels: 1, plane: x.length };
  const codes = new Uint8Array(x.length);
  getBackend().quantize(shape, x, scale, zeroPoint, codes);
  const out = new Float32Array(x.length);
  getBackend().dequantize(shape, codes, scale, zeroPoint, out);
  return out;
}

function assertSameBits(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    if (!Object.is(actual[i], expected[i]) && !(actual[i] === 0 && expected[i] === 0)) {
      assert.fail(`${what}: element ${i} is ${actual[i]}, expected ${expected[i]}`);
    }
  }
}

/** The straight-through mask times g: g where the unclamped code lies in [qmin, qmax]. */
function steGradient(x: ArrayLike<number>, g: ArrayLike<number>, code: (v: number, i: number) => number, qmin: number, qmax: number): number[] {
  return Array.from(x, (v, i) => {
    const q = code(v, i);
    return q >= qmin && q <= qmax ? g[i]! : 0;
  });
}

describe('fakeQuantize: forward', () => {
  test('equals dequantize(quantize(x)) of the integer kernels bit for bit', () => {
    const x = activations();
    const out = fakeQuantize(new Tensor(x, [x.length]), SCALE, ZERO_POINT, 0, 255);
    assert.equal(out.dtype, 'float32');
    assertSameBits(out.contiguousData(), integerRoundTrip(x, SCALE, ZERO_POINT), 'fake-quantized values');
  });

  test('ties round half to even, like the kernels', () => {
    // 0.5 and 1.5 steps above 0 give codes 0 and 2 (even), with zero point 0.
    const out = fakeQuantize(fromArray([0.5, 1.5, 2.5, -0.5]), 1, 10, 0, 255);
    assert.deepEqual(values(out), [0, 2, 2, 0]);
  });

  test('a float64 input gives float64 values equal to the float32 round trip of its float32 rounding', () => {
    const x = activations();
    const out = fakeQuantize(new Tensor(Float64Array.from(x), [x.length]), SCALE, ZERO_POINT, 0, 255);
    assert.equal(out.dtype, 'float64');
    assertSameBits(out.contiguousData(), integerRoundTrip(x, SCALE, ZERO_POINT), 'float64 input');
  });

  test('a strided view is read in logical order', () => {
    const x = randn([3, 4], { generator: new Generator(5) });
    const view = transpose(x);
    const expected = integerRoundTrip(view.contiguousData() as Float32Array, SCALE, ZERO_POINT);
    assertSameBits(fakeQuantize(view, SCALE, ZERO_POINT, 0, 255).contiguousData(), expected, 'transposed input');
  });

  test('a signed code range clamps at both ends', () => {
    const out = fakeQuantize(fromArray([-200, -1.2, 0.4, 3, 200]), 1, 0, -128, 127);
    assert.deepEqual(values(out), [-128, -1, 0, 3, 127]);
  });

  test('records no graph for an input that needs no gradient', () => {
    const out = fakeQuantize(fromArray([1, 2]), 1, 0, 0, 255);
    assert.equal(out.requiresGrad, false);
    assert.equal(out.gradFn, null);
  });
});

// The straight-through estimator is by design not the derivative of the (piecewise constant) forward, so
// these tests check the mask exactly instead of comparing with finite differences.
describe('fakeQuantize: gradient (straight-through estimator)', () => {
  test('passes the gradient where the unclamped code is within [qmin, qmax] and 0 elsewhere', () => {
    const data = activations();
    const x = new Tensor(Float32Array.from(data), [data.length]).setRequiresGrad();
    const g = randn([data.length], { generator: new Generator(9) });
    backward(fakeQuantize(x, SCALE, ZERO_POINT, 0, 255), g);
    const expected = steGradient(data, g.contiguousData(), (v) => roundHalfEven(Math.fround(v / SCALE)) + ZERO_POINT, 0, 255);
    assertSameBits(x.grad!.contiguousData(), expected, 'gradient');
    // Both sides of the range were clamped, so the mask is neither all ones nor all zeros.
    assert.ok(expected.some((v) => v === 0) && expected.some((v) => v !== 0));
  });

  test('the boundary codes qmin and qmax still pass the gradient', () => {
    // Codes 0 and 255 are in range; −1 and 256 are clamped.
    const x = fromArray([-100, -101, 155, 156], { dtype: 'float64' }).setRequiresGrad();
    sum(fakeQuantize(x, 1, 100, 0, 255)).backward();
    assert.deepEqual(values(x.grad!), [1, 0, 1, 0]);
  });

  test('flows through the ops before it, with the input dtype', () => {
    const x = fromArray([0.3, 9, -9], { dtype: 'float64' }).setRequiresGrad();
    sum(fakeQuantize(mul(x, 2), 0.1, 50, 0, 100)).backward();
    assert.equal(x.grad!.dtype, 'float64');
    // Codes 56, 230 (clamped), −130 (clamped).
    assert.deepEqual(values(x.grad!), [2, 0, 0]);
  });
});

describe('fakeQuantizePerChannel', () => {
  const weights = (): Tensor => {
    const w = randn([4, 3, 2, 2], { generator: new Generator(11) });
    // An all-zero channel gets scale 1, as a pruned channel does.
    w.data.fill(0, 12, 24);
    return w;
  };

  test('equals the dequantized int8 weights of the converter bit for bit', () => {
    const w = weights();
    const data = w.contiguousData() as Float32Array;
    const scales = symmetricScales(data, 4);
    const codes = quantizeWeights(data, scales);
    const expected = Array.from(codes, (q, i) => Math.fround(q * scales[Math.floor(i / 12)]!));
    assertSameBits(fakeQuantizePerChannel(w, scales, -127, 127).contiguousData(), expected, 'per-channel values');
  });

  test('scales smaller than the channel maximum clamp, and the gradient is 0 exactly there', () => {
    const w = weights().setRequiresGrad();
    const scales = Float32Array.from([0.005, 0.01, 0.02, 0.03]);
    const g = randn(w.shape, { generator: new Generator(12) });
    const out = fakeQuantizePerChannel(w, scales, -127, 127);
    backward(out, g);
    const data = w.contiguousData();
    const code = (v: number, i: number): number => roundHalfEven(Math.fround(v / scales[Math.floor(i / 12)]!));
    const expected = steGradient(data, g.contiguousData(), code, -127, 127);
    assertSameBits(w.grad!.contiguousData(), expected, 'gradient');
    assert.ok(expected.some((v) => v === 0), 'some weights are clamped');
    const clamped = Array.from(data, (v, i) => Math.max(-127, Math.min(127, code(v, i))) * scales[Math.floor(i / 12)]!);
    assertSameBits(out.contiguousData(), clamped.map(Math.fround), 'clamped values');
  });

  test('a 2-D linear weight: one scale per row', () => {
    const w = fromArray([[1, -2, 0.5], [0.01, 0.02, -0.04]]);
    const data = w.contiguousData() as Float32Array;
    const scales = symmetricScales(data, 2);
    const codes = quantizeWeights(data, scales);
    const expected = Array.from(codes, (q, i) => Math.fround(q * scales[Math.floor(i / 3)]!));
    assertSameBits(fakeQuantizePerChannel(w, scales, -127, 127).contiguousData(), expected, 'linear weight');
  });
});

describe('fake quantization: errors', () => {
  const x = fromArray([1, 2, 3]);
  for (const scale of [0, -0.1, NaN, Infinity, 1e-50]) {
    test(`scale ${scale}`, () => assertThrows(() => fakeQuantize(x, scale, 0, 0, 255), ArgumentError, 'fakeQuantize: scale', 'positive'));
  }
  test('per-channel scale', () =>
    assertThrows(() => fakeQuantizePerChannel(fromArray([[1], [2]]), Float32Array.from([1, 0]), -127, 127), ArgumentError, 'scales[1]'));
  test('a zero point outside the code range', () =>
    assertThrows(() => fakeQuantize(x, 1, 256, 0, 255), ArgumentError, 'zero point', '[0, 255]', '256'));
  test('a non-integer zero point', () => assertThrows(() => fakeQuantize(x, 1, 1.5, 0, 255), ArgumentError, 'zero point'));
  test('qmin ≥ qmax', () => assertThrows(() => fakeQuantize(x, 1, 0, 255, 0), ArgumentError, 'qmin < qmax'));
  test('a per-channel range without 0', () =>
    assertThrows(() => fakeQuantizePerChannel(fromArray([[1]]), Float32Array.from([1]), 1, 255), ArgumentError, 'must contain 0'));
  test('one scale per channel', () =>
    assertThrows(() => fakeQuantizePerChannel(fromArray([[1], [2]]), Float32Array.from([1]), -127, 127), ShapeError, 'one scale per slice', '(2)', 'got 1'));
  test('a scalar weight', () =>
    assertThrows(() => fakeQuantizePerChannel(scalar(1), Float32Array.from([1]), -127, 127), ShapeError, 'use fakeQuantize'));
  test('an integer input', () =>
    assertThrows(() => fakeQuantize(fromArray([1, 2], { dtype: 'int32' }), 1, 0, 0, 255), DTypeError, 'fakeQuantize: input'));
});
