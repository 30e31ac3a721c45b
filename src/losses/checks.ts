/**
 * Argument checks shared by the losses. Each names the loss, what it expected, what it got and how to fix
 * it.
 */
import { ArgumentError, ShapeError } from '../errors.js';
import { toType } from '../ops/shape.js';
import { assertFloat } from '../tensor/dtype.js';
import { formatShape, sameShape, sizeOf } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';

/**
 * Checks that `prediction` is float and that `target` has exactly its shape, and returns the target in the
 * prediction's dtype (so a float64 target does not turn a float32 loss into float64). Losses never
 * broadcast the two: a [N, 1] prediction against a [N] target would silently compare every prediction
 * with every target and give an N × N loss.
 */
export function matchingTarget(op: string, prediction: Tensor, target: Tensor, predictionName = 'prediction'): Tensor {
  assertFloat(prediction.dtype, `${op}: ${predictionName}`);
  if (!sameShape(prediction.shape, target.shape)) {
    const fix =
      sizeOf(prediction.shape) === sizeOf(target.shape)
        ? `reshape one to the other's shape, e.g. reshape(target, [${prediction.shape.join(', ')}])`
        : 'make them the same shape (check the model output size and the label layout)';
    throw new ShapeError(
      `${op}: ${predictionName} ${formatShape(prediction.shape)} and target ${formatShape(target.shape)} must have the same shape ` +
        `(losses do not broadcast, which would pair every ${predictionName} value with every target); ${fix}`,
    );
  }
  return toType(target, prediction.dtype);
}

/**
 * Checks that `operand` (an elementwise weight) broadcasts to `shape` without enlarging it, and returns it
 * in `dtype`.
 */
export function elementWeight(op: string, name: string, operand: Tensor, shape: readonly number[], dtype: Tensor['dtype']): Tensor {
  assertFloat(operand.dtype, `${op}: ${name}`);
  const lead = shape.length - operand.ndim;
  const fits = lead >= 0 && operand.shape.every((d, i) => d === 1 || d === shape[lead + i]);
  if (!fits) {
    throw new ShapeError(
      `${op}: ${name} of shape ${formatShape(operand.shape)} does not broadcast to ${formatShape(shape)}, the shape of the elementwise loss; ` +
        'it must match trailing dimensions or have size 1 there, and may not add dimensions',
    );
  }
  return toType(operand, dtype);
}

/** Throws an {@link ArgumentError} unless `value` is a number satisfying `ok`, described by `expectation`. */
export function checkNumber(op: string, name: string, value: unknown, ok: (v: number) => boolean, expectation: string): number {
  if (typeof value !== 'number' || Number.isNaN(value) || !ok(value)) {
    throw new ArgumentError(`${op}: ${name} must be ${expectation}, got ${String(value)}`);
  }
  return value;
}
