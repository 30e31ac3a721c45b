import { AdamBase, type AdamGroup } from './adam.js';
import type { OptimizerParams } from './optimizer.js';

/** Options of {@link AdamW}; they are also the defaults of its param groups. */
export interface AdamWOptions {
  /** Learning rate; default 1e-3. */
  lr?: number;
  /** Decay rates of the moment estimates; default [0.9, 0.999]. */
  betas?: [number, number];
  /** Added to the denominator (outside the square root); default 1e-8. */
  eps?: number;
  /** Decoupled weight decay: each update first scales p by 1 − lr·weightDecay. Default 1e-2, as in PyTorch. */
  weightDecay?: number;
  /** Normalize by the largest second moment seen so far (AMSGrad); default false. */
  amsgrad?: boolean;
}

/**
 * AdamW (Loshchilov & Hutter): Adam with decoupled weight decay, PyTorch 1.13's update: p *= 1 − lr·wd,
 * then the Adam step with the raw gradient (see {@link Adam}). Weight decay is on by default (1e-2).
 */
export class AdamW extends AdamBase {
  constructor(params: OptimizerParams<AdamGroup>, options: AdamWOptions = {}) {
    super(
      'AdamW',
      params,
      { lr: options.lr ?? 1e-3, betas: options.betas ?? [0.9, 0.999], eps: options.eps ?? 1e-8, weightDecay: options.weightDecay ?? 1e-2, amsgrad: options.amsgrad ?? false },
      true,
    );
  }
}
