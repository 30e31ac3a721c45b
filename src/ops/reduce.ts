import { record } from '../autograd/graph.js';
import { ArgumentError } from '../errors.js';
import { normalizeAxis, reducedAxes, type Shape } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { add, div, sub } from './arithmetic.js';
import {
  binaryKernel,
  expandKernel,
  reduceKernel,
  reducedShape,
  reshapeKernel,
  unaryKernel,
  whereKernel,
} from './primitives.js';
import { reshape } from './shape.js';
import { exp, log, sqrt, square } from './unary-math.js';

/** Which axes to reduce: one, several, or all when omitted. */
export type Axes = number | readonly number[] | undefined;

/** Options of the reductions. */
export interface ReduceOptions {
  /** Keep reduced dimensions as size 1 (so the result broadcasts against the input). */
  keepDim?: boolean;
}

/** Brings a gradient of the reduced result back to the input's shape (a broadcast view). */
function expandBack(g: Tensor, shape: Shape, reduced: readonly boolean[]): Tensor {
  return expandKernel(reshapeKernel(g, reducedShape(shape, reduced, true)), shape);
}

function countReduced(shape: Shape, reduced: readonly boolean[]): number {
  return shape.reduce((n, d, i) => (reduced[i] ? n * d : n), 1);
}

/** Sum over `axes` (all when omitted). */
export function sum(x: Tensor, axes?: Axes, options: ReduceOptions = {}): Tensor {
  const reduced = reducedAxes(axes, x.ndim, 'sum');
  const out = reduceKernel('sum', x, reduced, options.keepDim ?? false);
  return record('sum', [x], out, (g) => [expandBack(g, x.shape, reduced)]);
}

/** Mean over `axes` (all when omitted); NaN over an empty extent, as in PyTorch. */
export function mean(x: Tensor, axes?: Axes, options: ReduceOptions = {}): Tensor {
  const reduced = reducedAxes(axes, x.ndim, 'mean');
  return div(sum(x, axes, options), countReduced(x.shape, reduced));
}

function extreme(op: 'max' | 'min', x: Tensor, axes: Axes, options: ReduceOptions): Tensor {
  const reduced = reducedAxes(axes, x.ndim, op);
  if (countReduced(x.shape, reduced) === 0) {
    throw new ArgumentError(`${op}: cannot reduce an empty extent of shape [${x.shape.join(',')}]; it has no ${op === 'max' ? 'maximum' : 'minimum'}`);
  }
  const out = reduceKernel(op, x, reduced, options.keepDim ?? false);
  // The gradient goes to the elements equal to the extreme, shared evenly among ties.
  return record(op, [x], out, (g) => {
    const winners = binaryKernel('eq', x, expandBack(out, x.shape, reduced));
    const ties = reduceKernel('sum', winners, reduced, true);
    return [whereKernel(winners, binaryKernel('div', expandBack(g, x.shape, reduced), ties), 0)];
  });
}

/** Maximum over `axes` (all when omitted); NaN wins. */
export function max(x: Tensor, axes?: Axes, options: ReduceOptions = {}): Tensor {
  return extreme('max', x, axes, options);
}

/** Minimum over `axes` (all when omitted); NaN wins. */
export function min(x: Tensor, axes?: Axes, options: ReduceOptions = {}): Tensor {
  return extreme('min', x, axes, options);
}

function argExtreme(op: 'argmax' | 'argmin', x: Tensor, axis: number | undefined, options: ReduceOptions): Tensor {
  const reduced =
    axis === undefined ? x.shape.map(() => true) : x.shape.map((_, i) => i === normalizeAxis(axis, x.ndim, op));
  if (countReduced(x.shape, reduced) === 0) throw new ArgumentError(`${op}: cannot reduce an empty extent of shape [${x.shape.join(',')}]`);
  return reduceKernel(op, x, reduced, options.keepDim ?? false);
}

/** Index (int32) of the first maximum along `axis`, or in the flattened tensor when omitted. */
export function argmax(x: Tensor, axis?: number, options: ReduceOptions = {}): Tensor {
  return argExtreme('argmax', x, axis, options);
}

/** Index (int32) of the first minimum along `axis`, or in the flattened tensor when omitted. */
export function argmin(x: Tensor, axis?: number, options: ReduceOptions = {}): Tensor {
  return argExtreme('argmin', x, axis, options);
}

/** Options of {@link variance} and {@link std}. */
export interface VarianceOptions extends ReduceOptions {
  /** Subtracted from the count in the divisor: 1 (default) is the unbiased estimate, 0 the population one. */
  correction?: number;
}

/** Variance over `axes` (all when omitted), unbiased by default as in PyTorch. */
export function variance(x: Tensor, axes?: Axes, options: VarianceOptions = {}): Tensor {
  const reduced = reducedAxes(axes, x.ndim, 'var');
  const deviations = sub(x, mean(x, axes, { keepDim: true }));
  const divisor = Math.max(0, countReduced(x.shape, reduced) - (options.correction ?? 1));
  return div(sum(square(deviations), axes, options), divisor);
}

/** Standard deviation over `axes` (all when omitted), unbiased by default. */
export function std(x: Tensor, axes?: Axes, options: VarianceOptions = {}): Tensor {
  reducedAxes(axes, x.ndim, 'std'); // so that a bad axis is reported by std, not by the variance it calls
  return sqrt(variance(x, axes, options));
}

/** log Σ exp(x) over `axes`, computed stably (shifted by the maximum). */
export function logSumExp(x: Tensor, axes?: Axes, options: ReduceOptions = {}): Tensor {
  const reduced = reducedAxes(axes, x.ndim, 'logSumExp');
  const shift = stableShift(x, reduced);
  const shifted = log(sum(exp(sub(x, shift)), axes, { keepDim: true }));
  const result = add(shifted, shift);
  return options.keepDim ? result : reshape(result, reducedShape(x.shape, reduced, false));
}

/**
 * The shift that keeps exp(x − shift) from overflowing: the maximum over the flagged axes (kept as size-1
 * dimensions). It is a constant for autograd. An infinite maximum (all −∞, or +∞ present) is replaced by 0
 * so that x − shift stays meaningful, and so is an empty extent, which has no maximum (its Σ exp is 0, so
 * logSumExp gives −∞ as in PyTorch; a sum over nothing is exactly such zeros).
 */
export function stableShift(x: Tensor, reduced: readonly boolean[]): Tensor {
  const maxima = reduceKernel(countReduced(x.shape, reduced) === 0 ? 'sum' : 'max', x, reduced, true);
  return whereKernel(binaryKernel('eq', unaryKernel('abs', maxima), Infinity), 0, maxima);
}
