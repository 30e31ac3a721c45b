import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { ArgumentError, Generator, ShapeError, fromArray, mul, sum } from '../../../src/index.js';
import { Linear } from '../../../src/nn/index.js';
import { moments, values, f32Bound } from '../util.js';

/** Linear(3 → 2) with W = [[1, 2, 3], [4, 5, 6]] and b = [0.5, −1]. */
function fixed(): Linear {
  const layer = new Linear(3, 2);
  layer.loadStateDict({ weight: fromArray([[1, 2, 3], [4, 5, 6]]), bias: fromArray([0.5, -1]) });
  return layer;
}

describe('Linear', () => {
  test('computes x·Wᵀ + b over the last dimension', () => {
    const y = fixed().forward(fromArray([[1, 0, -1], [2, 1, 0]]));
    assert.deepEqual(y.shape, [2, 2]);
    // [1−3+0.5, 4−6−1], [2+2+0.5, 8+5−1]
    assert.deepEqual(values(y), [-1.5, -3, 4.5, 12]);
  });

  test('applies to every leading dimension: [2, 2, 3] → [2, 2, 2], and a single vector [3] → [2]', () => {
    const y = fixed().forward(fromArray([[[1, 0, -1], [2, 1, 0]], [[0, 0, 0], [1, 1, 1]]]));
    assert.deepEqual(y.shape, [2, 2, 2]);
    assert.deepEqual(values(y), [-1.5, -3, 4.5, 12, 0.5, -1, 6.5, 14]);
    const v = fixed().forward(fromArray([1, 0, -1]));
    assert.deepEqual(v.shape, [2]);
    assert.deepEqual(values(v), [-1.5, -3]);
  });

  test('gradients: dW = gᵀx, db = Σ g, dx = g·W', () => {
    const layer = fixed();
    const x = fromArray([[1, 0, -1], [2, 1, 0]], { requiresGrad: true });
    const g = fromArray([[1, 2], [-1, 3]]);
    sum(mul(layer.forward(x), g)).backward();
    assert.deepEqual(values(layer.weight.grad!), [1 - 2, 0 - 1, -1 - 0, 2 + 6, 0 + 3, -2 + 0]);
    assert.deepEqual(values(layer.bias!.grad!), [0, 5]);
    assert.deepEqual(values(x.grad!), [1 + 8, 2 + 10, 3 + 12, -1 + 12, -2 + 15, -3 + 18]);
  });

  test('bias: false gives a layer without bias (y = x·Wᵀ) and says so', () => {
    const layer = new Linear(3, 2, { bias: false });
    assert.equal(layer.bias, null);
    assert.deepEqual(layer.namedParameters().map(([n]) => n), ['weight']);
    layer.loadStateDict({ weight: fromArray([[1, 2, 3], [4, 5, 6]]) });
    assert.deepEqual(values(layer.forward(fromArray([[1, 0, -1]]))), [-2, -2]);
    assert.equal(layer.describe(), 'Linear(in=3, out=2, bias=false)');
    assert.equal(fixed().describe(), 'Linear(in=3, out=2)');
  });

  test('weight is [out, in] like PyTorch, initialized U(±1/√in) for weight and bias', () => {
    const layer = new Linear(400, 300, { generator: new Generator(3) });
    assert.deepEqual(layer.weight.shape, [300, 400]);
    assert.deepEqual(layer.bias!.shape, [300]);
    const bound = 1 / Math.sqrt(400);
    const w = moments(layer.weight.data);
    assert.ok(w.min >= -f32Bound(bound) && w.max <= f32Bound(bound) && w.max > 0.99 * bound && w.min < -0.99 * bound, `weight range [${w.min}, ${w.max}]`);
    assert.ok(Math.abs(w.std / (bound / Math.sqrt(3)) - 1) < 0.01, `weight std ${w.std}`);
    const b = moments(layer.bias!.data);
    assert.ok(b.min >= -f32Bound(bound) && b.max <= f32Bound(bound) && b.max > 0.9 * bound, `bias range [${b.min}, ${b.max}]`);
  });

  test('the same generator seed gives the same weights', () => {
    const a = new Linear(5, 4, { generator: new Generator(11) });
    const b = new Linear(5, 4, { generator: new Generator(11) });
    const c = new Linear(5, 4, { generator: new Generator(12) });
    assert.deepEqual(values(a.weight), values(b.weight));
    assert.deepEqual(values(a.bias!), values(b.bias!));
    assert.notDeepEqual(values(a.weight), values(c.weight));
  });

  test('an input whose last dimension is not inFeatures is a ShapeError naming both', () => {
    assert.throws(() => fixed().forward(fromArray([[1, 2]])), (error: unknown) => {
      assert.ok(error instanceof ShapeError);
      assert.match(error.message, /Linear\(3→2\): input \[1,2\] must end in 3 features/);
      return true;
    });
  });

  test('sizes must be positive integers', () => {
    assert.throws(() => new Linear(0, 2), (error: unknown) => error instanceof ArgumentError && /inFeatures must be a positive integer, got 0/.test(error.message));
    assert.throws(() => new Linear(2, 1.5), /outFeatures must be a positive integer, got 1.5/);
  });
});
