import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ArgumentError, KilnError } from '../../src/index.js';
import {
  Adagrad, Adam, CosineAnnealingLR, ExponentialLR, LRScheduler, MultiStepLR, OneCycleLR, ReduceLROnPlateau, SGD, StepLR,
  type Optimizer,
} from '../../src/optim/index.js';
import { assertClose, assertThrows } from '../ops/util.js';
import { param } from './util.js';

/** An SGD with two groups (lr 0.1 and 0.02) over throw-away parameters. */
function twoGroups(): SGD {
  return new SGD([{ params: [param([0])] }, { params: [param([0])], lr: 0.02 }], { lr: 0.1, momentum: 0.9 });
}

const lrsOf = (optimizer: Optimizer): number[] => optimizer.paramGroups.map((g) => g.lr);

interface Resumable {
  step(): void;
  stateDict(): object;
  loadStateDict(state: never): void;
}

const SCHEDULERS: Record<string, (optimizer: Optimizer) => Resumable> = {
  StepLR: (o) => new StepLR(o, { stepSize: 3, gamma: 0.5 }),
  MultiStepLR: (o) => new MultiStepLR(o, { milestones: [2, 5, 5, 8] }),
  ExponentialLR: (o) => new ExponentialLR(o, { gamma: 0.8 }),
  'CosineAnnealingLR with warm-up': (o) => new CosineAnnealingLR(o, { tMax: 6, etaMin: 0.001, warmupSteps: 3 }),
  OneCycleLR: (o) => new OneCycleLR(o, { maxLr: [1, 0.5], totalSteps: 12 }),
  ReduceLROnPlateau: (o) => {
    const plateau = new ReduceLROnPlateau(o, { patience: 1, factor: 0.5 });
    const metrics = [5, 4, 4, 4, 3, 3, 3, 3, 3, 2, 2, 2];
    return { step: () => plateau.step(metrics[plateau.lastStep]!), stateDict: () => plateau.stateDict(), loadStateDict: (s) => plateau.loadStateDict(s) };
  },
};

describe('schedules: resume from a state dict', () => {
  for (const [name, make] of Object.entries(SCHEDULERS)) {
    test(`${name}: 4 steps, save, load into a new scheduler, 6 steps = 10 steps, bit for bit`, () => {
      const reference = twoGroups();
      const referenceScheduler = make(reference);
      const expected: number[][] = [];
      for (let i = 0; i < 10; i++) {
        referenceScheduler.step();
        expected.push(lrsOf(reference));
      }
      const optimizer = twoGroups();
      const scheduler = make(optimizer);
      for (let i = 0; i < 4; i++) scheduler.step();
      const savedOptimizer = optimizer.stateDict();
      const saved = JSON.parse(JSON.stringify(scheduler.stateDict())) as never;
      const resumedOptimizer = twoGroups();
      resumedOptimizer.loadStateDict(savedOptimizer);
      const resumed = make(resumedOptimizer);
      resumed.loadStateDict(saved);
      const got = expected.slice(0, 3);
      got.push(lrsOf(resumedOptimizer));
      for (let i = 4; i < 10; i++) {
        resumed.step();
        got.push(lrsOf(resumedOptimizer));
      }
      assert.deepEqual(got, expected);
    });
  }

  test('loadStateDict sets the learning rates of the loaded step at once', () => {
    const optimizer = twoGroups();
    const scheduler = new StepLR(optimizer, { stepSize: 2 });
    scheduler.loadStateDict({ lastStep: 4, baseLrs: [1, 0.5] });
    assert.equal(scheduler.lastStep, 4);
    assert.deepEqual(scheduler.baseLrs, [1, 0.5]);
    assertClose(lrsOf(optimizer), [0.01, 0.005], 1e-15);
    assertClose(scheduler.getLastLr(), [0.01, 0.005], 1e-15);
  });

  test('a state that does not fit is refused, and nothing changes', () => {
    const optimizer = twoGroups();
    const scheduler = new OneCycleLR(optimizer, { maxLr: 1, totalSteps: 10, cycleMomentum: false });
    const before = scheduler.stateDict();
    assertThrows(() => scheduler.loadStateDict({ lastStep: 2, baseLrs: [0.1] }), ArgumentError, 'the state has 1 base learning rates, the optimizer has 2 param groups');
    assertThrows(() => scheduler.loadStateDict({ lastStep: -1, baseLrs: [0.1, 0.1] }), ArgumentError, 'lastStep must be an integer ≥ 0, got -1');
    assertThrows(() => scheduler.loadStateDict({ lastStep: 11, baseLrs: [0.1, 0.1] }), ArgumentError, 'past the cycle of totalSteps = 10');
    assert.deepEqual(scheduler.stateDict(), before);
    const plateau = new ReduceLROnPlateau(optimizer);
    assertThrows(() => plateau.loadStateDict({ lastStep: 1, best: 'low' as never, numBadSteps: 0, cooldownCounter: 0 }), ArgumentError, 'best must be a number');
  });
});

describe('schedules: behaviour', () => {
  test('a scheduler sets step 0’s learning rates when created and remembers the base rates', () => {
    const optimizer = twoGroups();
    const scheduler = new CosineAnnealingLR(optimizer, { tMax: 10, warmupSteps: 4, warmupStartFactor: 0.5 });
    assert.deepEqual(lrsOf(optimizer), [0.05, 0.01]);
    assert.deepEqual(scheduler.baseLrs, [0.1, 0.02]);
    assert.equal(scheduler.lastStep, 0);
    for (let i = 0; i < 4; i++) scheduler.step();
    assert.deepEqual(lrsOf(optimizer), [0.1, 0.02], 'the cosine starts at the base lr when the warm-up ends');
    for (let i = 0; i < 10; i++) scheduler.step();
    assert.deepEqual(lrsOf(optimizer), [0, 0]);
  });

  test('closed-form schedules overwrite an lr set by hand; ReduceLROnPlateau scales it', () => {
    const optimizer = twoGroups();
    const exponential = new ExponentialLR(optimizer, { gamma: 0.5 });
    optimizer.paramGroups[0]!.lr = 7;
    exponential.step();
    assert.deepEqual(lrsOf(optimizer), [0.05, 0.01]);
    const other = twoGroups();
    const plateau = new ReduceLROnPlateau(other, { patience: 0, factor: 0.5 });
    other.paramGroups[0]!.lr = 8;
    plateau.step(1);
    plateau.step(1);
    assert.deepEqual(lrsOf(other), [4, 0.01]);
  });

  test('ReduceLROnPlateau: minLr bounds the reduction, a change under eps is skipped, cooldown ignores bad steps', () => {
    const optimizer = twoGroups();
    const plateau = new ReduceLROnPlateau(optimizer, { mode: 'max', patience: 0, factor: 0.1, minLr: [0.05, 0], cooldown: 2, eps: 0.005 });
    plateau.step(1);
    plateau.step(1);
    assertClose(lrsOf(optimizer), [0.05, 0.002], 1e-15);
    plateau.step(1);
    plateau.step(1);
    assertClose(lrsOf(optimizer), [0.05, 0.002], 1e-15, 'in cooldown');
    plateau.step(1);
    assertClose(lrsOf(optimizer), [0.05, 0.002], 1e-15, '0.002 → 0.0002 is a change under eps');
    assert.deepEqual(plateau.stateDict(), { lastStep: 5, best: 1, numBadSteps: 0, cooldownCounter: 2 });
  });

  test('ReduceLROnPlateau counts a NaN metric as no improvement', () => {
    const optimizer = twoGroups();
    const plateau = new ReduceLROnPlateau(optimizer, { patience: 1 });
    plateau.step(1);
    plateau.step(NaN);
    plateau.step(NaN);
    assertClose(lrsOf(optimizer), [0.01, 0.002], 1e-15);
  });

  test('OneCycleLR allows one step past the cycle and refuses the next', () => {
    const optimizer = twoGroups();
    const scheduler = new OneCycleLR(optimizer, { maxLr: 1, totalSteps: 5, cycleMomentum: false });
    for (let i = 0; i < 5; i++) scheduler.step();
    assertThrows(() => scheduler.step(), ArgumentError, 'OneCycleLR: stepped to step 6, past the cycle of totalSteps = 5 steps');
  });

  test('OneCycleLR cycles Adam’s beta1 and keeps beta2', () => {
    const optimizer = new Adam([param([0])], { betas: [0.5, 0.99] });
    const scheduler = new OneCycleLR(optimizer, { maxLr: 0.01, totalSteps: 10, baseMomentum: 0.8, maxMomentum: 0.9 });
    assert.deepEqual(optimizer.paramGroups[0]!.betas, [0.9, 0.99]);
    for (let i = 0; i < 2; i++) scheduler.step();
    assert.deepEqual(optimizer.paramGroups[0]!.betas, [0.8, 0.99]);
  });

  test('a scheduler refuses param groups added after it was created', () => {
    const optimizer = twoGroups();
    const scheduler = new StepLR(optimizer, { stepSize: 1 });
    optimizer.addParamGroup({ params: [param([1])] });
    assertThrows(() => scheduler.step(), ArgumentError, 'the optimizer has 3 param groups but the scheduler was created for 2');
    const plateau = new ReduceLROnPlateau(twoGroups());
    (plateau.optimizer as SGD).addParamGroup({ params: [param([1])] });
    assertThrows(() => plateau.step(1), ArgumentError, 'create the scheduler after adding param groups');
  });

  test('a subclass that forgets start() is reported at its first step', () => {
    class Constant extends LRScheduler {
      constructor(optimizer: Optimizer) {
        super('Constant', optimizer);
      }
      protected lrAt(baseLr: number): number {
        return baseLr;
      }
    }
    assertThrows(() => new Constant(twoGroups()).step(), KilnError, 'Constant: the scheduler never started');
  });

  test('bad options throw at construction, naming the value and the valid range', () => {
    const o = twoGroups();
    assertThrows(() => new StepLR(o, { stepSize: 0 }), ArgumentError, 'StepLR: stepSize must be an integer ≥ 1, got 0');
    assertThrows(() => new StepLR(o, { stepSize: 2, gamma: -1 }), ArgumentError, 'StepLR: gamma must be a finite number ≥ 0, got -1');
    assertThrows(() => new MultiStepLR(o, { milestones: [3, 1.5] }), ArgumentError, 'MultiStepLR: milestones[1] must be an integer ≥ 0, got 1.5');
    assertThrows(() => new MultiStepLR(o, { milestones: 3 as never }), ArgumentError, 'milestones must be an array');
    assertThrows(() => new ExponentialLR(o, {} as never), ArgumentError, 'ExponentialLR: gamma must be a finite number ≥ 0, got undefined');
    assertThrows(() => new CosineAnnealingLR(o, { tMax: 0 }), ArgumentError, 'CosineAnnealingLR: tMax must be an integer ≥ 1, got 0');
    assertThrows(() => new CosineAnnealingLR(o, { tMax: 5, warmupStartFactor: 2 }), ArgumentError, 'warmupStartFactor must be a finite number in [0, 1], got 2');
    assertThrows(() => new CosineAnnealingLR(o, { tMax: 5, warmupSteps: -1 }), ArgumentError, 'warmupSteps must be an integer ≥ 0');
    assertThrows(() => new OneCycleLR(o, { maxLr: [1], totalSteps: 10 }), ArgumentError, 'maxLr has 1 values but the optimizer has 2 param groups');
    assertThrows(() => new OneCycleLR(o, { maxLr: 1, totalSteps: 0 }), ArgumentError, 'totalSteps must be an integer ≥ 1, got 0');
    assertThrows(() => new OneCycleLR(o, { maxLr: 1, totalSteps: 10, pctStart: 1 }), ArgumentError, 'pctStart must be a finite number in [0, 1), got 1');
    assertThrows(() => new OneCycleLR(o, { maxLr: 1, totalSteps: 10, pctStart: 0.1 }), ArgumentError, 'pctStart · totalSteps = 1');
    assertThrows(() => new OneCycleLR(o, { maxLr: 1, totalSteps: 10, annealStrategy: 'exp' as never }), ArgumentError, "annealStrategy must be one of 'cos', 'linear', got \"exp\"");
    assertThrows(() => new OneCycleLR(o, { maxLr: 1, totalSteps: 10, divFactor: 0 }), ArgumentError, 'divFactor must be a finite number > 0');
    assertThrows(() => new OneCycleLR(new Adagrad([param([1])]), { maxLr: 1, totalSteps: 10 }), ArgumentError, 'param group 0 of Adagrad has neither; pass cycleMomentum: false');
    assertThrows(() => new ReduceLROnPlateau(o, { factor: 1 }), ArgumentError, 'ReduceLROnPlateau: factor must be a finite number in [0, 1), got 1');
    assertThrows(() => new ReduceLROnPlateau(o, { mode: 'least' as never }), ArgumentError, "mode must be one of 'min', 'max'");
    assertThrows(() => new ReduceLROnPlateau(o, { patience: 1.5 }), ArgumentError, 'patience must be an integer ≥ 0');
    assertThrows(() => new ReduceLROnPlateau(o, { minLr: [0] }), ArgumentError, 'minLr has 1 values but the optimizer has 2 param groups');
    assertThrows(() => new ReduceLROnPlateau(o).step('0.5' as never), ArgumentError, 'metric must be a number, got "0.5"');
    assertThrows(() => new StepLR({} as never, { stepSize: 1 }), ArgumentError, 'StepLR: expected an optimizer, got an object');
  });
});
