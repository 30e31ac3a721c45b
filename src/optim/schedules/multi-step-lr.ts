import type { Optimizer } from '../optimizer.js';
import { ArgumentError } from '../../errors.js';
import { checkNumber, describeKind } from '../validate.js';
import { LRScheduler } from './lr-scheduler.js';

/** Options of {@link MultiStepLR}. */
export interface MultiStepLROptions {
  /** Steps at which the learning rate decays (non-negative integers; a repeated one decays twice). */
  milestones: readonly number[];
  /** Factor applied at each milestone; default 0.1. */
  gamma?: number;
}

/** Multiplies the learning rate by gamma at each milestone: lr = base · gamma^(milestones ≤ step). */
export class MultiStepLR extends LRScheduler {
  /** The milestones, sorted. */
  readonly milestones: readonly number[];
  readonly gamma: number;

  constructor(optimizer: Optimizer, options: MultiStepLROptions) {
    super('MultiStepLR', optimizer);
    if (!Array.isArray(options.milestones)) {
      throw new ArgumentError(`MultiStepLR: milestones must be an array of step numbers, got ${describeKind(options.milestones)}`);
    }
    this.milestones = Object.freeze(
      options.milestones.map((m, i) => checkNumber(m, `milestones[${i}]`, 'MultiStepLR', { min: 0, integer: true })).sort((a, b) => a - b),
    );
    this.gamma = checkNumber(options.gamma ?? 0.1, 'gamma', 'MultiStepLR', { min: 0 });
    this.start();
  }

  protected lrAt(baseLr: number, step: number): number {
    let passed = 0;
    while (passed < this.milestones.length && this.milestones[passed]! <= step) passed++;
    return baseLr * this.gamma ** passed;
  }
}
