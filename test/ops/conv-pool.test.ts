import { test } from 'node:test';
import assert from 'node:assert/strict';
import { conv2d, maxPool2d, noGrad, toType, type Conv2dOptions, type Pool2dOptions, type Size2d } from '../../src/index.js';
import { conv2dMaxPool } from '../../src/ops/conv-pool.js';
import { leaf } from '../helpers/gradcheck.js';
import { assertClose, checkGrad, values } from './util.js';

interface Case {
  name: string;
  x: number[];
  w: number[];
  conv: Conv2dOptions;
  kernel: Size2d;
  pool: Pool2dOptions;
}

const CASES: Case[] = [
  { name: 'reference CNN second layer', x: [3, 6, 13, 13], w: [8, 6, 3, 3], conv: {}, kernel: 2, pool: {} },
  { name: 'padded, odd output, strided pool', x: [5, 2, 9, 7], w: [3, 2, 3, 3], conv: { padding: 1 }, kernel: 3, pool: { stride: 2, padding: 1 } },
  { name: 'groups and stride', x: [2, 4, 10, 11], w: [6, 2, 3, 3], conv: { groups: 2, stride: [1, 2] }, kernel: [2, 1], pool: {} },
];

for (const c of CASES) {
  for (const activation of ['none', 'relu'] as const) {
    test(`conv2dMaxPool is maxPool2d of the activated conv2d without gradients: ${c.name}, ${activation}`, () => {
      for (const dtype of ['float32', 'float64'] as const) {
        const x = toType(leaf(c.x, 1).detach(), dtype);
        const w = toType(leaf(c.w, 2).detach(), dtype);
        const b = toType(leaf([c.w[0]!], 3).detach(), dtype);
        const want = values(maxPool2d(conv2d(x, w, b, c.conv, activation), c.kernel, c.pool));
        const got = noGrad(() => conv2dMaxPool(x, w, b, c.conv, activation, c.kernel, c.pool));
        assert.equal(got.dtype, dtype);
        assert.equal(got.requiresGrad, false);
        assertClose(got, want, dtype === 'float32' ? 1e-5 : 1e-12);
      }
    });
  }

  test(`conv2dMaxPool records conv2d and maxPool2d when gradients are wanted: ${c.name}`, () => {
    const small = c.x.map((d, i) => (i === 0 ? Math.min(d, 2) : d));
    checkGrad((x, w, b) => conv2dMaxPool(x!, w!, b!, c.conv, 'relu', c.kernel, c.pool), [leaf(small, 4), leaf(c.w, 5), leaf([c.w[0]!], 6)]);
    const x = leaf(small, 7);
    const y = conv2dMaxPool(x, leaf(c.w, 8).detach(), null, c.conv, 'none', c.kernel, c.pool);
    assert.equal(y.gradFn?.name, 'maxPool2d');
  });
}
