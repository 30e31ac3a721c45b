import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { noGrad } from '../../src/autograd/grad-mode.js';
import { pruneChannels } from '../../src/compress/prune/structured.js';
import { ArgumentError } from '../../src/errors.js';
import { buildModel, type ModelSpec, type SpecModel } from '../../src/nn/spec.js';
import { randn } from '../../src/tensor/creation.js';
import { Generator } from '../../src/tensor/random.js';
import type { Tensor } from '../../src/tensor/tensor.js';

const SPEC: ModelSpec = {
  input: [3, 10, 10],
  layers: [
    { type: 'conv2d', out: 8, kernel: 3, padding: 1 },
    { type: 'batchNorm2d' },
    { type: 'relu' },
    { type: 'maxPool2d', kernel: 2 },
    { type: 'conv2d', out: 6, kernel: 3 },
    { type: 'relu' },
    { type: 'flatten' },
    { type: 'linear', out: 10 },
    { type: 'relu' },
    { type: 'dropout', p: 0.2 },
    { type: 'linear', out: 4 },
  ],
};

function forward(model: SpecModel, x: Tensor, upTo = model.layers.length): Float32Array {
  model.eval();
  return noGrad(() => model.layers.slice(0, upTo).reduce((h, layer) => layer.forward(h), x)).contiguousData() as Float32Array;
}

/** Zeroes output channels of layer `index` (weight rows and bias), so their norm is the lowest. */
function silence(model: SpecModel, index: number, channels: number[]): void {
  const [weight, bias] = [model.stateDict()[`${index}.weight`]!, model.stateDict()[`${index}.bias`]!];
  const per = weight.size / weight.shape[0]!;
  for (const c of channels) {
    weight.data.fill(0, c * per, (c + 1) * per);
    bias.data[c] = 0;
  }
}

describe('structured channel pruning', () => {
  test('conv → bn → relu → pool → conv → flatten → linear: a smaller dense model with matching shapes', () => {
    const model = buildModel(SPEC, { seed: 1 });
    const { model: smaller, pruned, skipped } = pruneChannels(model, { sparsity: 0.5 });
    assert.deepEqual(pruned.map(({ index, before, after }) => [index, before, after]), [[0, 8, 4], [4, 6, 3], [7, 10, 5]]);
    assert.deepEqual(skipped, [{ index: 10, reason: 'it produces the model output' }]);
    assert.deepEqual(smaller.spec.layers.map((l) => ('out' in l ? l.out : null)).filter((o) => o !== null), [4, 3, 5, 4]);
    const state = smaller.stateDict();
    assert.deepEqual(state['1.runningMean']!.shape, [4]);
    assert.deepEqual(state['4.weight']!.shape, [3, 4, 3, 3]);
    assert.deepEqual(state['7.weight']!.shape, [5, 3 * 3 * 3]);
    assert.ok(smaller.parameterCount() < model.parameterCount() / 2.5);
    assert.deepEqual(model.spec.layers, SPEC.layers, 'the original is unchanged');
  });

  test('a kept channel computes exactly what it computed before pruning', () => {
    const model = buildModel(SPEC, { seed: 2 });
    const { model: smaller, pruned } = pruneChannels(model, { sparsity: 0.5, norm: 'l2' });
    const x = randn([2, 3, 10, 10], { generator: new Generator(3) });
    // After the first conv + batch norm: channels `kept` of the original, bit for bit.
    const original = forward(model, x, 2);
    const small = forward(smaller, x, 2);
    const kept = pruned[0]!.kept;
    for (let n = 0; n < 2; n++) {
      kept.forEach((c, k) => {
        const a = original.subarray((n * 8 + c) * 100, (n * 8 + c + 1) * 100);
        const b = small.subarray((n * 4 + k) * 100, (n * 4 + k + 1) * 100);
        assert.deepEqual(b, a);
      });
    }
  });

  test('removing channels that carry nothing leaves the model output unchanged; the weakest go first', () => {
    const model = buildModel(SPEC, { seed: 4 });
    silence(model, 0, [1, 3, 4, 6]);
    silence(model, 4, [0, 2, 5]);
    silence(model, 7, [0, 1, 2, 3, 9]);
    const { model: smaller, pruned } = pruneChannels(model, { sparsity: 0.5 });
    assert.deepEqual(pruned.map((p) => p.kept), [[0, 2, 5, 7], [1, 3, 4], [4, 5, 6, 7, 8]]);
    const x = randn([3, 3, 10, 10], { generator: new Generator(5) });
    const before = forward(model, x);
    const after = forward(smaller, x);
    before.forEach((v, i) => assert.ok(Math.abs(v - after[i]!) < 1e-5, `output ${i}: ${v} vs ${after[i]}`));
  });

  test('kept removes exactly the channels not named, and leaves the layers not named whole', () => {
    const model = buildModel(SPEC, { seed: 8 });
    const { model: smaller, pruned, skipped } = pruneChannels(model, { kept: { 4: [0, 5], 0: [1, 2, 7] } });
    assert.deepEqual(pruned.map(({ index, before, after, kept }) => [index, before, after, kept]), [[0, 8, 3, [1, 2, 7]], [4, 6, 2, [0, 5]]]);
    assert.deepEqual(skipped, [{ index: 10, reason: 'it produces the model output' }]);
    assert.deepEqual(smaller.stateDict()['4.weight']!.shape, [2, 3, 3, 3]);
    assert.deepEqual(smaller.stateDict()['7.weight']!.shape, [10, 2 * 3 * 3]);
    assert.deepEqual(Array.from(smaller.stateDict()['4.bias']!.data), [0, 5].map((c) => model.stateDict()['4.bias']!.data[c]));
    assert.throws(() => pruneChannels(model, { kept: { 0: [2, 1] } }), /kept\[0\] must list ascending, distinct channel indices in \[0, 8\), at least one; got \[2, 1\]/);
    assert.throws(() => pruneChannels(model, { kept: { 4: [] } }), /kept\[4\] must list/);
    assert.throws(() => pruneChannels(model, { kept: { 0: [8] } }), /kept\[0\] must list/);
    assert.throws(() => pruneChannels(model, { kept: { 10: [0] } }), /layers\[10\] \(linear\) cannot be pruned: it produces the model output/);
    assert.throws(() => pruneChannels(model, { kept: { 2: [0] } }), /layers\[2\] is relu, not a conv2d or linear layer/);
    assert.throws(() => pruneChannels(model, { kept: { 0: [0] }, sparsity: 0.5 }), /give it without sparsity, norm or layers/);
    assert.throws(() => pruneChannels(model, {}), /give sparsity \(the share of channels to remove\) or kept \(the channels to keep\)/);
  });

  test('a global average pool before the linear maps one channel to one feature', () => {
    const spec: ModelSpec = { input: [2, 6, 6], layers: [{ type: 'conv2d', out: 6, kernel: 3 }, { type: 'relu' }, { type: 'globalAvgPool2d' }, { type: 'flatten' }, { type: 'linear', out: 3 }] };
    const { model: smaller } = pruneChannels(buildModel(spec, { seed: 6 }), { sparsity: 1 / 3 });
    assert.deepEqual(smaller.stateDict()['4.weight']!.shape, [3, 4]);
  });

  test('layers that cannot be followed are skipped, or refused when asked for by index', () => {
    const spec: ModelSpec = { input: [8], layers: [{ type: 'linear', out: 6 }, { type: 'layerNorm' }, { type: 'linear', out: 2 }] };
    const model = buildModel(spec, { seed: 7 });
    const { pruned, skipped } = pruneChannels(model, { sparsity: 0.5 });
    assert.deepEqual(pruned, []);
    assert.match(skipped[0]!.reason, /layers\[1\] \(layerNorm\) between it and the next conv2d or linear/);
    assert.throws(() => pruneChannels(model, { sparsity: 0.5, layers: [0] }), /layers\[0\] \(linear\) cannot be pruned/);
    assert.throws(() => pruneChannels(model, { sparsity: 0.5, layers: [1] }), ArgumentError);
    assert.throws(() => pruneChannels(model, { sparsity: 1.5 }), ArgumentError);
  });
});
