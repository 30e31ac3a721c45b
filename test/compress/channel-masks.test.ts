import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { noGrad } from '../../src/autograd/grad-mode.js';
import { keptChannels, maskChannels, removeMaskedChannels } from '../../src/compress/prune/channel-masks.js';
import { maskOf } from '../../src/compress/prune/masks.js';
import { PruningCallback } from '../../src/compress/prune/pruning-callback.js';
import { iterative, oneShot, polynomialDecay } from '../../src/compress/prune/schedules.js';
import { TensorDataset } from '../../src/data/tensor-dataset.js';
import { ArgumentError } from '../../src/errors.js';
import { decodeModelFile, encodeModelFile } from '../../src/io/model-file.js';
import { Sequential } from '../../src/nn/layers/containers.js';
import { Linear } from '../../src/nn/layers/linear.js';
import type { Parameter } from '../../src/nn/parameter.js';
import { buildModel, type ModelSpec, type SpecModel } from '../../src/nn/spec.js';
import { Adam } from '../../src/optim/adam.js';
import { randint, randn } from '../../src/tensor/creation.js';
import { Generator } from '../../src/tensor/random.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import type { Callback, TrainingContext } from '../../src/train/callbacks/callback.js';
import { fit } from '../../src/train/fit.js';

// Sigmoid (f(0) ≠ 0) and a batch norm after flatten (one channel = 2×2 features) test that a masked
// channel passes nothing on, whatever lies between it and its consumer.
const SPEC: ModelSpec = {
  input: [3, 8, 8],
  layers: [
    { type: 'conv2d', out: 8, kernel: 3, padding: 1 },
    { type: 'batchNorm2d' },
    { type: 'sigmoid' },
    { type: 'maxPool2d', kernel: 2 },
    { type: 'conv2d', out: 6, kernel: 3, padding: 1 },
    { type: 'relu' },
    { type: 'maxPool2d', kernel: 2 },
    { type: 'flatten' },
    { type: 'batchNorm1d' },
    { type: 'linear', out: 10 },
    { type: 'tanh' },
    { type: 'linear', out: 3 },
  ],
};

function forward(model: SpecModel, x: Tensor, upTo = model.layers.length): Float32Array {
  model.eval();
  return noGrad(() => model.layers.slice(0, upTo).reduce((h, layer) => layer.forward(h), x)).contiguousData() as Float32Array;
}

function closeTo(actual: Float32Array, expected: Float32Array, tolerance = 1e-5): void {
  assert.equal(actual.length, expected.length);
  expected.forEach((v, i) => assert.ok(Math.abs(v - actual[i]!) <= tolerance, `value ${i}: ${actual[i]} vs ${v}`));
}

/** Scales output channels of layer `index` down, so their norm is the lowest. */
function weaken(model: SpecModel, index: number, channels: number[]): void {
  const weight = model.stateDict()[`${index}.weight`]!;
  const per = weight.size / weight.shape[0]!;
  for (const c of channels) for (let i = c * per; i < (c + 1) * per; i++) weight.data[i]! *= 0.01;
}

/** The indices of the mask's zero entries. */
const zerosOf = (mask: Float32Array): number[] => Array.from(mask.keys()).filter((i) => mask[i] === 0);

/** True when every value its mask prunes is zero. */
const masked = (p: Parameter): boolean => zerosOf(maskOf(p)!).every((i) => p.data[i] === 0);

/** Random images and three classes. */
function noise(n: number, seed: number): TensorDataset {
  const generator = new Generator(seed);
  return new TensorDataset(randn([n, 3, 8, 8], { generator }), randint(0, 3, [n], { generator, dtype: 'int32' }));
}

describe('channel masks', () => {
  test('the weakest filters, their biases, the batch norm between and the consumer inputs are masked', () => {
    const model = buildModel(SPEC, { seed: 1 });
    weaken(model, 0, [1, 3, 4, 6]);
    weaken(model, 4, [0, 2, 5]);
    const { masked: layers, skipped } = maskChannels(model, { sparsity: 0.5 });
    assert.deepEqual(layers.map(({ index, before, after }) => [index, before, after]), [[0, 8, 4], [4, 6, 3], [9, 10, 5]]);
    assert.deepEqual(layers.slice(0, 2).map((l) => l.kept), [[0, 2, 5, 7], [1, 3, 4]]);
    assert.deepEqual(skipped, [{ index: 11, reason: 'it produces the model output' }]);
    const parameters = new Map(model.namedParameters());
    const zeros = (name: string): number[] => zerosOf(maskOf(parameters.get(name)!)!);
    const rows = (channels: number[], per: number): number[] => channels.flatMap((c) => Array.from({ length: per }, (_, k) => c * per + k));
    // Conv 0: filters 1, 3, 4, 6 (27 weights each), their biases and batch norm parameters.
    assert.deepEqual(zeros('0.weight'), rows([1, 3, 4, 6], 27));
    for (const name of ['0.bias', '1.weight', '1.bias']) assert.deepEqual(zeros(name), [1, 3, 4, 6]);
    // Conv 4 [6, 8, 3, 3]: its own filters 0, 2, 5 and, in the others, the inputs from channels 1, 3, 4, 6.
    const conv = maskOf(parameters.get('4.weight')!)!;
    for (let o = 0; o < 6; o++) {
      for (let c = 0; c < 8; c++) {
        const expected = [0, 2, 5].includes(o) || [1, 3, 4, 6].includes(c) ? 0 : 1;
        assert.ok(conv.subarray((o * 8 + c) * 9, (o * 8 + c + 1) * 9).every((m) => m === expected), `4.weight[${o}, ${c}]`);
      }
    }
    // The batch norm after flatten and the linear [10, 6·4] after it see 2×2 features per channel.
    assert.deepEqual(zeros('8.weight'), rows([0, 2, 5], 4));
    assert.equal(zeros('9.weight').length, 5 * 24 + 5 * 3 * 4);
    assert.ok(model.parameters().filter((p) => maskOf(p)).every(masked), 'the masks are applied at once');
    assert.deepEqual(keptChannels(model), Object.fromEntries(layers.map((l) => [l.index, l.kept])));
  });

  test('the masked model computes what the model without the masked channels computes; kept channels are untouched', () => {
    const model = buildModel(SPEC, { seed: 2 });
    const x = randn([4, 3, 8, 8], { generator: new Generator(3) });
    const original = forward(model, x, 2);
    const { masked: layers } = maskChannels(model, { sparsity: 0.5, norm: 'l2' });
    const { model: smaller, pruned } = removeMaskedChannels(model);
    assert.deepEqual(pruned, layers);
    assert.ok(smaller.parameterCount() < model.parameterCount() / 2);
    closeTo(forward(smaller, x), forward(model, x));
    // After the first conv + batch norm, a kept channel is bit for bit what it was before any pruning.
    const small = forward(smaller, x, 2);
    const kept = pruned[0]!.kept;
    for (let n = 0; n < 4; n++) {
      kept.forEach((c, k) => assert.deepEqual(small.subarray((n * 4 + k) * 64, (n * 4 + k + 1) * 64), original.subarray((n * 8 + c) * 64, (n * 8 + c + 1) * 64)));
    }
  });

  test('at least one channel stays; removing needs masks; bad options are ArgumentErrors', () => {
    const model = buildModel(SPEC, { seed: 4 });
    assert.throws(() => removeMaskedChannels(model), /no Conv2d or Linear weight of the model has a mask/);
    assert.deepEqual(maskChannels(model, { sparsity: 0.99 }).masked.map((l) => l.after), [1, 1, 1]);
    assert.throws(() => maskChannels(model, { sparsity: 1 }), ArgumentError);
    assert.throws(() => maskChannels(model, { sparsity: 0.5, norm: 'l3' as 'l1' }), /norm must be 'l1' or 'l2', got l3/);
    assert.throws(() => maskChannels(model, { sparsity: 0.5, layers: [11] }), /layers\[11\] \(linear\) cannot be pruned: it produces the model output/);
  });
});

describe('scheduled structured pruning', () => {
  /** Records, after every batch, the unmasked channels of each layer and whether every mask holds. */
  function probe(model: SpecModel): Callback & { kept: number[][]; violations: number; checks: number } {
    return {
      kept: [],
      violations: 0,
      checks: 0,
      onBatchEnd() {
        this.kept.push(Object.values(keptChannels(model)).map((k) => k.length));
        for (const p of model.parameters().filter((q) => maskOf(q))) {
          this.checks++;
          if (!masked(p)) this.violations++;
        }
      },
    };
  }

  test('masks stay applied through optimizer steps while the channels follow a polynomial schedule', async () => {
    const model = buildModel(SPEC, { seed: 5 });
    const callback = new PruningCallback({ schedule: polynomialDecay({ finalSparsity: 0.5, endStep: 8, frequency: 2 }), channels: {} });
    const watch = probe(model);
    // 48 samples in batches of 8: 6 steps an epoch, so steps 0–8 prune and 9–17 fine-tune at 50 %.
    await fit(model, { train: noise(48, 6), loss: 'cross-entropy', optimizer: new Adam(model.parameters(), { lr: 0.01 }), epochs: 3, batchSize: 8, seed: 1, verbose: false, callbacks: [callback, watch] });
    assert.equal(callback.currentSparsity, 0.5);
    assert.equal(watch.violations, 0);
    assert.ok(watch.checks >= 18 * 9, `${watch.checks} checks`);
    // Each layer only loses channels, in several stages, and ends at half (rounded).
    for (const [layer, final] of [[0, 4], [1, 3], [2, 5]] as const) {
      const counts = watch.kept.map((k) => k[layer]!);
      assert.deepEqual(counts, [...counts].sort((a, b) => b - a));
      assert.ok(new Set(counts).size >= 3, `layer ${layer}: ${counts.join(' ')}`);
      assert.equal(counts.at(-1), final);
    }
    const { model: smaller } = removeMaskedChannels(model);
    const x = randn([5, 3, 8, 8], { generator: new Generator(7) });
    closeTo(forward(smaller, x), forward(model, x));
  });

  test('a pruned, saved and reloaded model predicts exactly as before saving', async () => {
    const model = buildModel(SPEC, { seed: 8 });
    const callback = new PruningCallback({ schedule: iterative({ sparsity: 0.5, rounds: 2, endStep: 4 }), channels: { norm: 'l2' } });
    await fit(model, { train: noise(32, 9), loss: 'cross-entropy', optimizer: new Adam(model.parameters(), { lr: 0.01 }), epochs: 2, batchSize: 8, seed: 2, verbose: false, callbacks: [callback] });
    const { model: smaller } = removeMaskedChannels(model);
    const bytes = new Uint8Array(Buffer.concat(encodeModelFile({ model: smaller, task: 'classification', labels: null, input: { kind: 'tensor', shape: [3, 8, 8] } })));
    const reloaded = decodeModelFile(bytes).model as SpecModel;
    assert.deepEqual(reloaded.spec.layers.filter((l) => 'out' in l).map((l) => (l as { out: number }).out), [4, 3, 5, 3]);
    const x = randn([6, 3, 8, 8], { generator: new Generator(10) });
    assert.deepEqual(forward(reloaded, x), forward(smaller, x));
  });

  test('the channel masks travel in the callback state, so a resumed run keeps them', () => {
    const model = buildModel(SPEC, { seed: 11 });
    const callback = new PruningCallback({ schedule: oneShot({ sparsity: 0.5 }), channels: {} });
    callback.onTrainBegin({ model, step: 0 } as unknown as TrainingContext);
    const state = callback.stateDict();
    assert.deepEqual(Object.keys(state.tensors!).sort(), ['0.bias', '0.weight', '1.bias', '1.weight', '11.weight', '4.bias', '4.weight', '8.bias', '8.weight', '9.bias', '9.weight']);
    const fresh = buildModel(SPEC, { seed: 12 });
    const resumed = new PruningCallback({ schedule: oneShot({ sparsity: 0.5 }), channels: {} });
    resumed.loadStateDict(state);
    resumed.onTrainBegin({ model: fresh, step: 30 } as unknown as TrainingContext);
    assert.deepEqual(keptChannels(fresh), keptChannels(model));
  });

  test('channels need a schedule, exclude scope and weights, and a SpecModel', () => {
    assert.throws(() => new PruningCallback({ channels: {} }), /scope, weights and channels choose what a schedule prunes; give a schedule too/);
    assert.throws(() => new PruningCallback({ schedule: oneShot({ sparsity: 0.5 }), channels: {}, scope: 'global' }), /give one or the other/);
    const callback = new PruningCallback({ schedule: oneShot({ sparsity: 0.5 }), channels: {} });
    const plain = new Sequential(new Linear(2, 4), new Linear(4, 2));
    assert.throws(() => callback.onTrainBegin({ model: plain, step: 0 } as unknown as TrainingContext), /channel pruning follows the layers of a SpecModel/);
  });
});
