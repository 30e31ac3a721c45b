/**
 * When pruning happens during training, and how far: a schedule maps the optimizer step to the sparsity
 * the masks are brought to at that step, or to null when the masks are left as they are.
 */
import { ArgumentError } from '../../errors.js';
import { checkSparsity } from './magnitude.js';

/** A pruning schedule (see {@link oneShot}, {@link iterative}, {@link polynomialDecay}). */
export interface PruningSchedule {
  /** A short description for logs (`polynomial 0→0.75, steps 0–1000 every 100`). */
  readonly description: string;
  /** The sparsity reached once the schedule is done. */
  readonly finalSparsity: number;
  /**
   * The sparsity the masks are updated to before optimizer step `step` (0-based: `step` steps have
   * been taken), or null when this step does not update them.
   */
  sparsityAt(step: number): number | null;
}

function checkStep(value: number, name: string, what: string): void {
  if (!Number.isInteger(value) || value < 0) throw new ArgumentError(`${what}: ${name} must be a whole number ≥ 0, got ${value}`);
}

/** Options of {@link oneShot}. */
export interface OneShotOptions {
  sparsity: number;
  /** The step at which the weights are pruned (default 0: before training). */
  step?: number;
}

/** Prunes to `sparsity` once, at `step`; the masks then stay fixed while the rest fine-tunes. */
export function oneShot(options: OneShotOptions): PruningSchedule {
  const { sparsity, step = 0 } = options;
  checkSparsity(sparsity, 'oneShot');
  checkStep(step, 'step', 'oneShot');
  return {
    description: `one-shot ${sparsity} at step ${step}`,
    finalSparsity: sparsity,
    sparsityAt: (s) => (s === step ? sparsity : null),
  };
}

/** Options of {@link iterative}. */
export interface IterativeOptions {
  /** The sparsity after the last round. */
  sparsity: number;
  /** How many pruning rounds (≥ 1). */
  rounds: number;
  /** The step of the first round (default 0). */
  beginStep?: number;
  /** The step of the last round; rounds are spread evenly from beginStep to it. */
  endStep: number;
}

/**
 * Iterative magnitude pruning (Han et al. 2015; Frankle & Carbin 2019): `rounds` pruning steps spread
 * evenly over [beginStep, endStep], each removing the same fraction of the weights still left, so round
 * i of k reaches 1 − (1 − sparsity)^(i/k); training in between lets the rest recover.
 */
export function iterative(options: IterativeOptions): PruningSchedule {
  const { sparsity, rounds, beginStep = 0, endStep } = options;
  const what = 'iterative';
  checkSparsity(sparsity, what);
  if (!Number.isInteger(rounds) || rounds < 1) throw new ArgumentError(`${what}: rounds must be a whole number ≥ 1, got ${rounds}`);
  checkStep(beginStep, 'beginStep', what);
  checkStep(endStep, 'endStep', what);
  if (endStep < beginStep) throw new ArgumentError(`${what}: endStep (${endStep}) must not come before beginStep (${beginStep})`);
  const steps = new Map<number, number>();
  for (let i = 1; i <= rounds; i++) {
    const step = rounds === 1 ? endStep : beginStep + Math.round(((i - 1) * (endStep - beginStep)) / (rounds - 1));
    steps.set(step, 1 - (1 - sparsity) ** (i / rounds));
  }
  return {
    description: `iterative ${sparsity} in ${rounds} round${rounds === 1 ? '' : 's'}, steps ${beginStep}–${endStep}`,
    finalSparsity: sparsity,
    sparsityAt: (s) => steps.get(s) ?? null,
  };
}

/** Options of {@link polynomialDecay}, named as TensorFlow Model Optimization's `PolynomialDecay`. */
export interface PolynomialDecayOptions {
  /** Sparsity at beginStep (default 0). */
  initialSparsity?: number;
  finalSparsity: number;
  /** First step that prunes (default 0). */
  beginStep?: number;
  /** Step at which finalSparsity is reached; no update after it. */
  endStep: number;
  /** Exponent of the decay (default 3: prune fast early, gently near the end). */
  power?: number;
  /** Steps between mask updates (default 100). */
  frequency?: number;
}

/**
 * Gradual pruning (Zhu & Gupta 2017) with TF Model Optimization's semantics: at steps s in
 * [beginStep, endStep] with (s − beginStep) divisible by frequency, the sparsity becomes
 * final + (initial − final) · (1 − p)^power with p = (s − beginStep) / (endStep − beginStep). As in TF,
 * the final sparsity is set only if endStep − beginStep is a multiple of frequency; choose them so.
 */
export function polynomialDecay(options: PolynomialDecayOptions): PruningSchedule {
  const { initialSparsity = 0, finalSparsity, beginStep = 0, endStep, power = 3, frequency = 100 } = options;
  const what = 'polynomialDecay';
  checkSparsity(initialSparsity, what);
  checkSparsity(finalSparsity, what);
  checkStep(beginStep, 'beginStep', what);
  checkStep(endStep, 'endStep', what);
  if (endStep <= beginStep) throw new ArgumentError(`${what}: endStep (${endStep}) must come after beginStep (${beginStep})`);
  if (!Number.isInteger(frequency) || frequency < 1) throw new ArgumentError(`${what}: frequency must be a whole number ≥ 1, got ${frequency}`);
  if (!Number.isFinite(power) || power <= 0) throw new ArgumentError(`${what}: power must be a positive number, got ${power}`);
  return {
    description: `polynomial ${initialSparsity}→${finalSparsity}, steps ${beginStep}–${endStep} every ${frequency}, power ${power}`,
    finalSparsity,
    sparsityAt: (s) => {
      if (s < beginStep || s > endStep || (s - beginStep) % frequency !== 0) return null;
      const p = Math.min(1, Math.max(0, (s - beginStep) / (endStep - beginStep)));
      return finalSparsity + (initialSparsity - finalSparsity) * (1 - p) ** power;
    },
  };
}
