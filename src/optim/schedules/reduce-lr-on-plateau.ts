import { ArgumentError } from '../../errors.js';
import { Optimizer } from '../optimizer.js';
import { checkChoice, checkNumber, describeKind, formatValue } from '../validate.js';

/** Options of {@link ReduceLROnPlateau}. */
export interface ReduceLROnPlateauOptions {
  /** 'min' when a lower metric is better (a loss), 'max' when higher is better (an accuracy); default 'min'. */
  mode?: 'min' | 'max';
  /** Factor applied to the lr on a plateau, in [0, 1); default 0.1. */
  factor?: number;
  /** Steps without improvement tolerated before reducing (the next one reduces); default 10. */
  patience?: number;
  /** How much better than the best a metric must be to count as an improvement; default 1e-4. */
  threshold?: number;
  /** 'rel': better than best · (1 ∓ threshold); 'abs': better than best ∓ threshold. Default 'rel'. */
  thresholdMode?: 'rel' | 'abs';
  /** Steps after a reduction during which bad steps are not counted; default 0. */
  cooldown?: number;
  /** Lower bound of the lr, for all groups or one per group; default 0. */
  minLr?: number | readonly number[];
  /** A reduction smaller than this is skipped; default 1e-8. */
  eps?: number;
}

/** What {@link ReduceLROnPlateau.stateDict} returns: plain numbers, JSON-serializable. */
export interface ReduceLROnPlateauStateDict {
  /** Number of metrics seen. */
  lastStep: number;
  /** The best metric so far; null before the first one counted as an improvement. */
  best: number | null;
  numBadSteps: number;
  cooldownCounter: number;
}

/**
 * Reduces every group's lr by `factor` when a metric has stopped improving for more than `patience`
 * steps, as PyTorch 1.13's `ReduceLROnPlateau` does. Call `step(metric)` once per epoch with the
 * validation metric. Unlike the other schedules it reads and scales the optimizer's current lr, so it
 * combines with an lr set by hand. A NaN metric counts as no improvement.
 */
export class ReduceLROnPlateau {
  readonly optimizer: Optimizer;
  readonly mode: 'min' | 'max';
  readonly factor: number;
  readonly patience: number;
  readonly threshold: number;
  readonly thresholdMode: 'rel' | 'abs';
  readonly cooldown: number;
  /** Lower bound of each group's lr. */
  readonly minLrs: readonly number[];
  readonly eps: number;
  private best: number;
  private numBadSteps = 0;
  private cooldownCounter = 0;
  private last = 0;
  private lastLrs: number[];

  constructor(optimizer: Optimizer, options: ReduceLROnPlateauOptions = {}) {
    const where = 'ReduceLROnPlateau';
    if (!(optimizer instanceof Optimizer)) throw new ArgumentError(`${where}: expected an optimizer, got ${describeKind(optimizer)}`);
    this.optimizer = optimizer;
    this.mode = checkChoice(options.mode ?? 'min', 'mode', where, ['min', 'max'] as const);
    this.factor = checkNumber(options.factor ?? 0.1, 'factor', where, { min: 0, max: 1, maxExclusive: true });
    this.patience = checkNumber(options.patience ?? 10, 'patience', where, { min: 0, integer: true });
    this.threshold = checkNumber(options.threshold ?? 1e-4, 'threshold', where, { min: 0 });
    this.thresholdMode = checkChoice(options.thresholdMode ?? 'rel', 'thresholdMode', where, ['rel', 'abs'] as const);
    this.cooldown = checkNumber(options.cooldown ?? 0, 'cooldown', where, { min: 0, integer: true });
    this.eps = checkNumber(options.eps ?? 1e-8, 'eps', where, { min: 0 });
    const groups = optimizer.paramGroups.length;
    const minLr = options.minLr ?? 0;
    if (Array.isArray(minLr) && minLr.length !== groups) {
      throw new ArgumentError(`${where}: minLr has ${minLr.length} values but the optimizer has ${groups} param groups`);
    }
    this.minLrs = Array.from({ length: groups }, (_, i) =>
      Array.isArray(minLr) ? checkNumber(minLr[i], `minLr[${i}]`, where, { min: 0 }) : checkNumber(minLr, 'minLr', where, { min: 0 }),
    );
    this.best = this.worst();
    this.lastLrs = optimizer.paramGroups.map((g) => g.lr);
  }

  /** Number of metrics seen so far. */
  get lastStep(): number {
    return this.last;
  }

  /** Records the metric of one step (epoch) and reduces the learning rates when it has plateaued. */
  step(metric: number): void {
    if (typeof metric !== 'number') throw new ArgumentError(`ReduceLROnPlateau.step: metric must be a number, got ${formatValue(metric)}`);
    const groups = this.optimizer.paramGroups;
    if (groups.length !== this.minLrs.length) {
      throw new ArgumentError(
        `ReduceLROnPlateau: the optimizer has ${groups.length} param groups but the scheduler was created for ${this.minLrs.length}; ` +
          'create the scheduler after adding param groups',
      );
    }
    this.last += 1;
    if (this.isBetter(metric)) {
      this.best = metric;
      this.numBadSteps = 0;
    } else {
      this.numBadSteps += 1;
    }
    if (this.cooldownCounter > 0) {
      this.cooldownCounter -= 1;
      this.numBadSteps = 0;
    }
    if (this.numBadSteps > this.patience) {
      groups.forEach((group, i) => {
        const reduced = Math.max(group.lr * this.factor, this.minLrs[i]!);
        if (group.lr - reduced > this.eps) group.lr = reduced;
      });
      this.cooldownCounter = this.cooldown;
      this.numBadSteps = 0;
    }
    this.lastLrs = groups.map((g) => g.lr);
  }

  /** Each group's lr after the last {@link step} (or at construction). */
  getLastLr(): number[] {
    return [...this.lastLrs];
  }

  /** The counters and best metric, to resume with {@link loadStateDict}. */
  stateDict(): ReduceLROnPlateauStateDict {
    return {
      lastStep: this.last,
      best: this.best === this.worst() ? null : this.best,
      numBadSteps: this.numBadSteps,
      cooldownCounter: this.cooldownCounter,
    };
  }

  /**
   * Resumes from a {@link stateDict} of a scheduler built with the same options. The learning rates
   * themselves live in the optimizer: restore its state too.
   */
  loadStateDict(state: ReduceLROnPlateauStateDict): void {
    const where = 'ReduceLROnPlateau.loadStateDict';
    if (state === null || typeof state !== 'object') {
      throw new ArgumentError(`${where}: expected { lastStep, best, numBadSteps, cooldownCounter } as returned by stateDict(), got ${describeKind(state)}`);
    }
    const last = checkNumber(state.lastStep, 'lastStep', where, { min: 0, integer: true });
    const best = state.best === null ? this.worst() : checkNumber(state.best, 'best', where, { allowInfinity: true });
    const numBadSteps = checkNumber(state.numBadSteps, 'numBadSteps', where, { min: 0, integer: true });
    const cooldownCounter = checkNumber(state.cooldownCounter, 'cooldownCounter', where, { min: 0, integer: true });
    this.last = last;
    this.best = best;
    this.numBadSteps = numBadSteps;
    this.cooldownCounter = cooldownCounter;
    this.lastLrs = this.optimizer.paramGroups.map((g) => g.lr);
  }

  /** The best value before any metric: every metric improves on it. */
  private worst(): number {
    return this.mode === 'min' ? Infinity : -Infinity;
  }

  private isBetter(metric: number): boolean {
    const { best, threshold } = this;
    if (this.mode === 'min') return this.thresholdMode === 'rel' ? metric < best * (1 - threshold) : metric < best - threshold;
    return this.thresholdMode === 'rel' ? metric > best * (threshold + 1) : metric > best + threshold;
  }
}
