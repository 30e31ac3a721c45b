import { ArgumentError, KilnError } from '../../errors.js';
import { Optimizer } from '../optimizer.js';
import { checkNumber, describeKind } from '../validate.js';

/** What {@link LRScheduler.stateDict} returns: plain numbers, JSON-serializable. */
export interface LRSchedulerStateDict {
  /** The step the current learning rates belong to (0 right after construction). */
  lastStep: number;
  /** Each group's base learning rate. */
  baseLrs: number[];
}

/**
 * Base class of the learning-rate schedules that compute every group's lr from the step count and the
 * group's base lr (its lr when the scheduler was created), in closed form. Creating a scheduler applies
 * step 0's learning rates; each {@link step} moves to the next step and writes the new rates into the
 * optimizer's groups, so an lr set by hand is overwritten at the next step. Use one such scheduler per
 * optimizer: to combine a warm-up with cosine annealing use {@link CosineAnnealingLR}'s warm-up option.
 *
 * Call `step()` once per epoch after the epoch's optimizer steps, or once per batch after
 * `optimizer.step()` for schedules counted in batches (warm-up, one-cycle); the schedule's lengths are in
 * the same unit.
 *
 * A subclass computes the rate in {@link lrAt} and calls {@link start} at the end of its constructor, once
 * its own fields are set.
 */
export abstract class LRScheduler {
  /** The scheduler's name, used in error messages. */
  readonly name: string;
  readonly optimizer: Optimizer;
  private bases: number[];
  private last = -1;
  private lastLrs: number[] = [];

  protected constructor(name: string, optimizer: Optimizer) {
    if (!(optimizer instanceof Optimizer)) throw new ArgumentError(`${name}: expected an optimizer, got ${describeKind(optimizer)}`);
    this.name = name;
    this.optimizer = optimizer;
    this.bases = optimizer.paramGroups.map((g) => g.lr);
  }

  /** Each group's base learning rate: its lr when the scheduler was created. */
  get baseLrs(): number[] {
    return [...this.bases];
  }

  /** The step the current learning rates belong to: 0 after construction, +1 per {@link step}. */
  get lastStep(): number {
    return this.last;
  }

  /** Moves to the next step and sets every group's lr. */
  step(): void {
    if (this.last < 0) throw new KilnError(`${this.name}: the scheduler never started; a subclass must call start() at the end of its constructor`);
    this.apply(this.last + 1);
  }

  /** The learning rate of each group as last set by this scheduler. */
  getLastLr(): number[] {
    return [...this.lastLrs];
  }

  /** The step count and base learning rates, to resume with {@link loadStateDict}. */
  stateDict(): LRSchedulerStateDict {
    return { lastStep: this.last, baseLrs: [...this.bases] };
  }

  /**
   * Resumes from a {@link stateDict} of a scheduler built with the same options over the same param
   * groups, and sets the groups' learning rates of that step. Nothing changes when the state does not fit.
   */
  loadStateDict(state: LRSchedulerStateDict): void {
    const where = `${this.name}.loadStateDict`;
    if (state === null || typeof state !== 'object' || !Array.isArray(state.baseLrs)) {
      throw new ArgumentError(`${where}: expected { lastStep, baseLrs } as returned by stateDict(), got ${describeKind(state)}`);
    }
    const step = checkNumber(state.lastStep, 'lastStep', where, { min: 0, integer: true });
    if (state.baseLrs.length !== this.bases.length) {
      throw new ArgumentError(`${where}: the state has ${state.baseLrs.length} base learning rates, the optimizer has ${this.bases.length} param groups`);
    }
    const bases = state.baseLrs.map((lr, i) => checkNumber(lr, `baseLrs[${i}]`, where, { min: 0 }));
    const previous = this.bases;
    this.bases = bases;
    try {
      this.apply(step);
    } catch (error) {
      this.bases = previous;
      throw error;
    }
  }

  /** Sets step 0's learning rates; subclasses call it once at the end of their constructor. */
  protected start(): void {
    this.apply(0);
  }

  /** The learning rate of group `group` at `step`, given its base lr. */
  protected abstract lrAt(baseLr: number, step: number, group: number): number;

  /** Computes every group's lr at `step` and writes them into the optimizer. */
  protected apply(step: number): void {
    const groups = this.optimizer.paramGroups;
    if (groups.length !== this.bases.length) {
      throw new ArgumentError(
        `${this.name}: the optimizer has ${groups.length} param groups but the scheduler was created for ${this.bases.length}; ` +
          'create the scheduler after adding param groups',
      );
    }
    const lrs = groups.map((_, i) => this.lrAt(this.bases[i]!, step, i));
    groups.forEach((group, i) => (group.lr = lrs[i]!));
    this.last = step;
    this.lastLrs = lrs;
  }
}
