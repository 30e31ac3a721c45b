import type { FloatArray } from '../backend/backend.js';
import { Optimizer, type Hyperparameters, type OptimizerParams, type ParamGroup, type ParamState } from './optimizer.js';
import { checkBoolean, checkNumber } from './validate.js';

/** A param group of {@link RMSprop}. */
export interface RMSpropGroup extends ParamGroup {
  alpha: number;
  eps: number;
  momentum: number;
  centered: boolean;
}

/** Options of {@link RMSprop}; they are also the defaults of its param groups. */
export interface RMSpropOptions {
  /** Learning rate; default 1e-2. */
  lr?: number;
  /** Smoothing constant of the running average of squared gradients; default 0.99. */
  alpha?: number;
  /** Added to the denominator after the square root; default 1e-8. */
  eps?: number;
  /** L2 penalty added to the gradient: g + weightDecay · p. Default 0. */
  weightDecay?: number;
  /** Momentum factor applied to the normalized gradient; default 0. */
  momentum?: number;
  /** Normalize by an estimate of the gradient's variance (subtract the squared running mean); default false. */
  centered?: boolean;
}

/**
 * RMSprop with PyTorch 1.13's update: g += wd·p; s = α·s + (1 − α)·g²; centered: a = α·a + (1 − α)·g and
 * d = √(s − a²) + eps, otherwise d = √s + eps; with momentum b = momentum·b + g/d and p −= lr·b,
 * otherwise p −= lr·g/d.
 */
export class RMSprop extends Optimizer<RMSpropGroup> {
  protected readonly bufferNames = ['squareAvg', 'gradAvg', 'momentumBuffer'];

  constructor(params: OptimizerParams<RMSpropGroup>, options: RMSpropOptions = {}) {
    super('RMSprop', params, {
      lr: options.lr ?? 1e-2,
      alpha: options.alpha ?? 0.99,
      eps: options.eps ?? 1e-8,
      weightDecay: options.weightDecay ?? 0,
      momentum: options.momentum ?? 0,
      centered: options.centered ?? false,
    });
  }

  protected validateHyperparameters(h: Hyperparameters<RMSpropGroup>, where: string): void {
    checkNumber(h.lr, 'lr', where, { min: 0 });
    checkNumber(h.alpha, 'alpha', where, { min: 0, max: 1 });
    checkNumber(h.eps, 'eps', where, { min: 0 });
    checkNumber(h.weightDecay, 'weightDecay', where, { min: 0 });
    checkNumber(h.momentum, 'momentum', where, { min: 0 });
    checkBoolean(h.centered, 'centered', where);
  }

  protected updateParameter(p: FloatArray, g: FloatArray, state: ParamState, group: RMSpropGroup): void {
    const { lr, alpha, eps, weightDecay, momentum } = group;
    const squareAvg = this.buffer(state, 'squareAvg', p);
    const gradAvg = group.centered ? this.buffer(state, 'gradAvg', p) : null;
    const buffer = momentum > 0 ? this.buffer(state, 'momentumBuffer', p) : null;
    const n = p.length;
    for (let i = 0; i < n; i++) {
      const gi = weightDecay === 0 ? g[i]! : g[i]! + weightDecay * p[i]!;
      squareAvg[i] = squareAvg[i]! * alpha + (1 - alpha) * gi * gi;
      let avg: number;
      if (gradAvg !== null) {
        gradAvg[i] = gradAvg[i]! * alpha + (1 - alpha) * gi;
        avg = Math.sqrt(squareAvg[i]! - gradAvg[i]! * gradAvg[i]!) + eps;
      } else {
        avg = Math.sqrt(squareAvg[i]!) + eps;
      }
      if (buffer !== null) {
        buffer[i] = buffer[i]! * momentum + gi / avg;
        p[i] = p[i]! - lr * buffer[i]!;
      } else {
        p[i] = p[i]! + (-lr * gi) / avg;
      }
    }
  }
}
