/**
 * Knowledge distillation with the ordinary training loop: a small student learns from a trained teacher's
 * softened outputs as well as from the labels, with every option and callback of `fit`.
 */
import { noGrad } from '../../autograd/grad-mode.js';
import { ArgumentError } from '../../errors.js';
import { Module } from '../../nn/module.js';
import type { Tensor } from '../../tensor/tensor.js';
import type { History } from '../../train/callbacks/callback.js';
import { fit, type FitOptions } from '../../train/fit.js';
import { distillationLoss, distillationSettings, type DistillationLossOptions } from './distillation-loss.js';

/** Options of {@link distill}: those of `fit` (the loss excepted) plus the two models and the loss's settings. */
export interface DistillOptions extends Omit<FitOptions, 'loss'>, DistillationLossOptions {
  /** The trained model to learn from; it runs in evaluation mode without gradients and is never changed. */
  teacher: Module;
  /** The model trained (its parameters are those the optimizer holds). */
  student: Module;
}

/**
 * Stands in for the student during `fit`: its forward pass also runs the teacher on the same (augmented)
 * batch and keeps the teacher's outputs for the loss. It exposes the student's parameters and buffers
 * under the student's own names, so checkpoints, early stopping and metrics see only the student.
 */
class StudentWithTeacher extends Module {
  // A #private field: Object.entries skips it, so the teacher's outputs never count as a buffer.
  #teacherOutputs: Tensor | null = null;

  constructor(
    private readonly student: Module,
    private readonly teacher: Module,
  ) {
    super();
  }

  forward(x: Tensor): Tensor {
    this.teacher.eval();
    this.#teacherOutputs = noGrad(() => this.teacher.forward(x));
    return this.student.forward(x);
  }

  /** The teacher's outputs for the batch of the last forward pass. */
  get teacherOutputs(): Tensor {
    return this.#teacherOutputs!;
  }

  override namedChildren(): [string, Module][] {
    // An empty name puts the student's tensors at its own names (`0.weight`), not `student.0.weight`.
    return [['', this.student]];
  }
}

/**
 * Trains `student` to imitate `teacher` (Hinton et al. 2015) with `fit`: each batch's loss is
 * alpha · KL(student/T ‖ teacher/T) · T² + (1 − alpha) · cross-entropy with the labels (see
 * `distillationLoss`); validation reports the same loss and the metrics of the student. With alpha = 0
 * the run is exactly plain training with cross-entropy.
 * @returns the history of the run, as `fit` returns it
 * @throws ArgumentError for a bad temperature or alpha, or a teacher that is the student
 */
export async function distill(options: DistillOptions): Promise<History> {
  const { teacher, student, temperature, alpha, ...fitOptions } = options;
  const settings = distillationSettings({ temperature, alpha }, 'distill');
  if (!(teacher instanceof Module) || !(student instanceof Module)) throw new ArgumentError('distill: teacher and student must be modules');
  if (teacher === student) throw new ArgumentError('distill: the teacher and the student must be different models');
  const pair = new StudentWithTeacher(student, teacher);
  pair.train(student.training);
  return fit(pair, {
    ...fitOptions,
    loss: (outputs, labels) => distillationLoss(outputs, pair.teacherOutputs, labels, settings),
  });
}
