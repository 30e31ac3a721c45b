import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AutogradError, Tensor, backward, fromArray, ones, scalar, zeros } from '../../src/index.js';

const grad = (t: Tensor): number[] => {
  assert.ok(t.grad !== null, 'expected a gradient');
  return Array.from(t.grad.toTypedArray());
};

describe('backward: basics', () => {
  test('leaf backward on a scalar leaf sets grad 1', () => {
    const x = scalar(3).setRequiresGrad();
    x.backward();
    assert.deepEqual(grad(x), [1]);
    assert.deepEqual(x.grad!.shape, []);
    assert.equal(x.grad!.dtype, 'float32');
  });

  test('grad of a simple expression', () => {
    const x = fromArray([1, 2, 3]).setRequiresGrad();
    x.mul(3).add(1).sum().backward();
    assert.deepEqual(grad(x), [3, 3, 3]);
    assert.deepEqual(x.grad!.shape, [3]);
  });

  test('the backward function and the method are the same', () => {
    const x = fromArray([1, 2]).setRequiresGrad();
    backward(x.mul(x).sum());
    assert.deepEqual(grad(x), [2, 4]);
  });

  test('one tensor used twice: x*x gives 2x', () => {
    const x = fromArray([1, -2, 3]).setRequiresGrad();
    x.mul(x).sum().backward();
    assert.deepEqual(grad(x), [2, -4, 6]);
  });

  test('gradients accumulate across two backward calls', () => {
    const x = fromArray([1, 2]).setRequiresGrad();
    x.mul(2).sum().backward();
    x.mul(5).sum().backward();
    assert.deepEqual(grad(x), [7, 7]);
  });

  test('accumulation does not write into an earlier grad tensor', () => {
    const x = fromArray([1, 2]).setRequiresGrad();
    x.sum().backward();
    const first = x.grad!;
    x.sum().backward();
    assert.deepEqual(Array.from(first.toTypedArray()), [1, 1]);
    assert.deepEqual(grad(x), [2, 2]);
  });

  test('a diamond graph y = a*b + a*c', () => {
    const a = fromArray([2, 3]).setRequiresGrad();
    const b = fromArray([5, 7]).setRequiresGrad();
    const c = fromArray([11, 13]).setRequiresGrad();
    a.mul(b).add(a.mul(c)).sum().backward();
    assert.deepEqual(grad(a), [16, 20]);
    assert.deepEqual(grad(b), [2, 3]);
    assert.deepEqual(grad(c), [2, 3]);
  });

  test('a shared intermediate reached by two paths of different length', () => {
    const x = scalar(3).setRequiresGrad();
    const h = x.mul(x); // 9, dh/dx = 6
    const y = h.add(h.mul(h).mul(2)); // h + 2h², dy/dh = 1 + 4h = 37
    y.backward();
    assert.deepEqual(grad(x), [6 * 37]);
  });

  test('inputs that do not require grad get none', () => {
    const x = fromArray([1, 2]).setRequiresGrad();
    const c = fromArray([3, 4]);
    x.mul(c).sum().backward();
    assert.deepEqual(grad(x), [3, 4]);
    assert.equal(c.grad, null);
  });

  test('non-leaf tensors do not keep grad unless retained', () => {
    const x = fromArray([1, 2]).setRequiresGrad();
    const h = x.mul(2);
    const kept = x.mul(3).retainGrad();
    h.add(kept).mul(h).sum().backward();
    assert.equal(h.grad, null);
    // d/dkept of sum(h·(h + kept)) = h = [2, 4]
    assert.deepEqual(grad(kept), [2, 4]);
    // d/dx = 2·(2h + kept) + 3·h = 2·[7,14] + 3·[2,4] = [20, 40]
    assert.deepEqual(grad(x), [20, 40]);
  });

  test('retainGrad on the root keeps the seed gradient', () => {
    const x = fromArray([1, 2]).setRequiresGrad();
    const loss = x.mul(x).sum().retainGrad();
    loss.backward();
    assert.deepEqual(grad(loss), [1]);
  });

  test('a deep chain of 20,000 adds does not overflow the stack', () => {
    const x = scalar(0).setRequiresGrad();
    let y = x;
    for (let i = 0; i < 20_000; i++) y = y.add(1);
    y.backward();
    assert.deepEqual(grad(x), [1]);
    assert.equal(y.item(), 20_000);
  });

  test('detach stops the gradient flow', () => {
    const x = fromArray([1, 2]).setRequiresGrad();
    const y = x.mul(x);
    y.detach().mul(x).sum().backward();
    // Only the direct use of x counts: d/dx (stop(x²)·x) = x² = [1, 4].
    assert.deepEqual(grad(x), [1, 4]);
  });
});

describe('backward: explicit gradients', () => {
  test('a non-scalar without a gradient is an AutogradError', () => {
    const y = fromArray([1, 2]).setRequiresGrad().mul(2);
    assert.throws(() => y.backward(), (e: unknown) => e instanceof AutogradError && /\[2\]/.test(e.message) && /gradient/.test(e.message));
  });

  test('a single-element non-scalar needs no gradient', () => {
    const x = fromArray([[4]]).setRequiresGrad();
    x.mul(x).backward();
    assert.deepEqual(grad(x), [8]);
  });

  test('a non-scalar with an explicit gradient', () => {
    const x = fromArray([1, 2, 3]).setRequiresGrad();
    x.mul(x).backward(fromArray([1, 10, 100]));
    assert.deepEqual(grad(x), [2, 40, 600]);
  });

  test('an explicit gradient for a leaf root', () => {
    const x = fromArray([1, 2]).setRequiresGrad();
    x.backward(fromArray([5, 6]));
    assert.deepEqual(grad(x), [5, 6]);
  });

  test('a gradient of the wrong shape is an AutogradError naming both shapes', () => {
    const y = fromArray([1, 2, 3]).setRequiresGrad().mul(2);
    assert.throws(
      () => y.backward(ones([2])),
      (e: unknown) => e instanceof AutogradError && e.message.includes('[2]') && e.message.includes('[3]'),
    );
    assert.throws(() => y.backward(ones([3, 1])), AutogradError);
  });

  test('a gradient of another dtype is converted to the tensor dtype', () => {
    const x = fromArray([1, 2]).setRequiresGrad();
    x.exp().backward(ones([2], { dtype: 'float64' }));
    assert.equal(x.grad!.dtype, 'float32');
    assert.ok(Math.abs(grad(x)[1]! - Math.exp(2)) < 1e-4);

    const leaf = fromArray([1, 2], { dtype: 'float64' }).setRequiresGrad();
    leaf.backward(fromArray([3, 4]));
    assert.equal(leaf.grad!.dtype, 'float64');
    assert.deepEqual(grad(leaf), [3, 4]);
  });

  test('backward on a tensor that does not require grad is an AutogradError', () => {
    assert.throws(() => zeros([1]).backward(), (e: unknown) => e instanceof AutogradError && /does not require gradients/.test(e.message));
  });
});

describe('backward: graph release', () => {
  test('a second backward through a released graph is an AutogradError mentioning retainGraph', () => {
    const x = fromArray([1, 2]).setRequiresGrad();
    const y = x.mul(x).sum();
    y.backward();
    assert.throws(() => y.backward(), (e: unknown) => e instanceof AutogradError && /retainGraph/.test(e.message));
    assert.deepEqual(grad(x), [2, 4], 'the failed call added nothing');
  });

  test('a new graph through a released intermediate also fails', () => {
    const x = fromArray([1, 2]).setRequiresGrad();
    const h = x.mul(2);
    h.sum().backward();
    assert.throws(() => h.mul(3).sum().backward(), AutogradError);
  });

  test('with retainGraph a second backward works and doubles the grads', () => {
    const x = fromArray([1, 2]).setRequiresGrad();
    const w = fromArray([3, 4]).setRequiresGrad();
    const y = x.mul(w).mul(x).sum();
    y.backward(undefined, { retainGraph: true });
    const once = [grad(x), grad(w)];
    y.backward();
    assert.deepEqual(grad(x), once[0]!.map((v) => 2 * v));
    assert.deepEqual(grad(w), once[1]!.map((v) => 2 * v));
    assert.deepEqual(once, [[6, 16], [1, 4]]);
    // The second call did not retain: a third fails.
    assert.throws(() => y.backward(), AutogradError);
  });
});

test('leaf gradients own their storage: never shared between leaves or with the caller', () => {
  const a = fromArray([1, 2, 3], { requiresGrad: true });
  const b = fromArray([4, 5, 6], { requiresGrad: true });
  const g = fromArray([1, 1, 1]);
  a.add(b).backward(g);
  assert.notEqual(a.grad!.data.buffer, b.grad!.data.buffer);
  assert.notEqual(a.grad!.data.buffer, g.data.buffer);
  a.grad!.data[0] = 99;
  assert.deepEqual(b.grad!.toArray(), [1, 1, 1]);
  assert.deepEqual(g.toArray(), [1, 1, 1]);
});
