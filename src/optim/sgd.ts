import type { FloatArray } from '../backend/backend.js';
import { ArgumentError } from '../errors.js';
import { Optimizer, type Hyperparameters, type OptimizerParams, type ParamGroup, type ParamState } from './optimizer.js';
import { checkBoolean, checkNumber } from './validate.js';

/** A param group of {@link SGD}. */
export interface SGDGroup extends ParamGroup {
  momentum: number;
  dampening: number;
  nesterov: boolean;
}

/** Options of {@link SGD}; they are also the defaults of its param groups. */
export interface SGDOptions {
  /** Learning rate (required, as in PyTorch). */
  lr: number;
  /** Momentum factor; 0 (default) is plain gradient descent. */
  momentum?: number;
  /** Fraction of each gradient left out of the momentum buffer, in [0, 1]; default 0. */
  dampening?: number;
  /** Nesterov momentum; needs momentum > 0 and dampening 0. Default false. */
  nesterov?: boolean;
  /** L2 penalty added to the gradient: g + weightDecay · p. Default 0. */
  weightDecay?: number;
}

/**
 * Stochastic gradient descent with optional momentum, dampening, Nesterov momentum and L2 weight decay,
 * with PyTorch 1.13's update: d = g + wd·p; with momentum, b = d on a parameter's first update and
 * b = momentum·b + (1 − dampening)·d after that, then d = d + momentum·b (Nesterov) or d = b; p −= lr·d.
 */
export class SGD extends Optimizer<SGDGroup> {
  protected readonly bufferNames = ['momentumBuffer'];

  constructor(params: OptimizerParams<SGDGroup>, options: SGDOptions) {
    super('SGD', params, {
      lr: options.lr,
      momentum: options.momentum ?? 0,
      dampening: options.dampening ?? 0,
      nesterov: options.nesterov ?? false,
      weightDecay: options.weightDecay ?? 0,
    });
  }

  protected validateHyperparameters(h: Hyperparameters<SGDGroup>, where: string): void {
    checkNumber(h.lr, 'lr', where, { min: 0 });
    checkNumber(h.momentum, 'momentum', where, { min: 0 });
    checkNumber(h.dampening, 'dampening', where, { min: 0, max: 1 });
    checkNumber(h.weightDecay, 'weightDecay', where, { min: 0 });
    if (checkBoolean(h.nesterov, 'nesterov', where) && (h.momentum === 0 || h.dampening !== 0)) {
      throw new ArgumentError(`${where}: nesterov needs momentum > 0 and dampening 0, got momentum ${h.momentum} and dampening ${h.dampening}`);
    }
  }

  protected updateParameter(p: FloatArray, g: FloatArray, state: ParamState, group: SGDGroup): void {
    const { lr, momentum, dampening, nesterov, weightDecay } = group;
    const n = p.length;
    if (momentum === 0) {
      for (let i = 0; i < n; i++) {
        const d = weightDecay === 0 ? g[i]! : g[i]! + weightDecay * p[i]!;
        p[i] = p[i]! - lr * d;
      }
      return;
    }
    // The buffer starts as a copy of the first (decayed) gradient, not as momentum times zero.
    const first = state.buffers.momentumBuffer === undefined;
    const buffer = this.buffer(state, 'momentumBuffer', p);
    for (let i = 0; i < n; i++) {
      const d = weightDecay === 0 ? g[i]! : g[i]! + weightDecay * p[i]!;
      buffer[i] = first ? d : buffer[i]! * momentum + (1 - dampening) * d;
      p[i] = p[i]! - lr * (nesterov ? d + momentum * buffer[i]! : buffer[i]!);
    }
  }
}
