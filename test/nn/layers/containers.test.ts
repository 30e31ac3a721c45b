import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Generator, ShapeError, Tensor, add, fromArray, mul, noGrad, randn, relu, sum } from '../../../src/index.js';
import { Conv2d, Flatten, Linear, MaxPool2d, ReLU, Residual, Sequential } from '../../../src/nn/index.js';
import { assertClose, castModule, values } from '../util.js';

describe('Sequential', () => {
  test('runs its layers in order', () => {
    const first = new Linear(2, 2, { bias: false });
    first.loadStateDict({ weight: fromArray([[1, -1], [2, 0]]) });
    const second = new Linear(2, 1, { bias: false });
    second.loadStateDict({ weight: fromArray([[1, 1]]) });
    const model = new Sequential(first, new ReLU(), second);
    // [3, 5] → [−2, 6] → [0, 6] → 6; without the ReLU it would be 4.
    assert.deepEqual(values(model.forward(fromArray([[3, 5]]))), [6]);
    const reordered = new Sequential(first, second, new ReLU());
    assert.deepEqual(values(reordered.forward(fromArray([[3, 5]]))), [4]);
  });

  test('an empty Sequential is the identity; children are named by index', () => {
    const x = fromArray([1, 2, 3]);
    assert.deepEqual(values(new Sequential().forward(x)), [1, 2, 3]);
    const model = new Sequential(new ReLU(), new Linear(2, 2));
    assert.deepEqual(model.namedChildren().map(([n]) => n), ['0', '1']);
    assert.deepEqual(Object.keys(model.stateDict()), ['1.weight', '1.bias']);
    assert.equal(model.layers.length, 2);
  });
});

describe('Sequential: fused layers', () => {
  /** The names of the ops in the graph behind `t`, each once. */
  function opsBehind(t: Tensor): Set<string> {
    const names = new Set<string>();
    const seen = new Set<unknown>();
    const visit = (u: Tensor): void => {
      if (u.gradFn === null || seen.has(u.gradFn)) return;
      seen.add(u.gradFn);
      names.add(u.gradFn.name);
      u.gradFn.inputs.forEach(visit);
    };
    visit(t);
    return names;
  }

  function model(generator: Generator): Sequential {
    return new Sequential(
      new Conv2d(2, 3, 3, { padding: 1, generator }), new ReLU(), new MaxPool2d(2),
      new Conv2d(3, 4, 3, { generator }), new MaxPool2d(2, { stride: 1 }),
      new Conv2d(4, 4, 1, { generator }), new ReLU(),
      new Flatten(), new Linear(4, 6, { generator }), new ReLU(), new Linear(6, 2, { generator }),
    );
  }

  /** The same layers run one by one, as Sequential would without fusion. */
  function oneByOne(m: Sequential, x: Tensor): Tensor {
    return m.layers.reduce((out, layer) => layer.forward(out), x);
  }

  for (const dtype of ['float64', 'float32'] as const) {
    test(`Conv2d, ReLU, MaxPool2d and Linear, ReLU give the values and gradients of the layers one by one (${dtype})`, () => {
      const m = model(new Generator(1));
      if (dtype === 'float64') castModule(m, 'float64');
      const x = randn([3, 2, 8, 8], { dtype, generator: new Generator(2) });
      const tol = dtype === 'float64' ? 1e-12 : 1e-5;
      const fused = m.forward(x);
      assert.ok(!opsBehind(fused).has('relu'), 'the ReLUs run inside conv2d and linear');
      sum(mul(fused, fused)).backward();
      const grads = m.parameters().map((p) => values(p.grad!));
      m.zeroGrad();
      const plain = oneByOne(m, x);
      assert.ok(opsBehind(plain).has('relu'));
      assertClose(fused, plain, tol, 'output');
      sum(mul(plain, plain)).backward();
      m.parameters().forEach((p, i) => assertClose(grads[i]!, p.grad!, tol, `gradient ${i}`));
      assertClose(noGrad(() => m.forward(x)), plain, tol, 'output without gradients (pooled in the convolution)');
    });
  }

  test('a layer whose forward is patched or overridden is not fused, so it sees its call', () => {
    const m = model(new Generator(3));
    const x = randn([2, 2, 8, 8], { generator: new Generator(4) });
    const want = values(noGrad(() => m.forward(x)));
    const hooked = m.layers[1] as ReLU;
    let calls = 0;
    hooked.forward = (input: Tensor): Tensor => {
      calls++;
      return ReLU.prototype.forward.call(hooked, input);
    };
    assertClose(noGrad(() => m.forward(x)), want, 1e-6);
    assert.equal(calls, 1);
    class Doubling extends Linear {
      override forward(input: Tensor): Tensor {
        return mul(super.forward(input), 2);
      }
    }
    const doubling = new Doubling(4, 3, { generator: new Generator(5) });
    const inputs = randn([5, 4], { generator: new Generator(6) });
    assertClose(new Sequential(doubling, new ReLU()).forward(inputs), relu(mul(doubling.forwardFused(inputs, 'none'), 2)), 1e-6);
  });
});

describe('Residual', () => {
  test('without a shortcut adds the identity: out = body(x) + x, and x gets both gradients', () => {
    const body = new Linear(3, 3, { generator: new Generator(1) });
    const block = new Residual(body);
    assert.equal(block.shortcut, null);
    const x = randn([2, 3], { generator: new Generator(2), requiresGrad: true });
    const y = block.forward(x);
    assertClose(y, values(add(body.forward(x.detach()), x.detach())), 1e-6);
    sum(y).backward();
    // d/dx Σ(x·Wᵀ + b + x) = Σ_rows W + 1 for every row of x.
    const w = values(body.weight);
    const colSums = [0, 1, 2].map((j) => w[j]! + w[3 + j]! + w[6 + j]!);
    assertClose(x.grad!, [...colSums, ...colSums].map((v) => v + 1), 1e-6, 'input gradient');
  });

  test('with a shortcut: out = body(x) + shortcut(x)', () => {
    const generator = new Generator(3);
    const body = new Sequential(new Conv2d(2, 4, 3, { stride: 2, padding: 1, generator }), new ReLU());
    const shortcut = new Conv2d(2, 4, 1, { stride: 2, generator });
    const block = new Residual(body, shortcut);
    const x = randn([1, 2, 6, 6], { generator });
    const y = block.forward(x);
    assert.deepEqual(y.shape, [1, 4, 3, 3]);
    assert.deepEqual(values(y), values(add(body.forward(x), shortcut.forward(x))));
    assert.deepEqual(block.namedChildren().map(([n]) => n), ['body', 'shortcut']);
    assert.deepEqual(block.namedParameters().map(([n]) => n), ['body.0.weight', 'body.0.bias', 'shortcut.weight', 'shortcut.bias']);
  });

  test('a body that changes the shape without a matching shortcut is a ShapeError naming both shapes', () => {
    const block = new Residual(new Linear(3, 4));
    assert.throws(() => block.forward(randn([2, 3])), (error: unknown) => {
      assert.ok(error instanceof ShapeError);
      assert.match(error.message, /body's output \[2,4\] differs from the shortcut's \[2,3\]/);
      assert.match(error.message, /give the block a shortcut/);
      return true;
    });
    // A broadcastable mismatch ([2, 1] + [2, 3]) is refused too, not silently broadcast.
    assert.throws(() => new Residual(new Linear(3, 1)).forward(randn([2, 3])), ShapeError);
  });

  test('composes: gradient of a two-block stack matches the same computation written with ops', () => {
    const generator = new Generator(4);
    const a = new Linear(3, 3, { generator });
    const b = new Linear(3, 3, { generator });
    const model = new Sequential(new Residual(new Sequential(a, new ReLU())), new Residual(b));
    const x = randn([4, 3], { generator, dtype: 'float32', requiresGrad: true });
    const x2 = x.detach().setRequiresGrad();
    sum(mul(model.forward(x), 2)).backward();
    const h = add(relu(a.forward(x2)), x2);
    sum(mul(add(b.forward(h), h), 2)).backward();
    assertClose(x.grad!, values(x2.grad!), 1e-6);
  });
});
