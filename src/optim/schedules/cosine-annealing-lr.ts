import type { Optimizer } from '../optimizer.js';
import { checkNumber } from '../validate.js';
import { LRScheduler } from './lr-scheduler.js';

/** Options of {@link CosineAnnealingLR}. */
export interface CosineAnnealingLROptions {
  /** Length of the cosine half-period in steps, counted after the warm-up (a positive integer). */
  tMax: number;
  /** The learning rate at the bottom of the cosine; default 0. */
  etaMin?: number;
  /** Steps of linear warm-up before the cosine starts; default 0 (none). */
  warmupSteps?: number;
  /** The warm-up starts at base · warmupStartFactor, in [0, 1]; default 1/3 (PyTorch's LinearLR default). */
  warmupStartFactor?: number;
}

/**
 * Cosine annealing (SGDR without restarts) with an optional linear warm-up, in closed form:
 *
 * - step t < warmupSteps: lr = base · (f + (1 − f) · t / warmupSteps), rising linearly from base · f;
 * - then, with c = t − warmupSteps: lr = etaMin + (base − etaMin) · (1 + cos(π · c / tMax)) / 2.
 *
 * The warm-up is an option of this schedule rather than a wrapper, so that one scheduler owns the lr.
 * The sequence equals PyTorch 1.13's `SequentialLR([LinearLR(f, 1, warmupSteps), CosineAnnealingLR(tMax,
 * etaMin)], [warmupSteps])`, or `CosineAnnealingLR` alone without warm-up. As in PyTorch the cosine
 * continues past tMax (the lr rises again); set tMax to the number of steps after the warm-up. Warm-up is
 * usually counted in batches: then call `step()` after every batch.
 */
export class CosineAnnealingLR extends LRScheduler {
  readonly tMax: number;
  readonly etaMin: number;
  readonly warmupSteps: number;
  readonly warmupStartFactor: number;

  constructor(optimizer: Optimizer, options: CosineAnnealingLROptions) {
    super('CosineAnnealingLR', optimizer);
    this.tMax = checkNumber(options.tMax, 'tMax', 'CosineAnnealingLR', { min: 1, integer: true });
    this.etaMin = checkNumber(options.etaMin ?? 0, 'etaMin', 'CosineAnnealingLR', { min: 0 });
    this.warmupSteps = checkNumber(options.warmupSteps ?? 0, 'warmupSteps', 'CosineAnnealingLR', { min: 0, integer: true });
    this.warmupStartFactor = checkNumber(options.warmupStartFactor ?? 1 / 3, 'warmupStartFactor', 'CosineAnnealingLR', { min: 0, max: 1 });
    this.start();
  }

  protected lrAt(baseLr: number, step: number): number {
    if (step < this.warmupSteps) {
      const f = this.warmupStartFactor;
      return baseLr * (f + ((1 - f) * step) / this.warmupSteps);
    }
    const t = step - this.warmupSteps;
    return this.etaMin + ((baseLr - this.etaMin) * (1 + Math.cos((Math.PI * t) / this.tMax))) / 2;
  }
}
