/**
 * Kiln's error classes. Each message names the input, what was expected, what was found and, where it
 * helps, how to fix it. Every layer may throw them, so this module imports nothing.
 */

/** Base class of every error Kiln throws on purpose; `instanceof KilnError` catches them all. */
export class KilnError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** Shapes that do not fit an operation: `matmul: cannot multiply [2,3] by [4,5] (3 ≠ 4)`. */
export class ShapeError extends KilnError {}

/** A tensor of the wrong dtype: `conv2d: weight must be float32 or float64, got int32`. */
export class DTypeError extends KilnError {}

/** A bad argument value (an axis out of range, a step of 0, a probability outside [0, 1]). */
export class ArgumentError extends KilnError {}

/** Misuse of autograd: backward on a non-scalar without a gradient, or through a released graph. */
export class AutogradError extends KilnError {}

/** A backend that is unknown, unavailable, or asked for something it cannot do. */
export class BackendError extends KilnError {}

/** Data that cannot be used as given: a malformed file, mismatched counts, a split that cannot be made. */
export class DataError extends KilnError {}

/** A model spec that does not describe a buildable model: names the layer by path and the problem. */
export class SpecError extends KilnError {}

/** A model or checkpoint file that cannot be read: truncated, corrupt, or of an unknown version. */
export class ModelFormatError extends KilnError {}

/** Training that cannot go on: a loss that became NaN or infinite, a checkpoint that does not fit the run. */
export class TrainingError extends KilnError {}
