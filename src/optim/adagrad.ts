import type { FloatArray } from '../backend/backend.js';
import { Optimizer, type Hyperparameters, type OptimizerParams, type ParamGroup, type ParamState } from './optimizer.js';
import { checkNumber } from './validate.js';

/** A param group of {@link Adagrad}. */
export interface AdagradGroup extends ParamGroup {
  lrDecay: number;
  initialAccumulatorValue: number;
  eps: number;
}

/** Options of {@link Adagrad}; they are also the defaults of its param groups. */
export interface AdagradOptions {
  /** Learning rate; default 1e-2. */
  lr?: number;
  /** The step size is lr / (1 + (t − 1)·lrDecay) at a parameter's t-th update; default 0. */
  lrDecay?: number;
  /** L2 penalty added to the gradient: g + weightDecay · p. Default 0. */
  weightDecay?: number;
  /** Starting value of the sum of squared gradients; default 0. */
  initialAccumulatorValue?: number;
  /** Added to the denominator after the square root; default 1e-10. */
  eps?: number;
}

/**
 * Adagrad with PyTorch 1.13's update: g += wd·p; s += g²; p −= lr/(1 + (t − 1)·lrDecay) · g / (√s + eps),
 * with s starting at initialAccumulatorValue and t the parameter's own step count.
 */
export class Adagrad extends Optimizer<AdagradGroup> {
  protected readonly bufferNames = ['sum'];

  constructor(params: OptimizerParams<AdagradGroup>, options: AdagradOptions = {}) {
    super('Adagrad', params, {
      lr: options.lr ?? 1e-2,
      lrDecay: options.lrDecay ?? 0,
      weightDecay: options.weightDecay ?? 0,
      initialAccumulatorValue: options.initialAccumulatorValue ?? 0,
      eps: options.eps ?? 1e-10,
    });
  }

  protected validateHyperparameters(h: Hyperparameters<AdagradGroup>, where: string): void {
    checkNumber(h.lr, 'lr', where, { min: 0 });
    checkNumber(h.lrDecay, 'lrDecay', where, { min: 0 });
    checkNumber(h.weightDecay, 'weightDecay', where, { min: 0 });
    checkNumber(h.initialAccumulatorValue, 'initialAccumulatorValue', where, { min: 0 });
    checkNumber(h.eps, 'eps', where, { min: 0 });
  }

  protected updateParameter(p: FloatArray, g: FloatArray, state: ParamState, group: AdagradGroup): void {
    const { lr, lrDecay, weightDecay, eps } = group;
    const sum = this.buffer(state, 'sum', p, group.initialAccumulatorValue);
    const stepSize = lr / (1 + (state.step - 1) * lrDecay);
    const n = p.length;
    for (let i = 0; i < n; i++) {
      const gi = weightDecay === 0 ? g[i]! : g[i]! + weightDecay * p[i]!;
      sum[i] = sum[i]! + gi * gi;
      p[i] = p[i]! + (-stepSize * gi) / (Math.sqrt(sum[i]!) + eps);
    }
  }
}
