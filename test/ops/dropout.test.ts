import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ArgumentError, Generator, dropout, fromArray, manualSeed, ones, randn } from '../../src/index.js';
import { leaf } from '../helpers/gradcheck.js';
import { assertClose, assertThrows, checkGrad, values } from './util.js';

/** The mask dropout draws from a generator seeded with `seed`: 0 or 1/(1 − p) per element. */
function maskFor(shape: number[], p: number, seed: number): number[] {
  return values(dropout(ones(shape, { dtype: 'float64' }), p, { generator: new Generator(seed) }));
}

describe('dropout', () => {
  test('the mask is 0 or 1/(1 − p) and depends only on the generator', () => {
    const mask = maskFor([4, 5], 0.3, 7);
    assert.ok(mask.every((m) => m === 0 || m === 1 / 0.7), `mask ${mask}`);
    assert.ok(mask.includes(0) && mask.includes(1 / 0.7), 'both dropped and kept elements');
    assert.deepEqual(maskFor([4, 5], 0.3, 7), mask, 'same seed, same mask');
    assert.notDeepEqual(maskFor([4, 5], 0.3, 8), mask, 'another seed, another mask');
  });
  test('forward and backward use the same mask: gradient = upstream · mask · scale', () => {
    const p = 0.3;
    const mask = maskFor([4, 5], p, 7);
    const x = leaf([4, 5], 1);
    const y = dropout(x, p, { generator: new Generator(7) });
    assertClose(y, values(x).map((v, i) => v * mask[i]!), 1e-15, 'forward');
    const upstream = randn([4, 5], { dtype: 'float64', generator: new Generator(2) });
    y.backward(upstream);
    assertClose(x.grad!, values(upstream).map((g, i) => g * mask[i]!), 1e-15, 'backward');
    // Exactly the dropped elements get no gradient.
    values(x.grad!).forEach((g, i) => assert.equal(g === 0, mask[i] === 0, `element ${i}`));
  });
  test('the generator advances: consecutive calls draw different masks', () => {
    const generator = new Generator(3);
    const a = values(dropout(ones([50], { dtype: 'float64' }), 0.5, { generator }));
    const b = values(dropout(ones([50], { dtype: 'float64' }), 0.5, { generator }));
    assert.notDeepEqual(a, b);
  });
  test('without a generator the default one (manualSeed) is used', () => {
    manualSeed(11);
    const a = values(dropout(ones([30], { dtype: 'float64' }), 0.4));
    assert.deepEqual(a, maskFor([30], 0.4, 11));
  });
  test('the kept fraction is about 1 − p and the mean is preserved', () => {
    const mask = maskFor([20000], 0.25, 5);
    const kept = mask.filter((m) => m !== 0).length / mask.length;
    assert.ok(Math.abs(kept - 0.75) < 0.02, `kept fraction ${kept}`);
    const mean = mask.reduce((s, m) => s + m, 0) / mask.length;
    assert.ok(Math.abs(mean - 1) < 0.03, `mean ${mean}`);
  });
  test('gradient check with a freshly seeded generator per call', () => {
    checkGrad((x) => dropout(x!, 0.4, { generator: new Generator(3) }), [leaf([3, 4], 1)], [3, 4]);
    checkGrad((x) => dropout(x!, 0.5, { generator: new Generator(4) }), [leaf([1, 5, 1], 2)], [1, 5, 1]);
    checkGrad((x) => dropout(x!, 0.5, { generator: new Generator(5) }), [leaf([], 3)], []);
  });
  test('gradient check on size-0 and non-contiguous inputs', () => {
    checkGrad((x) => dropout(x!, 0.3, { generator: new Generator(6) }), [leaf([0, 3], 4)], [0, 3]);
    checkGrad((x) => dropout(x!.transpose(), 0.3, { generator: new Generator(7) }), [leaf([4, 3], 5)], [3, 4]);
    checkGrad((x) => dropout(x!.slice([null, [0, 5, 2]]), 0.3, { generator: new Generator(8) }), [leaf([2, 5], 6)], [2, 3]);
    checkGrad((x) => dropout(x!.expand([2, 3, 4]), 0.3, { generator: new Generator(9) }), [leaf([3, 1], 7)], [2, 3, 4]);
  });
  test('p = 0 and evaluation are the identity', () => {
    const x = leaf([2, 3], 1);
    assert.equal(dropout(x, 0), x);
    assert.equal(dropout(x, 0.5, { training: false }), x);
    assert.equal(dropout(x, 1, { training: false }), x);
  });
  test('p = 1 drops everything, with a zero gradient', () => {
    const x = leaf([2, 3], 1);
    const y = dropout(x, 1, { generator: new Generator(0) });
    assert.ok(values(y).every((v) => v === 0), `output ${values(y)}`);
    y.sum().backward();
    assert.ok(values(x.grad!).every((v) => v === 0), `gradient ${values(x.grad!)}`);
  });
  test('the dtype is kept', () => {
    assert.equal(dropout(ones([4]), 0.5, { generator: new Generator(1) }).dtype, 'float32');
    assert.equal(dropout(ones([4], { dtype: 'float64' }), 0.5, { generator: new Generator(1) }).dtype, 'float64');
  });
  test('p outside [0, 1] is an ArgumentError', () => {
    for (const p of [-0.1, 1.5, NaN, Infinity]) {
      assertThrows(() => dropout(fromArray([1, 2]), p), ArgumentError, 'dropout', 'p must be in [0, 1]', `${p}`);
    }
  });
});
