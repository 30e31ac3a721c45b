import { ArgumentError } from '../../errors.js';
import { logSoftmax } from '../../ops/activations.js';
import { add, div, mul } from '../../ops/arithmetic.js';
import { crossEntropy } from '../../losses/cross-entropy.js';
import { klDivLoss } from '../../losses/kl-div.js';
import type { Tensor } from '../../tensor/tensor.js';

/** Options of {@link distillationLoss}. */
export interface DistillationLossOptions {
  /** Softens both distributions (default 4); higher shows more of the teacher's "dark knowledge". */
  temperature?: number;
  /** Weight of the teacher's term, in [0, 1] (default 0.9); 1 − alpha weighs the true labels. */
  alpha?: number;
}

/** Checks and fills in the distillation settings. */
export function distillationSettings(options: DistillationLossOptions, what: string): { temperature: number; alpha: number } {
  const { temperature = 4, alpha = 0.9 } = options;
  if (typeof temperature !== 'number' || !(temperature > 0) || !Number.isFinite(temperature)) {
    throw new ArgumentError(`${what}: temperature must be a positive number (typically 1–20), got ${temperature}`);
  }
  if (typeof alpha !== 'number' || !(alpha >= 0 && alpha <= 1)) throw new ArgumentError(`${what}: alpha must be in [0, 1], got ${alpha}`);
  return { temperature, alpha };
}

/**
 * The knowledge-distillation loss of Hinton et al. (2015) for logits over dimension 1:
 * alpha · KL(softmax(teacher/T) ‖ softmax(student/T)) · T² + (1 − alpha) · crossEntropy(student, labels).
 * The KL term is per sample ('batchmean') and computed from log-probabilities on both sides, so it stays
 * finite for confident teachers; T² keeps its gradients on the scale of the hard-label term. No gradient
 * reaches the teacher's logits.
 */
export function distillationLoss(student: Tensor, teacher: Tensor, labels: Tensor, options: DistillationLossOptions = {}): Tensor {
  const { temperature, alpha } = distillationSettings(options, 'distillationLoss');
  const soft = klDivLoss(logSoftmax(div(student, temperature), 1), logSoftmax(div(teacher.detach(), temperature), 1), {
    reduction: 'batchmean',
    logTarget: true,
  });
  return add(mul(soft, alpha * temperature * temperature), mul(crossEntropy(student, labels), 1 - alpha));
}
