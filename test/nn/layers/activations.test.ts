import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  Generator, Tensor, elu, fromArray, gelu, leakyRelu, logSoftmax, mul, randn, relu, sigmoid, softmax, softplus, sum, tanh,
} from '../../../src/index.js';
import { ELU, GELU, LeakyReLU, LogSoftmax, Module, ReLU, Sigmoid, Softmax, Softplus, Tanh } from '../../../src/nn/index.js';
import { values } from '../util.js';

const cases: [string, Module, (x: Tensor) => Tensor][] = [
  ['ReLU', new ReLU(), relu],
  ['LeakyReLU default', new LeakyReLU(), (x) => leakyRelu(x, 0.01)],
  ['LeakyReLU(0.2)', new LeakyReLU(0.2), (x) => leakyRelu(x, 0.2)],
  ['ELU default', new ELU(), (x) => elu(x, 1)],
  ['ELU(0.5)', new ELU(0.5), (x) => elu(x, 0.5)],
  ['GELU', new GELU(), gelu],
  ['Sigmoid', new Sigmoid(), sigmoid],
  ['Tanh', new Tanh(), tanh],
  ['Softplus', new Softplus(), softplus],
  ['Softmax default (last axis)', new Softmax(), (x) => softmax(x, -1)],
  ['Softmax(axis 1)', new Softmax(1), (x) => softmax(x, 1)],
  ['LogSoftmax default', new LogSoftmax(), (x) => logSoftmax(x, -1)],
  ['LogSoftmax(axis 0)', new LogSoftmax(0), (x) => logSoftmax(x, 0)],
];

describe('activation modules', () => {
  for (const [name, module, op] of cases) {
    test(`${name} equals its op, forward and backward`, () => {
      const x = randn([3, 4, 5], { generator: new Generator(1), dtype: 'float64', requiresGrad: true });
      const x2 = x.detach().setRequiresGrad();
      const y = module.forward(x);
      const want = op(x2);
      assert.deepEqual(y.shape, [3, 4, 5]);
      assert.deepEqual(values(y), values(want));
      const g = randn([3, 4, 5], { generator: new Generator(2), dtype: 'float64' });
      sum(mul(y, g)).backward();
      sum(mul(want, g)).backward();
      assert.deepEqual(values(x.grad!), values(x2.grad!));
      assert.equal(module.parameterCount(), 0);
    });
  }

  test('hand values: ReLU, LeakyReLU(0.1), ELU(2), Softmax over the last axis', () => {
    const x = fromArray([[-2, 0, 3]], { dtype: 'float64' });
    assert.deepEqual(values(new ReLU().forward(x)), [0, 0, 3]);
    assert.deepEqual(values(new LeakyReLU(0.1).forward(x)), [-0.2, 0, 3]);
    assert.deepEqual(values(new ELU(2).forward(x)), [2 * Math.expm1(-2), 0, 3]);
    const z = Math.exp(-2) + 1 + Math.exp(3);
    const s = values(new Softmax().forward(x));
    [Math.exp(-2) / z, 1 / z, Math.exp(3) / z].forEach((want, i) => assert.ok(Math.abs(s[i]! - want) < 1e-15));
  });

  test('settings show in describe', () => {
    assert.equal(new ReLU().describe(), 'ReLU');
    assert.equal(new LeakyReLU(0.2).describe(), 'LeakyReLU(negativeSlope=0.2)');
    assert.equal(new ELU(0.5).describe(), 'ELU(alpha=0.5)');
    assert.equal(new Softmax(1).describe(), 'Softmax(axis=1)');
    assert.equal(new LogSoftmax().describe(), 'LogSoftmax(axis=-1)');
  });
});
