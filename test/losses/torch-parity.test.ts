/**
 * Every loss against PyTorch 1.13: test/fixtures/torch/losses.json, made by
 * test/fixtures/make_torch_loss_fixtures.py. Values and gradients must agree in float64 to a relative
 * error of 1e-9.
 *
 * An element a million times smaller than the largest of its tensor is measured against 1e-6 of that
 * largest magnitude instead of its own (so it may be off by 1e-15 of the tensor's scale). Only PyTorch's
 * BCE with |logit| ≳ 37 needs this: it rounds log(1 + e^−|x|) to exactly 0 and leaves a gradient of
 * pw + 1 − 1 − pw ≈ 5e-16, where the true values (and Kiln's, from log1p and σ(−x)) are e^−|x| ≈ 1e-300.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fromArray, type Tensor } from '../../src/index.js';
import {
  binaryCrossEntropyWithLogits,
  crossEntropy,
  huberLoss,
  klDivLoss,
  l1Loss,
  mseLoss,
  nllLoss,
  smoothL1Loss,
} from '../../src/losses/index.js';
import { relativeError } from './util.js';

interface FixtureTensor {
  shape: number[];
  data: number[];
  dtype?: 'int32';
}

interface Case {
  name: string;
  loss: string;
  params: Record<string, unknown>;
  inputs: Record<string, FixtureTensor>;
  gradOutput?: FixtureTensor;
  output: FixtureTensor;
  grads: Record<string, FixtureTensor>;
}

const fixture = JSON.parse(readFileSync(new URL('../fixtures/torch/losses.json', import.meta.url), 'utf8')) as {
  torch: string;
  cases: Case[];
};

const TOLERANCE = 1e-9;

function tensorOf(t: FixtureTensor, requiresGrad: boolean): Tensor {
  return fromArray(t.data, { shape: t.shape, dtype: t.dtype ?? 'float64', requiresGrad });
}

type Run = (inputs: Record<string, Tensor>, params: Record<string, unknown>) => Tensor;

const LOSSES: Record<string, Run> = {
  crossEntropy: ({ prediction, target, weight }, p) => crossEntropy(prediction!, target!, { ...p, weight }),
  nllLoss: ({ prediction, target, weight }, p) => nllLoss(prediction!, target!, { ...p, weight }),
  binaryCrossEntropyWithLogits: ({ prediction, target, weight, posWeight }, p) =>
    binaryCrossEntropyWithLogits(prediction!, target!, { ...p, weight, posWeight }),
  mseLoss: ({ prediction, target }, p) => mseLoss(prediction!, target!, p),
  l1Loss: ({ prediction, target }, p) => l1Loss(prediction!, target!, p),
  huberLoss: ({ prediction, target }, p) => huberLoss(prediction!, target!, p),
  smoothL1Loss: ({ prediction, target }, p) => smoothL1Loss(prediction!, target!, p),
  klDivLoss: ({ prediction, target }, p) => klDivLoss(prediction!, target!, p),
};

/** The largest relative error seen per loss, reported at the end. */
const worst = new Map<string, number>();
/** Elements that differ from a reference below the floor, per loss. */
const floored = new Map<string, number>();

function compare(what: string, loss: string, actual: Tensor, expected: FixtureTensor): void {
  assert.deepEqual(actual.shape, expected.shape, `${what}: shape`);
  const got = actual.toTypedArray();
  const floor = 1e-6 * expected.data.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  for (let i = 0; i < got.length; i++) {
    const error = relativeError(got[i]!, expected.data[i]!, floor);
    if (got[i] !== expected.data[i] && Math.abs(expected.data[i]!) < floor) floored.set(loss, (floored.get(loss) ?? 0) + 1);
    worst.set(loss, Math.max(worst.get(loss) ?? 0, error));
    assert.ok(error <= TOLERANCE, `${what}: element ${i} is ${got[i]}, PyTorch ${expected.data[i]} (relative error ${error})`);
  }
}

describe(`losses match PyTorch ${fixture.torch} (float64, relative error ≤ ${TOLERANCE})`, () => {
  for (const c of fixture.cases) {
    test(`${c.loss}: ${c.name}`, () => {
      const run = LOSSES[c.loss];
      assert.ok(run, `no loss named ${c.loss}`);
      const inputs = Object.fromEntries(Object.entries(c.inputs).map(([k, t]) => [k, tensorOf(t, k in c.grads)]));
      const output = run(inputs, c.params);
      assert.equal(output.dtype, 'float64');
      compare('output', c.loss, output, c.output);
      output.backward(c.gradOutput && tensorOf(c.gradOutput, false));
      for (const [name, expected] of Object.entries(c.grads)) {
        const grad = inputs[name]!.grad;
        assert.ok(grad, `no gradient for ${name}`);
        compare(`gradient of ${name}`, c.loss, grad, expected);
      }
    });
  }

  test('covers every loss and reduction', (t) => {
    const seen = new Set(fixture.cases.map((c) => `${c.loss} ${String(c.params.reduction)}`));
    for (const loss of Object.keys(LOSSES)) {
      for (const r of ['mean', 'sum', 'none']) assert.ok(seen.has(`${loss} ${r}`), `${loss} ${r}`);
    }
    assert.ok(seen.has('klDivLoss batchmean'));
    const report = [...worst].map(([loss, e]) => `${loss} ${e.toExponential(1)}`).join(', ');
    t.diagnostic(`worst relative errors: ${report}`);
    t.diagnostic(`elements below the floor that differ: ${JSON.stringify(Object.fromEntries(floored))}`);
  });
});
