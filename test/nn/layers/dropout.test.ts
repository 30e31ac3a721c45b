import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { ArgumentError, Generator, mul, randn, sum } from '../../../src/index.js';
import { Dropout } from '../../../src/nn/index.js';
import { values } from '../util.js';

describe('Dropout', () => {
  test('is the identity in evaluation mode', () => {
    const x = randn([50, 40], { generator: new Generator(1) });
    const layer = new Dropout(0.5).eval();
    assert.deepEqual(values(layer.forward(x)), values(x));
  });

  test('in training zeroes about p of the elements and scales the survivors by 1/(1 − p)', () => {
    const x = randn([200, 100], { generator: new Generator(1), dtype: 'float64' });
    for (const p of [0.1, 0.3, 0.75]) {
      const y = values(new Dropout(p, { generator: new Generator(2) }).forward(x));
      const input = values(x);
      let zeros = 0;
      y.forEach((v, i) => {
        if (v === 0) zeros++;
        else assert.ok(Math.abs(v - input[i]! / (1 - p)) <= 1e-12 * Math.abs(v), `element ${i}: ${v} should be ${input[i]! / (1 - p)}`);
      });
      const share = zeros / y.length;
      // Five standard errors of a binomial share over 20,000 elements.
      assert.ok(Math.abs(share - p) < 5 * Math.sqrt((p * (1 - p)) / y.length), `p=${p}: ${share} of the elements dropped`);
    }
  });

  test('the gradient is the mask: 0 where dropped, 1/(1 − p) where kept', () => {
    const x = randn([1000], { generator: new Generator(3), requiresGrad: true });
    const y = new Dropout(0.4, { generator: new Generator(4) }).forward(x);
    sum(mul(y, 1)).backward();
    const out = values(y);
    values(x.grad!).forEach((g, i) => assert.ok(out[i] === 0 ? g === 0 : Math.abs(g - 1 / 0.6) < 1e-6, `grad ${i}: ${g}`));
  });

  test('a seeded generator reproduces the mask; successive calls draw new masks', () => {
    const x = randn([500], { generator: new Generator(5) });
    const a = new Dropout(0.5, { generator: new Generator(9) });
    const b = new Dropout(0.5, { generator: new Generator(9) });
    const first = values(a.forward(x));
    assert.deepEqual(values(b.forward(x)), first);
    assert.notDeepEqual(values(a.forward(x)), first);
  });

  test('p = 0 keeps everything; p outside [0, 1) is an ArgumentError', () => {
    const x = randn([100], { generator: new Generator(6) });
    assert.deepEqual(values(new Dropout(0).forward(x)), values(x));
    for (const p of [1, -0.1, 1.5, Number.NaN]) {
      assert.throws(() => new Dropout(p), (error: unknown) => error instanceof ArgumentError && /p must be in \[0, 1\)/.test(error.message));
    }
    assert.equal(new Dropout(0.25).describe(), 'Dropout(p=0.25)');
    assert.equal(new Dropout().p, 0.5);
  });
});
