import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ArgumentError, availableBackends, fromArray, getBackend, setBackend, type Tensor } from '../../src/index.js';
import { Adagrad, Adam, AdamW, RMSprop, SGD } from '../../src/optim/index.js';
import { assertClose, assertThrows } from '../ops/util.js';
import { makeParams, param, train } from './util.js';

const grad = (p: Tensor, values: number[]): void => {
  p.grad = fromArray(values, { dtype: 'float64' });
};

describe('SGD', () => {
  test('plain step: p −= lr · (g + wd · p)', () => {
    const p = param([1, -2]);
    const sgd = new SGD([p], { lr: 0.1, weightDecay: 0.5 });
    grad(p, [2, 4]);
    sgd.step();
    assertClose(p, [1 - 0.1 * (2 + 0.5), -2 - 0.1 * (4 - 1)]);
  });

  test('momentum: the buffer starts as the first gradient, then b = μ·b + (1 − dampening)·g', () => {
    const p = param([0]);
    const sgd = new SGD([p], { lr: 1, momentum: 0.5, dampening: 0.25 });
    grad(p, [1]);
    sgd.step();
    assertClose(p, [-1], 0, 'no dampening on the first step');
    grad(p, [2]);
    sgd.step();
    assertClose(p, [-1 - (0.5 * 1 + 0.75 * 2)], 0);
  });

  test('nesterov: p −= lr · (g + μ·b)', () => {
    const p = param([0]);
    const sgd = new SGD([p], { lr: 1, momentum: 0.5, nesterov: true });
    grad(p, [1]);
    sgd.step();
    assertClose(p, [-1.5], 0);
    grad(p, [1]);
    sgd.step();
    assertClose(p, [-1.5 - (1 + 0.5 * 1.5)], 0);
  });

  test('bad hyperparameters throw at construction', () => {
    const p = param([1]);
    assertThrows(() => new SGD([p], {} as never), ArgumentError, 'SGD: lr must be a finite number ≥ 0, got undefined');
    assertThrows(() => new SGD([p], { lr: -0.1 }), ArgumentError, 'lr must be a finite number ≥ 0, got -0.1');
    assertThrows(() => new SGD([p], { lr: NaN }), ArgumentError, 'got NaN');
    assertThrows(() => new SGD([p], { lr: 0.1, momentum: -0.9 }), ArgumentError, 'momentum must be a finite number ≥ 0, got -0.9');
    assertThrows(() => new SGD([p], { lr: 0.1, dampening: 2 }), ArgumentError, 'dampening must be a finite number in [0, 1], got 2');
    assertThrows(() => new SGD([p], { lr: 0.1, weightDecay: -1 }), ArgumentError, 'weightDecay must be a finite number ≥ 0');
    assertThrows(() => new SGD([p], { lr: 0.1, nesterov: true }), ArgumentError, 'nesterov needs momentum > 0 and dampening 0, got momentum 0');
    assertThrows(() => new SGD([p], { lr: 0.1, momentum: 0.9, dampening: 0.1, nesterov: true }), ArgumentError, 'dampening 0.1');
    assertThrows(() => new SGD([p], { lr: 0.1, nesterov: 'yes' as never }), ArgumentError, "nesterov must be true or false, got \"yes\"");
  });
});

describe('Adam and AdamW', () => {
  test('Adam first step moves each weight by lr · g / (|g| + eps)', () => {
    const p = param([1, 1, 1]);
    const adam = new Adam([p], { lr: 0.1, eps: 1e-3 });
    grad(p, [2, -0.5, 0]);
    adam.step();
    assertClose(p, [1 - (0.1 * 2) / (2 + 1e-3), 1 + (0.1 * 0.5) / (0.5 + 1e-3), 1], 1e-15);
  });

  test('Adam weight decay is L2 on the gradient; AdamW’s is decoupled: p *= 1 − lr · wd', () => {
    const a = param([2]);
    const adam = new Adam([a], { lr: 0.1, weightDecay: 0.5, eps: 0 });
    grad(a, [0]);
    adam.step();
    assertClose(a, [2 - 0.1], 1e-15, 'the decay term 1 is the whole gradient: a unit step');
    const w = param([2]);
    const adamw = new AdamW([w], { lr: 0.1, weightDecay: 0.5 });
    grad(w, [0]);
    adamw.step();
    assertClose(w, [2 * (1 - 0.1 * 0.5)], 0);
  });

  test('AdamW decays by 1e-2 by default, Adam not at all', () => {
    assert.equal(new AdamW([param([1])]).paramGroups[0]!.weightDecay, 1e-2);
    assert.equal(new Adam([param([1])]).paramGroups[0]!.weightDecay, 0);
  });

  test('amsgrad normalizes by the largest second moment seen', () => {
    const p = param([0]);
    const adam = new Adam([p], { lr: 0.1, betas: [0, 0.5], amsgrad: true, eps: 0 });
    const seen: number[][] = [];
    for (const g of [10, 1, 1]) {
      grad(p, [g]);
      adam.step();
      const { expAvgSq, maxExpAvgSq } = adam.stateDict().state[0]!.buffers;
      seen.push([expAvgSq![0]!, maxExpAvgSq![0]!]);
    }
    assert.deepEqual(seen, [[50, 50], [25.5, 50], [13.25, 50]]);
    // Step 1 moves by lr (a unit Adam step); step 2 by lr · 1 / (√50 / √0.75) instead of lr · 1 / (√25.5 / √0.75).
    assertClose(p, [-0.1 - 0.1 / (Math.sqrt(50) / Math.sqrt(0.75)) - 0.1 / (Math.sqrt(50) / Math.sqrt(0.875))], 1e-15);
  });

  test('bad hyperparameters throw at construction', () => {
    const p = param([1]);
    assertThrows(() => new Adam([p], { betas: [1, 0.999] }), ArgumentError, 'Adam: betas[0] must be a finite number in [0, 1), got 1');
    assertThrows(() => new AdamW([p], { betas: [0.9, -0.1] }), ArgumentError, 'AdamW: betas[1] must be a finite number in [0, 1), got -0.1');
    assertThrows(() => new Adam([p], { betas: [0.9] as never }), ArgumentError, 'betas must be a pair [beta1, beta2], got [0.9]');
    assertThrows(() => new Adam([p], { eps: -1e-8 }), ArgumentError, 'eps must be a finite number ≥ 0');
    assertThrows(() => new Adam([p], { lr: Infinity }), ArgumentError, 'lr must be a finite number ≥ 0, got Infinity');
    assertThrows(() => new AdamW([{ params: [p], weightDecay: -0.01 }]), ArgumentError, 'AdamW param group 0: weightDecay');
  });
});

describe('Adam and AdamW on every backend', () => {
  test('float32 updates give the same bits as on the js backend (the reference loop)', () => {
    const original = getBackend().name;
    const run = (backend: string, options: { weightDecay?: number; amsgrad?: boolean }, decoupled: boolean): number[][] => {
      setBackend(backend);
      const params = makeParams('float32');
      const optimizer = decoupled ? new AdamW(params, { lr: 0.05, ...options }) : new Adam(params, { lr: 0.05, ...options });
      train(optimizer, params, 0, 5);
      return params.map((p) => Array.from(p.data));
    };
    try {
      for (const backend of availableBackends()) {
        for (const options of [{}, { weightDecay: 0.1 }, { weightDecay: 0.1, amsgrad: true }]) {
          for (const decoupled of [false, true]) {
            assert.deepEqual(run(backend, options, decoupled), run('js', options, decoupled), `${backend}: ${JSON.stringify(options)}, decoupled ${decoupled}`);
          }
        }
      }
    } finally {
      setBackend(original);
    }
  });
});

describe('RMSprop', () => {
  test('first step: p −= lr · g / (√((1 − α)·g²) + eps)', () => {
    const p = param([1, 1]);
    const rms = new RMSprop([p], { lr: 0.01, alpha: 0.75, eps: 1e-4 });
    grad(p, [2, -1]);
    rms.step();
    assertClose(p, [1 - (0.01 * 2) / (Math.sqrt(0.25 * 4) + 1e-4), 1 + (0.01 * 1) / (Math.sqrt(0.25) + 1e-4)], 1e-15);
  });

  test('centered subtracts the squared mean gradient; momentum accumulates the normalized step', () => {
    const p = param([0]);
    const rms = new RMSprop([p], { lr: 0.1, alpha: 0.5, eps: 0, centered: true, momentum: 0.5 });
    grad(p, [2]);
    rms.step();
    // s = 0.5·4 = 2, a = 0.5·2 = 1: denominator √(2 − 1) = 1; buffer = 2.
    assertClose(p, [-0.2], 1e-15);
    grad(p, [2]);
    rms.step();
    // s = 1 + 2 = 3, a = 0.5 + 1 = 1.5: denominator √0.75; buffer = 0.5·2 + 2/√0.75.
    assertClose(p, [-0.2 - 0.1 * (1 + 2 / Math.sqrt(0.75))], 1e-15);
  });

  test('bad hyperparameters throw at construction', () => {
    const p = param([1]);
    assertThrows(() => new RMSprop([p], { alpha: 1.5 }), ArgumentError, 'RMSprop: alpha must be a finite number in [0, 1], got 1.5');
    assertThrows(() => new RMSprop([p], { momentum: -1 }), ArgumentError, 'momentum must be a finite number ≥ 0');
    assertThrows(() => new RMSprop([p], { centered: 1 as never }), ArgumentError, 'centered must be true or false, got 1');
  });
});

describe('Adagrad', () => {
  test('accumulates squared gradients from initialAccumulatorValue and decays the step size', () => {
    const p = param([0]);
    const adagrad = new Adagrad([p], { lr: 1, lrDecay: 0.5, initialAccumulatorValue: 5, eps: 0 });
    grad(p, [2]);
    adagrad.step();
    assertClose(p, [-2 / 3], 1e-15);
    grad(p, [4]);
    adagrad.step();
    assertClose(p, [-2 / 3 - (1 / 1.5) * (4 / 5)], 1e-15);
  });

  test('bad hyperparameters throw at construction', () => {
    const p = param([1]);
    assertThrows(() => new Adagrad([p], { lrDecay: -0.1 }), ArgumentError, 'Adagrad: lrDecay must be a finite number ≥ 0, got -0.1');
    assertThrows(() => new Adagrad([p], { initialAccumulatorValue: -1 }), ArgumentError, 'initialAccumulatorValue');
  });
});
