import { ArgumentError } from '../../errors.js';
import type { Optimizer, ParamGroup } from '../optimizer.js';
import { checkBoolean, checkChoice, checkNumber } from '../validate.js';
import { LRScheduler } from './lr-scheduler.js';

/** Options of {@link OneCycleLR}. */
export interface OneCycleLROptions {
  /** The peak learning rate, for all groups or one per group. */
  maxLr: number | readonly number[];
  /** Length of the cycle in steps (usually batches × epochs). */
  totalSteps: number;
  /** Fraction of the cycle spent rising to maxLr, in [0, 1); default 0.3. */
  pctStart?: number;
  /** Shape of both phases; default 'cos'. */
  annealStrategy?: 'cos' | 'linear';
  /** The cycle starts at maxLr / divFactor; default 25. */
  divFactor?: number;
  /** The cycle ends at maxLr / (divFactor · finalDivFactor); default 1e4. */
  finalDivFactor?: number;
  /**
   * Cycle the momentum inversely to the lr, from maxMomentum down to baseMomentum and back: SGD's and
   * RMSprop's `momentum`, Adam's and AdamW's beta1. Default true, as in PyTorch; set false for Adagrad.
   */
  cycleMomentum?: boolean;
  /** Momentum at the peak lr; default 0.85. */
  baseMomentum?: number;
  /** Momentum at the start and end of the cycle; default 0.95. */
  maxMomentum?: number;
}

type MomentumGroup = ParamGroup & { momentum?: number; betas?: [number, number] };

/**
 * The 1cycle policy (Smith & Topin), PyTorch 1.13's two-phase `OneCycleLR`: the lr anneals from
 * maxLr/divFactor up to maxLr over the first pctStart · totalSteps − 1 steps, then down to
 * maxLr/(divFactor · finalDivFactor) at step totalSteps − 1, by half-cosine or linearly; the momentum
 * (when cycled) does the opposite. The optimizer's own lr is ignored. Call `step()` after every batch.
 * As in PyTorch, one step past the cycle (step totalSteps, reached by stepping after the last batch) is
 * allowed, its lr extrapolated and meant to go unused; stepping further throws.
 */
export class OneCycleLR extends LRScheduler {
  readonly totalSteps: number;
  readonly pctStart: number;
  readonly annealStrategy: 'cos' | 'linear';
  readonly cycleMomentum: boolean;
  readonly baseMomentum: number;
  readonly maxMomentum: number;
  /** Per group: the starting, peak and final learning rates. */
  private readonly initialLrs: readonly number[];
  private readonly maxLrs: readonly number[];
  private readonly minLrs: readonly number[];

  constructor(optimizer: Optimizer, options: OneCycleLROptions) {
    super('OneCycleLR', optimizer);
    const where = 'OneCycleLR';
    const groups = optimizer.paramGroups.length;
    const maxLr = options.maxLr;
    if (Array.isArray(maxLr) && maxLr.length !== groups) {
      throw new ArgumentError(`${where}: maxLr has ${maxLr.length} values but the optimizer has ${groups} param groups`);
    }
    this.maxLrs = Array.from({ length: groups }, (_, i) =>
      Array.isArray(maxLr) ? checkNumber(maxLr[i], `maxLr[${i}]`, where, { min: 0 }) : checkNumber(maxLr, 'maxLr', where, { min: 0 }),
    );
    this.totalSteps = checkNumber(options.totalSteps, 'totalSteps', where, { min: 1, integer: true });
    this.pctStart = checkNumber(options.pctStart ?? 0.3, 'pctStart', where, { min: 0, max: 1, maxExclusive: true });
    if (this.pctStart * this.totalSteps === 1) {
      throw new ArgumentError(`${where}: pctStart · totalSteps = 1 leaves the rising phase no length; choose a pctStart that gives 0 or at least 2 steps`);
    }
    this.annealStrategy = checkChoice(options.annealStrategy ?? 'cos', 'annealStrategy', where, ['cos', 'linear'] as const);
    const divFactor = checkNumber(options.divFactor ?? 25, 'divFactor', where, { min: 0, minExclusive: true });
    const finalDivFactor = checkNumber(options.finalDivFactor ?? 1e4, 'finalDivFactor', where, { min: 0, minExclusive: true });
    this.initialLrs = this.maxLrs.map((lr) => lr / divFactor);
    this.minLrs = this.initialLrs.map((lr) => lr / finalDivFactor);
    this.cycleMomentum = checkBoolean(options.cycleMomentum ?? true, 'cycleMomentum', where);
    this.baseMomentum = checkNumber(options.baseMomentum ?? 0.85, 'baseMomentum', where, { min: 0, max: 1, maxExclusive: true });
    this.maxMomentum = checkNumber(options.maxMomentum ?? 0.95, 'maxMomentum', where, { min: 0, max: 1, maxExclusive: true });
    if (this.cycleMomentum) {
      optimizer.paramGroups.forEach((group, i) => {
        if (!Object.hasOwn(group, 'betas') && !Object.hasOwn(group, 'momentum')) {
          throw new ArgumentError(
            `${where}: cycleMomentum needs groups with a momentum (SGD, RMSprop) or betas (Adam, AdamW), but param group ${i} of ` +
              `${optimizer.name} has neither; pass cycleMomentum: false`,
          );
        }
      });
    }
    this.start();
  }

  protected override apply(step: number): void {
    if (step > this.totalSteps) {
      throw new ArgumentError(`OneCycleLR: stepped to step ${step}, past the cycle of totalSteps = ${this.totalSteps} steps`);
    }
    super.apply(step);
    if (!this.cycleMomentum) return;
    const [phase, pct] = this.position(step);
    const momentum = phase === 0 ? this.anneal(this.maxMomentum, this.baseMomentum, pct) : this.anneal(this.baseMomentum, this.maxMomentum, pct);
    for (const group of this.optimizer.paramGroups as MomentumGroup[]) {
      if (group.betas !== undefined) group.betas = [momentum, group.betas[1]];
      else group.momentum = momentum;
    }
  }

  protected lrAt(_baseLr: number, step: number, group: number): number {
    const [phase, pct] = this.position(step);
    return phase === 0 ? this.anneal(this.initialLrs[group]!, this.maxLrs[group]!, pct) : this.anneal(this.maxLrs[group]!, this.minLrs[group]!, pct);
  }

  /** The phase (0 rising, 1 falling) `step` is in and the fraction of it done, as PyTorch computes them. */
  private position(step: number): [phase: number, pct: number] {
    const risingEnd = this.pctStart * this.totalSteps - 1;
    if (step <= risingEnd) return [0, step / risingEnd];
    return [1, (step - risingEnd) / (this.totalSteps - 1 - risingEnd)];
  }

  private anneal(start: number, end: number, pct: number): number {
    return this.annealStrategy === 'cos' ? end + ((start - end) / 2) * (Math.cos(Math.PI * pct) + 1) : (end - start) * pct + start;
  }
}
