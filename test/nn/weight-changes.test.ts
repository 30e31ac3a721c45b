/**
 * Layers compute from their weights as they are at the call: whatever changes a weight between two
 * inference calls — an optimizer step, loadStateDict, an init function, a pruning mask or a direct write
 * into its storage — the next call sees it. Checked for every row count the kernels treat differently and
 * on both backends, against the same layer computed from scratch with plain ops.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Adam,
  Generator,
  SGD,
  Tensor,
  add,
  conv2d,
  matmul,
  noGrad,
  randn,
  relu,
  setBackend,
  softmaxCrossEntropy,
  transpose,
  getBackend,
  fromArray,
} from '../../src/index.js';
import { setMask } from '../../src/compress/index.js';
import { Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential, init } from '../../src/nn/index.js';
import { maxPool2d } from '../../src/ops/pool.js';
import { assertClose } from './util.js';

/** What the model computes, from scratch with plain ops on its current parameters. */
function reference(conv: Conv2d, fc: Linear, x: Tensor): Tensor {
  const features = maxPool2d(relu(conv2d(x, conv.weight, conv.bias)), 2);
  const flat = features.reshape([x.shape[0]!, -1]);
  return relu(add(matmul(flat, transpose(fc.weight)), fc.bias!));
}

function changed(before: Float32Array, after: Float32Array): boolean {
  return before.some((v, i) => v !== after[i]);
}

for (const backend of ['native', 'js']) {
  describe(`weights changed between inference calls are used at once (${backend} backend)`, () => {
    // 1 and 3 rows take the native few-row GEMM path, 8 the packed one.
    for (const batch of [1, 3, 8]) {
      test(`batch ${batch}`, () => {
        const previous = getBackend().name;
        setBackend(backend);
        try {
          const generator = new Generator(batch);
          const conv = new Conv2d(2, 4, 3, { generator });
          const fc = new Linear(4 * 3 * 3, 5, { generator });
          const model = new Sequential(conv, new ReLU(), new MaxPool2d(2), new Flatten(), fc, new ReLU());
          model.eval();
          const x = randn([batch, 2, 8, 8], { generator });
          let last = noGrad(() => model.forward(x)).toTypedArray() as Float32Array;
          const check = (what: string): void => {
            const now = noGrad(() => model.forward(x)).toTypedArray() as Float32Array;
            assert.ok(changed(last, now), `${what}: the output did not change`);
            assertClose(now, noGrad(() => reference(conv, fc, x)), 1e-5, what);
            last = now;
          };

          // An optimizer step (the weights are updated in place, between inference calls).
          for (const optimizer of [new SGD(model.parameters(), { lr: 0.5 }), new Adam(model.parameters(), { lr: 0.05 })]) {
            model.train();
            optimizer.zeroGrad();
            softmaxCrossEntropy(model.forward(x), fromArray(Array.from({ length: batch }, (_, i) => i % 5), { dtype: 'int32' })).backward();
            optimizer.step();
            model.eval();
            check(`after a ${optimizer.name} step`);
          }

          // loadStateDict copies into the same storage.
          const state = Object.fromEntries(Object.entries(model.stateDict()).map(([k, v]) => [k, randn(v.shape, { generator })]));
          model.loadStateDict(state);
          check('after loadStateDict');

          // In-place init functions, a pruning mask and a direct write into the storage.
          init.normal_(fc.weight, 0, 0.3, { generator });
          init.uniform_(conv.weight, -0.5, 0.5, { generator });
          check('after init.normal_ and init.uniform_');
          setMask(fc.weight, Float32Array.from({ length: fc.weight.size }, (_, i) => (i % 3 === 0 ? 0 : 1)));
          check('after a pruning mask');
          fc.weight.data[7] = (fc.weight.data[7] as number) + 10;
          conv.weight.data[1] = (conv.weight.data[1] as number) - 3;
          fc.bias!.data[0] = (fc.bias!.data[0] as number) + 2;
          check('after writing into the storage');
        } finally {
          setBackend(previous);
        }
      });
    }
  });
}
