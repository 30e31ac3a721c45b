import type { Optimizer } from '../optimizer.js';
import { checkNumber } from '../validate.js';
import { LRScheduler } from './lr-scheduler.js';

/** Options of {@link StepLR}. */
export interface StepLROptions {
  /** Steps between two decays (a positive integer). */
  stepSize: number;
  /** Factor applied at each decay; default 0.1. */
  gamma?: number;
}

/** Multiplies the learning rate by gamma every `stepSize` steps: lr = base · gamma^⌊step / stepSize⌋. */
export class StepLR extends LRScheduler {
  readonly stepSize: number;
  readonly gamma: number;

  constructor(optimizer: Optimizer, options: StepLROptions) {
    super('StepLR', optimizer);
    this.stepSize = checkNumber(options.stepSize, 'stepSize', 'StepLR', { min: 1, integer: true });
    this.gamma = checkNumber(options.gamma ?? 0.1, 'gamma', 'StepLR', { min: 0 });
    this.start();
  }

  protected lrAt(baseLr: number, step: number): number {
    return baseLr * this.gamma ** Math.floor(step / this.stepSize);
  }
}
