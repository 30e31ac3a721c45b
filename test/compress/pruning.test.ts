import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { applyMasks, bake, maskOf, setMask } from '../../src/compress/prune/masks.js';
import { magnitudeMasks, nmMask } from '../../src/compress/prune/magnitude.js';
import { prunableWeights } from '../../src/compress/prune/prunable.js';
import { pruneMagnitude, pruneNM } from '../../src/compress/prune/prune.js';
import { PruningCallback } from '../../src/compress/prune/pruning-callback.js';
import { iterative, oneShot, polynomialDecay } from '../../src/compress/prune/schedules.js';
import { sparsityReport } from '../../src/compress/prune/sparsity.js';
import { ArgumentError, ShapeError } from '../../src/errors.js';
import { Adam } from '../../src/optim/adam.js';
import { buildModel } from '../../src/nn/spec.js';
import type { Callback, TrainingContext } from '../../src/train/callbacks/callback.js';
import { fit } from '../../src/train/fit.js';
import { circles, smallMlp } from '../train/helpers.js';

const zerosAt = (values: ArrayLike<number>, mask: Float32Array): boolean => Array.from(mask).every((m, i) => m !== 0 || values[i] === 0);
const countZeros = (mask: Float32Array): number => mask.reduce((n, m) => n + (m === 0 ? 1 : 0), 0);

describe('magnitude pruning', () => {
  test('per layer: exactly round(s·size) values of smallest magnitude go in every weight', () => {
    const model = smallMlp(1);
    const weights = pruneMagnitude(model, { sparsity: 0.75 });
    assert.deepEqual(weights.map((w) => w.name), ['0.weight', '3.weight']);
    for (const { weight } of weights) {
      const mask = maskOf(weight)!;
      assert.equal(countZeros(mask), Math.round(0.75 * weight.size));
      const kept = Array.from(weight.data).filter((_, i) => mask[i] === 1).map(Math.abs);
      assert.equal(Math.min(...kept) > 0, true);
      assert.ok(zerosAt(weight.data, mask));
    }
    const report = sparsityReport(model);
    assert.deepEqual(report.weights.map((w) => w.sparsity), [0.75, 0.75]);
  });

  test('global: one threshold, so a layer of small weights loses more, and the total is exact', () => {
    const model = buildModel({ input: [8], layers: [{ type: 'linear', out: 8 }, { type: 'linear', out: 8 }] }, { seed: 2 });
    const [first, second] = prunableWeights(model);
    second!.weight.data.forEach((v, i, a) => { a[i] = v * 0.01; });
    const masks = magnitudeMasks([first!, second!], 0.5, 'global');
    assert.equal(countZeros(masks[0]!) + countZeros(masks[1]!), 64);
    assert.ok(countZeros(masks[1]!) > 48, `second layer lost ${countZeros(masks[1]!)} of 64`);
    const threshold = Math.max(...[0, 1].flatMap((l) => Array.from(prunableWeights(model)[l]!.weight.data).filter((_, i) => masks[l]![i] === 0).map(Math.abs)));
    for (const l of [0, 1]) {
      for (const [i, v] of prunableWeights(model)[l]!.weight.data.entries()) if (masks[l]![i] === 1) assert.ok(Math.abs(v) >= threshold);
    }
  });

  test('ties are broken by position, so the count is exact even with equal values', () => {
    const model = buildModel({ input: [4], layers: [{ type: 'linear', out: 2 }] }, { seed: 1 });
    model.parameters()[0]!.data.fill(0.5);
    const [mask] = magnitudeMasks(prunableWeights(model), 0.5, 'layer');
    assert.deepEqual(Array.from(mask!), [0, 0, 0, 0, 1, 1, 1, 1]);
    const [globalMask] = magnitudeMasks(prunableWeights(model), 0.25, 'global');
    assert.deepEqual(Array.from(globalMask!), [0, 0, 1, 1, 1, 1, 1, 1]);
  });

  test('bad settings are ArgumentErrors; a mask of the wrong size is a ShapeError', () => {
    const model = smallMlp(1);
    assert.throws(() => pruneMagnitude(model, { sparsity: 1 }), ArgumentError);
    assert.throws(() => pruneMagnitude(model, { sparsity: 0.5, weights: ['1.weight'] }), /1\.weight is not a Linear or Conv2d weight of the model; those are 0\.weight, 3\.weight/);
    assert.throws(() => setMask(model.parameters()[0]!, new Float32Array(3)), ShapeError);
    assert.throws(() => nmMask(model.parameters()[0]!, 2, 2), ArgumentError);
  });
});

describe('N:M pruning', () => {
  test('2:4 keeps the two largest of every four input channels, per output and kernel position', () => {
    const model = buildModel({ input: [8, 5, 5], layers: [{ type: 'conv2d', out: 4, kernel: 3 }, { type: 'flatten' }, { type: 'linear', out: 6 }] }, { seed: 3 });
    const weights = pruneNM(model);
    assert.deepEqual(weights.map((w) => w.name), ['0.weight', '2.weight']);
    const conv = weights[0]!.weight;
    const mask = maskOf(conv)!;
    for (let o = 0; o < 4; o++) {
      for (let k = 0; k < 9; k++) {
        for (const start of [0, 4]) {
          const at = [0, 1, 2, 3].map((c) => (o * 8 + start + c) * 9 + k);
          assert.equal(at.filter((i) => mask[i] === 1).length, 2);
          const kept = at.filter((i) => mask[i] === 1).map((i) => Math.abs(conv.data[i]!));
          const dropped = at.filter((i) => mask[i] === 0).map(() => 0);
          assert.equal(dropped.length, 2);
          const originalDropped = at.filter((i) => mask[i] === 0);
          for (const i of originalDropped) assert.equal(conv.data[i], 0);
          assert.ok(Math.min(...kept) > 0);
        }
      }
    }
    assert.equal(sparsityReport(model).total.sparsity, 0.5);
  });

  test('layers with fewer than M input channels stay dense unless named', () => {
    const model = buildModel({ input: [1, 6, 6], layers: [{ type: 'conv2d', out: 4, kernel: 3 }, { type: 'flatten' }, { type: 'linear', out: 2 }] }, { seed: 3 });
    assert.deepEqual(pruneNM(model).map((w) => w.name), ['2.weight']);
    assert.equal(maskOf(model.parameters()[0]!), undefined);
  });
});

describe('pruning schedules', () => {
  test('polynomialDecay follows TF Model Optimization: s_f + (s_i − s_f)(1 − p)^power at every frequency-th step', () => {
    const schedule = polynomialDecay({ initialSparsity: 0.1, finalSparsity: 0.8, beginStep: 20, endStep: 120, power: 3, frequency: 10 });
    assert.equal(schedule.sparsityAt(10), null);
    assert.ok(Math.abs(schedule.sparsityAt(20)! - 0.1) < 1e-12);
    assert.equal(schedule.sparsityAt(25), null);
    assert.ok(Math.abs(schedule.sparsityAt(70)! - (0.8 + (0.1 - 0.8) * 0.5 ** 3)) < 1e-12);
    assert.equal(schedule.sparsityAt(120), 0.8);
    assert.equal(schedule.sparsityAt(130), null);
    assert.throws(() => polynomialDecay({ finalSparsity: 0.5, beginStep: 10, endStep: 10 }), ArgumentError);
    assert.throws(() => polynomialDecay({ finalSparsity: 0.5, endStep: 10, frequency: 0 }), ArgumentError);
  });

  test('iterative removes the same share of what is left each round; oneShot prunes once', () => {
    const schedule = iterative({ sparsity: 0.875, rounds: 3, beginStep: 0, endStep: 100 });
    assert.ok(Math.abs(schedule.sparsityAt(0)! - 0.5) < 1e-12);
    assert.ok(Math.abs(schedule.sparsityAt(50)! - 0.75) < 1e-12);
    assert.ok(Math.abs(schedule.sparsityAt(100)! - 0.875) < 1e-12);
    assert.equal(schedule.sparsityAt(99), null);
    const once = oneShot({ sparsity: 0.6, step: 5 });
    assert.deepEqual([once.sparsityAt(4), once.sparsityAt(5), once.sparsityAt(6)], [null, 0.6, null]);
  });
});

describe('PruningCallback', () => {
  /** Records, after every batch, whether every masked value of the model is zero. */
  function maskChecker(): Callback & { violations: number; checks: number } {
    return {
      violations: 0,
      checks: 0,
      onBatchEnd(context: TrainingContext) {
        for (const p of context.model.parameters()) {
          const mask = maskOf(p);
          if (!mask) continue;
          this.checks++;
          if (!zerosAt(p.data, mask)) this.violations++;
        }
      },
    };
  }

  test('masks stay applied through optimizer steps while the kept weights train', async () => {
    const data = circles(128, 1);
    const model = smallMlp(5);
    pruneMagnitude(model, { sparsity: 0.6 });
    const before = Array.from(model.parameters()[0]!.data);
    const checker = maskChecker();
    await fit(model, { train: data, loss: 'cross-entropy', optimizer: new Adam(model.parameters(), { lr: 0.05 }), epochs: 2, batchSize: 32, seed: 1, verbose: false, callbacks: [new PruningCallback(), checker] });
    assert.equal(checker.violations, 0);
    assert.equal(checker.checks, 16);
    const after = model.parameters()[0]!.data;
    const mask = maskOf(model.parameters()[0]!)!;
    assert.ok(before.some((v, i) => mask[i] === 1 && v !== after[i]), 'the kept weights trained');
    assert.equal(bake(model), 2);
    assert.equal(maskOf(model.parameters()[0]!), undefined);
    assert.equal(sparsityReport(model).weights[0]!.sparsity, Math.round(0.6 * 32) / 32);
  });

  test('without the callback, Adam regrows pruned weights (what the callback prevents)', async () => {
    const model = smallMlp(5);
    pruneMagnitude(model, { sparsity: 0.6 });
    const checker = maskChecker();
    await fit(model, { train: circles(128, 1), loss: 'cross-entropy', optimizer: new Adam(model.parameters(), { lr: 0.05 }), epochs: 1, batchSize: 32, seed: 1, verbose: false, callbacks: [checker] });
    assert.ok(checker.violations > 0);
    applyMasks(model);
    assert.ok(zerosAt(model.parameters()[0]!.data, maskOf(model.parameters()[0]!)!));
  });

  test('a polynomial schedule reaches its final sparsity during fit, global or per layer', async () => {
    for (const scope of ['layer', 'global'] as const) {
      const model = smallMlp(6);
      const callback = new PruningCallback({ schedule: polynomialDecay({ finalSparsity: 0.8, endStep: 12, frequency: 4 }), scope });
      const seen: number[] = [];
      const probe: Callback = { onBatchEnd: () => { seen.push(sparsityReport(model).total.sparsity); } };
      await fit(model, { train: circles(128, 2), loss: 'cross-entropy', optimizer: new Adam(model.parameters(), { lr: 0.02 }), epochs: 4, batchSize: 32, seed: 1, verbose: false, callbacks: [callback, probe] });
      assert.equal(callback.currentSparsity, 0.8);
      assert.ok(Math.abs(sparsityReport(model).total.sparsity - 0.8) < 0.02, `${scope}: ${sparsityReport(model).total.sparsity}`);
      // Steps 0, 4, 8, 12 update: the sparsity only grows, in four stages.
      assert.deepEqual(seen, [...seen].sort((a, b) => a - b));
      assert.ok(new Set(seen.map((s) => s.toFixed(3))).size >= 3);
    }
  });

  test('its masks travel in its state, so a resumed run keeps them', () => {
    const model = smallMlp(7);
    const callback = new PruningCallback({ schedule: oneShot({ sparsity: 0.5 }) });
    const context = { model, step: 0 } as unknown as TrainingContext;
    callback.onTrainBegin(context);
    const state = callback.stateDict();
    assert.deepEqual(Object.keys(state.tensors!).sort(), ['0.weight', '3.weight']);
    const fresh = smallMlp(7);
    const resumed = new PruningCallback({ schedule: oneShot({ sparsity: 0.5 }) });
    resumed.loadStateDict(state);
    resumed.onTrainBegin({ model: fresh, step: 40 } as unknown as TrainingContext);
    assert.deepEqual(maskOf(fresh.parameters()[0]!), maskOf(model.parameters()[0]!));
    assert.equal(resumed.currentSparsity, 0.5);
  });
});
