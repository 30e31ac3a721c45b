import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ArgumentError,
  Tensor,
  elu,
  fromArray,
  gelu,
  leakyRelu,
  logSoftmax,
  relu,
  sigmoid,
  softmax,
  softplus,
  sum,
  tanh,
  zeros,
} from '../../src/index.js';
import { leaf, leafOf } from '../helpers/gradcheck.js';
import { assertClose, assertThrows, awayFromZero, checkGrad, values } from './util.js';

type Unary = (x: Tensor) => Tensor;

const ELEMENTWISE: [string, Unary][] = [
  ['relu', relu],
  ['leakyRelu', (x) => leakyRelu(x)],
  ['leakyRelu(0.2)', (x) => leakyRelu(x, 0.2)],
  ['elu', (x) => elu(x)],
  ['elu(0.5)', (x) => elu(x, 0.5)],
  ['gelu', gelu],
  ['sigmoid', sigmoid],
  ['tanh', tanh],
  ['softplus', softplus],
];

describe('elementwise activations: gradients', () => {
  for (const [name, op] of ELEMENTWISE) {
    describe(name, () => {
      // Inputs stay away from the kinks at 0 (relu, leakyRelu, elu).
      test('[2,3]', () => checkGrad(op, [awayFromZero([2, 3], 1)], [2, 3]));
      test('size-1 dimensions and 0-d', () => {
        checkGrad(op, [awayFromZero([1, 4, 1], 2)], [1, 4, 1]);
        checkGrad(op, [awayFromZero([], 3)], []);
      });
      test('size-0 dimension', () => checkGrad(op, [awayFromZero([0, 3], 4)], [0, 3]));
      test('non-contiguous views', () => {
        checkGrad((x) => op(x!.transpose()), [awayFromZero([4, 3], 5)], [3, 4]);
        checkGrad((x) => op(x!.slice([null, [0, 5, 2]])), [awayFromZero([2, 5], 6)], [2, 3]);
        checkGrad((x) => op(x!.expand([2, 3, 4])), [awayFromZero([3, 1], 7)], [2, 3, 4]);
      });
      test('large magnitudes', () => {
        checkGrad(op, [leafOf([-6, -3.5, 2.5, 7])], [4]);
      });
    });
  }
});

describe('relu in float32 on the current backend (large arrays, views, NaN)', () => {
  test('values and the fused gradient equal max(x, 0) and g where x > 0', () => {
    // 70,000 elements are large enough for storage without zero-fill.
    const n = 70_000;
    const raw = Float32Array.from({ length: 2 * n }, (_, i) => (i % 97 === 0 ? NaN : Math.sin(i) * 3));
    // Every second element: a strided view, which the op reads through a contiguous copy.
    const x = new Tensor(raw, [n], [2], 1).setRequiresGrad();
    const g = Float32Array.from({ length: n }, (_, i) => Math.cos(i));
    const out = relu(x);
    out.backward(new Tensor(g, [n]));
    const xs = values(x.detach());
    assert.deepEqual(values(out), xs.map((v) => (v > 0 || Number.isNaN(v) ? v : 0)));
    assert.deepEqual(values(x.grad!), xs.map((v, i) => (v > 0 ? g[i]! : 0)));
  });
});

describe('elementwise activations: forward values', () => {
  const x = fromArray([-2, -0.5, 0, 0.5, 2], { dtype: 'float64' });
  test('relu, leakyRelu, elu', () => {
    assert.deepEqual(relu(x).toArray(), [0, 0, 0, 0.5, 2]);
    assertClose(leakyRelu(x), [-0.02, -0.005, 0, 0.5, 2]);
    assertClose(leakyRelu(x, 0.2), [-0.4, -0.1, 0, 0.5, 2]);
    assertClose(elu(x), [Math.expm1(-2), Math.expm1(-0.5), 0, 0.5, 2]);
    assertClose(elu(x, 0.5), [0.5 * Math.expm1(-2), 0.5 * Math.expm1(-0.5), 0, 0.5, 2]);
  });
  test('gelu (exact, with erf)', () => {
    // x · Φ(x) with Φ(±2), Φ(±0.5) from tables of the normal CDF.
    assertClose(gelu(x), [-2 * 0.022750131948179195, -0.5 * 0.3085375387259869, 0, 0.5 * 0.6914624612740131, 2 * 0.9772498680518208], 1e-14);
  });
  test('sigmoid, tanh, softplus', () => {
    assertClose(sigmoid(x), [-2, -0.5, 0, 0.5, 2].map((v) => 1 / (1 + Math.exp(-v))), 1e-15);
    assertClose(tanh(x), [-2, -0.5, 0, 0.5, 2].map(Math.tanh), 1e-15);
    assertClose(softplus(x), [-2, -0.5, 0, 0.5, 2].map((v) => Math.log(1 + Math.exp(v))), 1e-15);
  });
  test('huge inputs stay finite', () => {
    const big = fromArray([-1000, 1000], { dtype: 'float64' });
    assert.deepEqual(sigmoid(big).toArray(), [0, 1]);
    assert.deepEqual(softplus(big).toArray(), [0, 1000]);
    assert.deepEqual(tanh(big).toArray(), [-1, 1]);
    assert.deepEqual(gelu(big).toArray(), [-0, 1000]);
    assert.deepEqual(elu(big).toArray(), [-1, 1000]);
  });
  test('NaN propagates', () => {
    const n = fromArray([NaN]);
    for (const [name, op] of ELEMENTWISE) assert.ok(Number.isNaN(op(n).item()), name);
  });
  test('relu and leakyRelu gradients at 0 are those of the negative side', () => {
    const a = leafOf([-1, 0, 1]);
    relu(a).sum().backward();
    assert.deepEqual(values(a.grad!), [0, 0, 1]);
    const b = leafOf([-1, 0, 1]);
    leakyRelu(b, 0.1).sum().backward();
    assert.deepEqual(values(b.grad!), [0.1, 0.1, 1]);
  });
  test('integer input gives float32', () => {
    assert.equal(relu(fromArray([1, -1], { dtype: 'int32' })).dtype, 'float32');
    assert.equal(sigmoid(fromArray([1, -1], { dtype: 'int32' })).dtype, 'float32');
  });
});

describe('softmax and logSoftmax', () => {
  for (const [name, op] of [['softmax', softmax], ['logSoftmax', logSoftmax]] as const) {
    describe(name, () => {
      test('default axis (last)', () => checkGrad((x) => op(x!), [leaf([2, 4], 1)], [2, 4]));
      test('axis 0, axis 1 and negative axis of a 3-D tensor', () => {
        checkGrad((x) => op(x!, 0), [leaf([3, 2, 2], 2)], [3, 2, 2]);
        checkGrad((x) => op(x!, 1), [leaf([2, 3, 2], 3)], [2, 3, 2]);
        checkGrad((x) => op(x!, -2), [leaf([2, 3, 2], 4)], [2, 3, 2]);
      });
      test('size-1 axes and 1-D input', () => {
        checkGrad((x) => op(x!, 1), [leaf([3, 1], 5)], [3, 1]);
        checkGrad((x) => op(x!), [leaf([5], 6)], [5]);
      });
      test('size-0 dimensions', () => {
        checkGrad((x) => op(x!, -1), [leaf([0, 3], 7)], [0, 3]);
        checkGrad((x) => op(x!, 0), [leaf([0, 3], 8)], [0, 3]);
      });
      test('non-contiguous views', () => {
        checkGrad((x) => op(x!.transpose(), 1), [leaf([4, 3], 9)], [3, 4]);
        checkGrad((x) => op(x!.slice([null, [0, 5, 2]]), 0), [leaf([2, 5], 10)], [2, 3]);
        checkGrad((x) => op(x!.expand([2, 3, 4]), 1), [leaf([3, 1], 11)], [2, 3, 4]);
      });
      test('large logits', () => checkGrad((x) => op(x!), [leaf([2, 3], 12, 50)], [2, 3]));
      test('bad axis is an ArgumentError with the valid range', () => {
        assertThrows(() => op(zeros([2, 3]), 2), ArgumentError, name, 'axis 2', '-2..1');
        assertThrows(() => op(zeros([2, 3]), -3), ArgumentError, name, '-2..1');
      });
    });
  }
  test('forward values', () => {
    const x = fromArray([[1, 2, 3], [0, 0, 0]], { dtype: 'float64' });
    const z = Math.exp(1) + Math.exp(2) + Math.exp(3);
    assertClose(softmax(x), [Math.exp(1) / z, Math.exp(2) / z, Math.exp(3) / z, 1 / 3, 1 / 3, 1 / 3], 1e-15);
    assertClose(logSoftmax(x), [1 - Math.log(z), 2 - Math.log(z), 3 - Math.log(z), -Math.log(3), -Math.log(3), -Math.log(3)], 1e-15);
    assertClose(sum(softmax(x, 0), 0), [1, 1, 1], 1e-15);
  });
  test('huge logits (±1000) stay finite', () => {
    const x = fromArray([[1000, -1000, 0], [-1000, -1000, -1000], [1000, 1000, 999]], { dtype: 'float64' });
    const s = softmax(x);
    const l = logSoftmax(x);
    assert.ok(values(s).every(Number.isFinite), `softmax ${values(s)}`);
    assert.ok(values(l).every(Number.isFinite), `logSoftmax ${values(l)}`);
    const e = Math.exp(-1);
    // Full precision despite |x| ~ 1000 (x − logSumExp(x) would be off by ~ulp(1000)).
    assertClose(s, [1, 0, 0, 1 / 3, 1 / 3, 1 / 3, 1 / (2 + e), 1 / (2 + e), e / (2 + e)], 1e-15);
    assertClose(l, [0, -2000, -1000, -Math.log(3), -Math.log(3), -Math.log(3), -Math.log(2 + e), -Math.log(2 + e), -1 - Math.log(2 + e)], 1e-15);
    const f32 = softmax(fromArray([[1000, 1000, -1000], [1e4, 1e4, 0]]));
    assertClose(f32, [0.5, 0.5, 0, 0.5, 0.5, 0], 1e-7, 'float32');
    const f = fromArray([[1000, -1000]], { dtype: 'float32' });
    assert.ok(values(softmax(f)).every(Number.isFinite));
    assert.ok(values(logSoftmax(f)).every(Number.isFinite));
    // The gradients are finite too.
    const g = leafOf([[1000, -1000, 0]]);
    logSoftmax(g).sum().backward();
    assert.ok(values(g.grad!).every(Number.isFinite));
  });
  test('tensor methods', () => {
    const x = fromArray([[1, 2], [3, 5]], { dtype: 'float64' });
    assertClose(x.softmax(0), values(softmax(x, 0)));
    assertClose(x.logSoftmax(), values(logSoftmax(x)));
    assertClose(x.relu().gelu().sigmoid().tanh().softplus().elu().leakyRelu(), values(leakyRelu(elu(softplus(tanh(sigmoid(gelu(relu(x)))))))));
  });
});
