import type { Optimizer } from '../optimizer.js';
import { checkNumber } from '../validate.js';
import { LRScheduler } from './lr-scheduler.js';

/** Options of {@link ExponentialLR}. */
export interface ExponentialLROptions {
  /** Factor applied every step. */
  gamma: number;
}

/** Multiplies the learning rate by gamma every step: lr = base · gamma^step. */
export class ExponentialLR extends LRScheduler {
  readonly gamma: number;

  constructor(optimizer: Optimizer, options: ExponentialLROptions) {
    super('ExponentialLR', optimizer);
    this.gamma = checkNumber(options.gamma, 'gamma', 'ExponentialLR', { min: 0 });
    this.start();
  }

  protected lrAt(baseLr: number, step: number): number {
    return baseLr * this.gamma ** step;
  }
}
