/**
 * Kiln's optimizers, gradient clipping and schedules against PyTorch 1.13 (fixtures made by
 * test/fixtures/make_torch_optim_fixtures.py): a small CNN trained for 20 steps in float64 must follow
 * PyTorch's loss trajectory and end at its weights, and every schedule must give PyTorch's lr sequence.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Tensor, add, conv2d, flatten, fromArray, matmul, maxPool2d, relu, softmaxCrossEntropy, transpose } from '../../src/index.js';
import {
  Adagrad, Adam, AdamW, CosineAnnealingLR, ExponentialLR, MultiStepLR, OneCycleLR, RMSprop, ReduceLROnPlateau, SGD, StepLR,
  clipGradNorm, clipGradValue, type Optimizer,
} from '../../src/optim/index.js';

interface FixtureTensor {
  shape: number[];
  data: number[];
}

interface OptimCase {
  name: string;
  optimizer: 'SGD' | 'Adam' | 'AdamW' | 'RMSprop' | 'Adagrad';
  options: Record<string, unknown>;
  groups?: ({ params: string[] } & Record<string, unknown>)[];
  clip?: { kind: 'norm'; maxNorm: number; normType: number | 'inf' } | { kind: 'value'; clipValue: number };
  losses: number[];
  clipNorms?: number[];
  final: Record<string, FixtureTensor>;
}

interface OptimFixture {
  steps: number;
  initial: Record<string, FixtureTensor>;
  batches: { x: FixtureTensor; target: FixtureTensor }[];
  cases: OptimCase[];
}

interface ScheduleCase {
  name: string;
  scheduler: string;
  optimizer?: 'SGD' | 'Adam';
  options: Record<string, unknown>;
  metrics?: number[];
  groupLrs: number[];
  lrs: number[][];
  momenta?: number[][];
}

const fixtureDir = new URL('../fixtures/torch/', import.meta.url);
const optim = JSON.parse(readFileSync(new URL('optim.json', fixtureDir), 'utf8')) as OptimFixture;
const schedules = JSON.parse(readFileSync(new URL('optim_schedules.json', fixtureDir), 'utf8')) as { steps: number; cases: ScheduleCase[] };

const PARAM_NAMES = ['conv.weight', 'conv.bias', 'fc.weight', 'fc.bias'];
/**
 * Parity bound in float64 (the issue asks for 1e-4). PyTorch vectorizes with FMA and sums in another order,
 * so bit equality is not expected; the differences measured are a few 1e-16.
 */
const TOLERANCE = 1e-12;
/** Closed forms against PyTorch's recursive updates differ by rounding only. */
const LR_TOLERANCE = 1e-12;

const float64 = (t: FixtureTensor): Tensor => fromArray(Float64Array.from(t.data), { shape: t.shape });
const batches = optim.batches.map((b) => ({ x: float64(b.x), target: fromArray(b.target.data, { dtype: 'int32', shape: b.target.shape }) }));

/** conv 1→4 3×3, relu, max-pool 2, linear 36→5, softmax cross-entropy: the fixture script's model. */
function cnnLoss(params: Tensor[], step: number): Tensor {
  const [convWeight, convBias, fcWeight, fcBias] = params as [Tensor, Tensor, Tensor, Tensor];
  const { x, target } = batches[step % batches.length]!;
  const features = flatten(maxPool2d(relu(conv2d(x, convWeight, convBias)), 2), 1);
  return softmaxCrossEntropy(add(matmul(features, transpose(fcWeight, 0, 1)), fcBias), target);
}

function makeOptimizer(c: OptimCase, params: Tensor[]): Optimizer {
  const byName = new Map(PARAM_NAMES.map((n, i) => [n, params[i]!]));
  const input = c.groups
    ? c.groups.map(({ params: names, ...rest }) => ({ params: names.map((n) => byName.get(n)!), ...rest }))
    : params;
  const options = c.options as never;
  switch (c.optimizer) {
    case 'SGD': return new SGD(input, options);
    case 'Adam': return new Adam(input, options);
    case 'AdamW': return new AdamW(input, options);
    case 'RMSprop': return new RMSprop(input, options);
    case 'Adagrad': return new Adagrad(input, options);
  }
}

/** max |got − want| / max |want|: the difference relative to the scale of the values. */
function relativeDifference(got: ArrayLike<number>, want: ArrayLike<number>): number {
  assert.equal(got.length, want.length);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < want.length; i++) {
    diff = Math.max(diff, Math.abs(got[i]! - want[i]!));
    scale = Math.max(scale, Math.abs(want[i]!));
  }
  return diff / scale;
}

describe('optimizers match PyTorch 1.13 on a small CNN (float64, 20 steps)', () => {
  for (const c of optim.cases) {
    test(c.name, (t) => {
      const params = PARAM_NAMES.map((n) => float64(optim.initial[n]!).setRequiresGrad());
      const optimizer = makeOptimizer(c, params);
      let worstLoss = 0;
      let worstNorm = 0;
      for (let step = 0; step < optim.steps; step++) {
        optimizer.zeroGrad();
        const loss = cnnLoss(params, step);
        loss.backward();
        const want = c.losses[step]!;
        worstLoss = Math.max(worstLoss, Math.abs(loss.item() - want) / Math.abs(want));
        if (c.clip?.kind === 'norm') {
          const norm = clipGradNorm(params, c.clip.maxNorm, c.clip.normType === 'inf' ? Infinity : c.clip.normType);
          worstNorm = Math.max(worstNorm, Math.abs(norm - c.clipNorms![step]!) / c.clipNorms![step]!);
        } else if (c.clip?.kind === 'value') {
          clipGradValue(params, c.clip.clipValue);
        }
        optimizer.step();
      }
      const worstWeight = Math.max(...PARAM_NAMES.map((n, i) => relativeDifference(params[i]!.toTypedArray(), c.final[n]!.data)));
      t.diagnostic(`max relative difference: losses ${worstLoss.toExponential(1)}, final weights ${worstWeight.toExponential(1)}` +
        (c.clip?.kind === 'norm' ? `, clip norms ${worstNorm.toExponential(1)}` : ''));
      assert.ok(worstLoss <= TOLERANCE, `loss trajectory differs from PyTorch by ${worstLoss} (relative)`);
      assert.ok(worstWeight <= TOLERANCE, `final weights differ from PyTorch by ${worstWeight} (relative)`);
      assert.ok(worstNorm <= TOLERANCE, `clipGradNorm's total norms differ from PyTorch by ${worstNorm} (relative)`);
    });
  }
});

function makeScheduler(c: ScheduleCase, optimizer: Optimizer): { step(metric?: number): void; getLastLr(): number[] } {
  const options = c.options as never;
  switch (c.scheduler) {
    case 'StepLR': return new StepLR(optimizer, options);
    case 'MultiStepLR': return new MultiStepLR(optimizer, options);
    case 'ExponentialLR': return new ExponentialLR(optimizer, options);
    case 'CosineAnnealingLR': return new CosineAnnealingLR(optimizer, options);
    case 'OneCycleLR': return new OneCycleLR(optimizer, options);
    case 'ReduceLROnPlateau': {
      const plateau = new ReduceLROnPlateau(optimizer, options);
      return { step: (metric) => plateau.step(metric!), getLastLr: () => plateau.getLastLr() };
    }
  }
  throw new Error(`unknown scheduler ${c.scheduler}`);
}

/** The momentum a group uses: beta1 for Adam, momentum for SGD. */
function momentumOf(group: object): number {
  return 'betas' in group ? (group.betas as number[])[0]! : (group as { momentum: number }).momentum;
}

describe('learning-rate schedules match PyTorch 1.13', () => {
  for (const c of schedules.cases) {
    test(c.name, (t) => {
      const groups = c.groupLrs.map((lr) => ({ params: [fromArray([0], { dtype: 'float64' }).setRequiresGrad()], lr }));
      const optimizer: Optimizer = c.optimizer === 'Adam' ? new Adam(groups) : new SGD(groups, { lr: c.groupLrs[0]!, momentum: 0.9 });
      const scheduler = makeScheduler(c, optimizer);
      const lrs = [optimizer.paramGroups.map((g) => g.lr)];
      const momenta = [optimizer.paramGroups.map(momentumOf)];
      assert.deepEqual(scheduler.getLastLr(), lrs[0]);
      for (let step = 0; step < c.lrs.length - 1; step++) {
        scheduler.step(c.metrics?.[step]);
        lrs.push(optimizer.paramGroups.map((g) => g.lr));
        momenta.push(optimizer.paramGroups.map(momentumOf));
        assert.deepEqual(scheduler.getLastLr(), lrs[step + 1], 'getLastLr() is the lr set');
      }
      const worst = Math.max(assertSequence(lrs, c.lrs, 'lr'), c.momenta ? assertSequence(momenta, c.momenta, 'momentum') : 0);
      t.diagnostic(`max relative difference: ${worst.toExponential(1)}`);
    });
  }
});

/** Asserts the sequences agree to LR_TOLERANCE (relative) and returns the largest relative difference. */
function assertSequence(got: number[][], want: number[][], what: string): number {
  assert.equal(got.length, want.length, `${what}: number of steps`);
  let worst = 0;
  want.forEach((row, step) =>
    row.forEach((value, group) => {
      const actual = got[step]![group]!;
      const diff = Math.abs(actual - value);
      if (value !== 0) worst = Math.max(worst, diff / Math.abs(value));
      assert.ok(diff <= LR_TOLERANCE * Math.abs(value) + 1e-18, `${what} of group ${group} at step ${step} is ${actual}, PyTorch has ${value}`);
    }),
  );
  return worst;
}
