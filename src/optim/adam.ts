import type { FloatArray } from '../backend/backend.js';
import { getBackend } from '../backend/registry.js';
import { ArgumentError } from '../errors.js';
import { Optimizer, type Hyperparameters, type OptimizerParams, type ParamGroup, type ParamState } from './optimizer.js';
import { checkBoolean, checkNumber, formatValue } from './validate.js';

/** A param group of {@link Adam} and {@link AdamW}. */
export interface AdamGroup extends ParamGroup {
  /** Decay rates of the first and second moment estimates, each in [0, 1). */
  betas: [number, number];
  eps: number;
  amsgrad: boolean;
}

/** Options of {@link Adam}; they are also the defaults of its param groups. */
export interface AdamOptions {
  /** Learning rate; default 1e-3. */
  lr?: number;
  /** Decay rates of the moment estimates; default [0.9, 0.999]. */
  betas?: [number, number];
  /** Added to the denominator (outside the square root); default 1e-8. */
  eps?: number;
  /** L2 penalty added to the gradient: g + weightDecay · p. Default 0 (see {@link AdamW} for decoupled decay). */
  weightDecay?: number;
  /** Normalize by the largest second moment seen so far (AMSGrad); default false. */
  amsgrad?: boolean;
}

/**
 * The update shared by {@link Adam} and {@link AdamW} (PyTorch 1.13, single-tensor path); they differ
 * only in how weight decay enters. Not exported from the package: use Adam or AdamW.
 */
export abstract class AdamBase extends Optimizer<AdamGroup> {
  protected readonly bufferNames = ['expAvg', 'expAvgSq', 'maxExpAvgSq'];
  /** AdamW: scale p by 1 − lr·wd before the update; Adam: add wd·p to the gradient. */
  private readonly decoupledWeightDecay: boolean;

  protected constructor(name: string, params: OptimizerParams<AdamGroup>, defaults: Hyperparameters<AdamGroup>, decoupledWeightDecay: boolean) {
    super(name, params, defaults);
    this.decoupledWeightDecay = decoupledWeightDecay;
  }

  protected validateHyperparameters(h: Hyperparameters<AdamGroup>, where: string): void {
    checkNumber(h.lr, 'lr', where, { min: 0 });
    checkNumber(h.eps, 'eps', where, { min: 0 });
    checkNumber(h.weightDecay, 'weightDecay', where, { min: 0 });
    checkBoolean(h.amsgrad, 'amsgrad', where);
    if (!Array.isArray(h.betas) || h.betas.length !== 2) {
      throw new ArgumentError(`${where}: betas must be a pair [beta1, beta2], got ${formatValue(h.betas)}`);
    }
    checkNumber(h.betas[0], 'betas[0]', where, { min: 0, max: 1, maxExclusive: true });
    checkNumber(h.betas[1], 'betas[1]', where, { min: 0, max: 1, maxExclusive: true });
  }

  protected updateParameter(p: FloatArray, g: FloatArray, state: ParamState, group: AdamGroup): void {
    const { lr, eps, weightDecay, amsgrad } = group;
    const [beta1, beta2] = group.betas;
    const m = this.buffer(state, 'expAvg', p);
    const v = this.buffer(state, 'expAvgSq', p);
    const vMax = amsgrad ? this.buffer(state, 'maxExpAvgSq', p) : null;
    // One pass over p, g and the moments in the backend (native: one loop in C++, same results).
    getBackend().adamUpdate(
      {
        lr,
        beta1,
        beta2,
        eps,
        weightDecay,
        decoupled: this.decoupledWeightDecay,
        stepSize: lr / (1 - beta1 ** state.step),
        biasCorrection2Sqrt: Math.sqrt(1 - beta2 ** state.step),
      },
      p,
      g,
      m,
      v,
      vMax,
    );
  }
}

/**
 * Adam (Kingma & Ba) with optional L2 weight decay and AMSGrad, with PyTorch 1.13's update:
 * g += wd·p; m = β1·m + (1 − β1)·g; v = β2·v + (1 − β2)·g²; (AMSGrad: v̂ = max(v̂, v));
 * p −= lr/(1 − β1ᵗ) · m / (√v / √(1 − β2ᵗ) + eps), with t the parameter's own step count.
 */
export class Adam extends AdamBase {
  constructor(params: OptimizerParams<AdamGroup>, options: AdamOptions = {}) {
    super(
      'Adam',
      params,
      { lr: options.lr ?? 1e-3, betas: options.betas ?? [0.9, 0.999], eps: options.eps ?? 1e-8, weightDecay: options.weightDecay ?? 0, amsgrad: options.amsgrad ?? false },
      false,
    );
  }
}
