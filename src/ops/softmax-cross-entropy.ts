import { noGrad } from '../autograd/grad-mode.js';
import { record } from '../autograd/graph.js';
import { ArgumentError, DTypeError, ShapeError } from '../errors.js';
import { allocate, assertFloat, isFloat } from '../tensor/dtype.js';
import { formatShape, sameShape, sizeOf, type Shape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { logSoftmax } from './activations.js';
import { cast, unaryKernel } from './primitives.js';

/** How per-sample losses are combined. */
export type Reduction = 'mean' | 'sum' | 'none';

const REDUCTIONS: readonly Reduction[] = ['mean', 'sum', 'none'];

/** Throws an {@link ArgumentError} naming `op` unless `reduction` is one of 'mean', 'sum', 'none'. */
export function assertReduction(op: string, reduction: unknown): asserts reduction is Reduction {
  if (!(REDUCTIONS as readonly unknown[]).includes(reduction)) {
    throw new ArgumentError(`${op}: unknown reduction '${String(reduction)}'; expected one of ${REDUCTIONS.map((r) => `'${r}'`).join(', ')}`);
  }
}

/** Options of {@link softmaxCrossEntropy}. */
export interface SoftmaxCrossEntropyOptions {
  /**
   * Per-class weights, a 1-D tensor with one entry per class. Each position's loss is scaled by the weight of
   * its target class, and 'mean' divides by the sum of those weights (as PyTorch does). Weights are
   * constants: no gradient flows to them.
   */
  weight?: Tensor;
  /**
   * A target value that marks positions to skip: they contribute no loss and no gradient and are not
   * counted by 'mean'. Only for class-index targets; none is skipped when omitted.
   */
  ignoreIndex?: number;
  /**
   * ε in [0, 1]: the target becomes (1 − ε) · target + ε / C, mixing in the uniform distribution over
   * the C classes (PyTorch 1.13 semantics, also with weights and ignored positions).
   */
  labelSmoothing?: number;
}

/**
 * Cross-entropy between softmax(logits) and the targets, fused: the loss is computed from log-softmax, so it
 * never overflows (logits of ±1000 are fine), and the gradient softmax · Σq − q (q the scaled target
 * distribution) is written directly. Classes lie along dimension 1: logits [N, C] or [N, C, d1, …].
 *
 * Targets are either integer class indices of shape [N] or [N, d1, …], or float class probabilities of
 * logits' own shape (then 'mean' divides by the number of positions N · d1 · …, as PyTorch does). With
 * 'none' the result has one loss per position ([N] or [N, d1, …]); 'mean' and 'sum' give a scalar.
 * Probability targets receive gradients too when they require them.
 */
export function softmaxCrossEntropy(
  logits: Tensor,
  target: Tensor,
  reduction: Reduction = 'mean',
  options: SoftmaxCrossEntropyOptions = {},
): Tensor {
  return fusedSoftmaxCrossEntropy('softmaxCrossEntropy', logits, target, reduction, options);
}

/**
 * {@link softmaxCrossEntropy} with errors that name `op`, for the losses built on it. Not part of the
 * public API.
 */
export function fusedSoftmaxCrossEntropy(
  op: string,
  logits: Tensor,
  target: Tensor,
  reduction: Reduction,
  options: SoftmaxCrossEntropyOptions,
): Tensor {
  assertFloat(logits.dtype, `${op}: logits`);
  assertReduction(op, reduction);
  if (logits.ndim < 2) {
    throw new ShapeError(
      `${op}: logits must be [batch, classes, ...], got ${formatShape(logits.shape)}; ` +
        'for a single sample add a batch dimension with unsqueeze(logits, 0)',
    );
  }
  const smoothing = options.labelSmoothing ?? 0;
  if (typeof smoothing !== 'number' || !(smoothing >= 0 && smoothing <= 1)) {
    throw new ArgumentError(`${op}: labelSmoothing must be a number in [0, 1], got ${String(smoothing)}`);
  }
  const geometry = classGeometry(logits.shape);
  const weight = options.weight === undefined ? null : classWeights(op, options.weight, geometry.classes);
  const logProbabilities = noGrad(() => logSoftmax(logits, 1));
  if (sameShape(target.shape, logits.shape)) {
    if (!isFloat(target.dtype)) {
      throw new DTypeError(
        `${op}: targets of logits' shape ${formatShape(logits.shape)} are class probabilities and must be float, ` +
          `got ${target.dtype}; for class indices pass shape ${formatShape(positionShape(logits.shape))}`,
      );
    }
    if (options.ignoreIndex !== undefined && options.ignoreIndex >= 0) {
      throw new ArgumentError(`${op}: ignoreIndex (${options.ignoreIndex}) applies only to class-index targets, not to class probabilities`);
    }
    return probabilityCrossEntropy(logits, logProbabilities, target, reduction, weight, smoothing, geometry);
  }
  const targets = resolveClassTargets(op, logits.shape, 'logits', target, options.ignoreIndex, weight);
  return classCrossEntropy(logits, logProbabilities, targets, reduction, smoothing, geometry);
}

/** How a [N, C, d1, …] tensor is walked: element (n, c, j) sits at (n · C + c) · inner + j. */
interface ClassGeometry {
  readonly batch: number;
  readonly classes: number;
  /** d1 · d2 · …, 1 for [N, C]. */
  readonly inner: number;
}

function classGeometry(shape: Shape): ClassGeometry {
  return { batch: shape[0]!, classes: shape[1]!, inner: sizeOf(shape.slice(2)) };
}

/** The shape of one value per position: [N, d1, …] for scores [N, C, d1, …]. */
function positionShape(shape: Shape): number[] {
  return shape.filter((_, d) => d !== 1);
}

/** Class weights checked to be a 1-D tensor of length `classes`, as numbers. */
export function classWeights(op: string, weight: Tensor, classes: number): Float64Array {
  if (weight.ndim !== 1 || weight.shape[0] !== classes) {
    throw new ArgumentError(`${op}: weight must be 1-D with one entry per class (${classes}), got shape ${formatShape(weight.shape)}`);
  }
  return Float64Array.from(weight.contiguousData());
}

/** Integer class targets checked against [N, C, d1, …] scores, with what each position weighs. */
export interface ClassTargets {
  /** Each position's class, row-major over [N, d1, …]; −1 where the target was ignoreIndex. */
  readonly labels: Int32Array;
  /** weight[label] (1 without weights) for positions that count, 0 for ignored ones. */
  readonly positionWeights: Float64Array;
  /** Σ positionWeights: what 'mean' divides by (the number of counted positions without weights). */
  readonly totalWeight: number;
  /** How many positions were ignored. */
  readonly ignoredCount: number;
  /** The class weights, or null when none were given. */
  readonly classWeights: Float64Array | null;
}

/**
 * Validates integer class targets for scores of shape [N, C, d1, …] (named `scoresName` in errors) and
 * resolves ignored positions and weights, the way PyTorch's nll_loss does. `weight` must already be checked.
 */
export function resolveClassTargets(
  op: string,
  scoresShape: Shape,
  scoresName: string,
  target: Tensor,
  ignoreIndex: number | undefined,
  weight: Float64Array | null,
): ClassTargets {
  if (isFloat(target.dtype)) {
    throw new DTypeError(
      `${op}: targets must be integer class indices (int32), got ${target.dtype}; ` +
        "convert them with .toType('int32') (float targets are accepted only as class probabilities of the logits' shape by crossEntropy)",
    );
  }
  if (ignoreIndex !== undefined && !Number.isInteger(ignoreIndex)) {
    throw new ArgumentError(`${op}: ignoreIndex must be an integer, got ${ignoreIndex}`);
  }
  const expected = positionShape(scoresShape);
  if (!sameShape(target.shape, expected)) {
    throw new ShapeError(
      `${op}: targets of shape ${formatShape(target.shape)} do not match ${scoresName} ${formatShape(scoresShape)}; ` +
        `expected ${formatShape(expected)}, one class index per position (classes lie along dimension 1 of ${scoresName}); ` +
        'one-hot targets can be turned into indices with argmax(target, 1), and [N, 1] targets with squeeze(target, 1)',
    );
  }
  const classes = scoresShape[1]!;
  const given = target.contiguousData();
  const labels = new Int32Array(given.length);
  const positionWeights = new Float64Array(given.length);
  let totalWeight = 0;
  let ignoredCount = 0;
  for (let i = 0; i < given.length; i++) {
    const label = given[i]!;
    if (label === ignoreIndex) {
      labels[i] = -1;
      ignoredCount++;
      continue;
    }
    if (label < 0 || label >= classes) {
      const ignoring = ignoreIndex === undefined ? '' : ` and is not ignoreIndex (${ignoreIndex})`;
      throw new ArgumentError(
        `${op}: target ${label} at position ${formatPosition(i, target.shape)} is outside the ${classes} classes 0..${classes - 1}${ignoring}`,
      );
    }
    labels[i] = label;
    const w = weight === null ? 1 : weight[label]!;
    positionWeights[i] = w;
    totalWeight += w;
  }
  return { labels, positionWeights, totalWeight, ignoredCount, classWeights: weight };
}

/** The multi-index of row-major element `flat` of `shape`, as `[n,i,j]`. */
function formatPosition(flat: number, shape: Shape): string {
  const index = new Array<number>(shape.length);
  let rest = flat;
  for (let d = shape.length - 1; d >= 0; d--) {
    index[d] = rest % shape[d]!;
    rest = Math.floor(rest / shape[d]!);
  }
  return formatShape(index);
}

/** The upstream gradient of position `pos`: the one value of a scalar, else element `pos`. */
function upstreamReader(g: Tensor): (pos: number) => number {
  const data = g.contiguousData();
  return g.ndim === 0 ? () => data[0]! : (pos) => data[pos]!;
}

function classCrossEntropy(
  logits: Tensor,
  logProbabilities: Tensor,
  targets: ClassTargets,
  reduction: Reduction,
  smoothing: number,
  { batch, classes, inner }: ClassGeometry,
): Tensor {
  const lp = logProbabilities.contiguousData();
  const { labels, positionWeights, classWeights: weight } = targets;
  const positions = labels.length;
  // PyTorch: (1 − ε) · nll + (ε / C) · smooth, where smooth = −Σ_c w_c · log p_c; both share the same divisor.
  const nll = new Float64Array(positions);
  const smooth = new Float64Array(positions);
  for (let n = 0; n < batch; n++) {
    for (let j = 0; j < inner; j++) {
      const pos = n * inner + j;
      const label = labels[pos]!;
      if (label < 0) continue;
      const base = n * classes * inner + j;
      nll[pos] = -positionWeights[pos]! * lp[base + label * inner]!;
      if (smoothing > 0) {
        let s = 0;
        for (let c = 0; c < classes; c++) s -= (weight === null ? 1 : weight[c]!) * lp[base + c * inner]!;
        smooth[pos] = s;
      }
    }
  }
  const divisor = reduction === 'mean' ? targets.totalWeight : 1;
  const combine = (a: number, b: number): number => (smoothing > 0 ? (1 - smoothing) * a + b * (smoothing / classes) : a);
  const loss =
    reduction === 'none'
      ? new Tensor(Float64Array.from(nll, (v, i) => combine(v, smooth[i]!)), positionShape(logits.shape))
      : new Tensor(Float64Array.of(combine(sumOf(nll) / divisor, sumOf(smooth) / divisor)), []);
  const totalClassWeight = weight === null ? classes : sumOf(weight);
  return record('softmaxCrossEntropy', [logits], cast(loss, logits.dtype), (g) => {
    const upstream = upstreamReader(g);
    const probabilities = unaryKernel('exp', logProbabilities).data;
    const grad = allocate(logits.dtype, logits.size);
    for (let n = 0; n < batch; n++) {
      for (let j = 0; j < inner; j++) {
        const pos = n * inner + j;
        const label = labels[pos]!;
        if (label < 0) continue; // ignored positions get no gradient, even when 'mean' divides by 0
        const scale = upstream(pos) / divisor;
        // q_c = a · [c = label] + b · w_c, and the gradient is p_c · Σ_c q_c − q_c.
        const a = (1 - smoothing) * positionWeights[pos]! * scale;
        const b = (smoothing / classes) * scale;
        const total = a + b * totalClassWeight;
        const base = n * classes * inner + j;
        for (let c = 0; c < classes; c++) {
          const at = base + c * inner;
          const q = b * (weight === null ? 1 : weight[c]!) + (c === label ? a : 0);
          grad[at] = probabilities[at]! * total - q;
        }
      }
    }
    return [new Tensor(grad, logits.shape)];
  });
}

function probabilityCrossEntropy(
  logits: Tensor,
  logProbabilities: Tensor,
  target: Tensor,
  reduction: Reduction,
  weight: Float64Array | null,
  smoothing: number,
  { batch, classes, inner }: ClassGeometry,
): Tensor {
  const lp = logProbabilities.contiguousData();
  const given = target.contiguousData();
  // The smoothed, weighted target w_c · ((1 − ε) · t_c + ε / C), the coefficient of −log p_c.
  const coefficients = new Float64Array(logits.size);
  const perPosition = new Float64Array(batch * inner);
  for (let n = 0; n < batch; n++) {
    for (let j = 0; j < inner; j++) {
      const base = n * classes * inner + j;
      let s = 0;
      for (let c = 0; c < classes; c++) {
        const at = base + c * inner;
        const t = smoothing > 0 ? given[at]! * (1 - smoothing) + smoothing / classes : given[at]!;
        const q = weight === null ? t : t * weight[c]!;
        coefficients[at] = q;
        s -= lp[at]! * q;
      }
      perPosition[n * inner + j] = s;
    }
  }
  const divisor = reduction === 'mean' ? perPosition.length : 1;
  const loss =
    reduction === 'none' ? new Tensor(perPosition, positionShape(logits.shape)) : new Tensor(Float64Array.of(sumOf(perPosition) / divisor), []);
  return record('softmaxCrossEntropy', [logits, target], cast(loss, logits.dtype), (g) => {
    const upstream = upstreamReader(g);
    const probabilities = unaryKernel('exp', logProbabilities).data;
    const gradLogits = logits.requiresGrad ? allocate(logits.dtype, logits.size) : null;
    const gradTarget = target.requiresGrad ? allocate(target.dtype, target.size) : null;
    for (let n = 0; n < batch; n++) {
      for (let j = 0; j < inner; j++) {
        const scale = upstream(n * inner + j) / divisor;
        const base = n * classes * inner + j;
        if (gradLogits !== null) {
          let total = 0;
          for (let c = 0; c < classes; c++) total += coefficients[base + c * inner]!;
          for (let c = 0; c < classes; c++) {
            const at = base + c * inner;
            gradLogits[at] = (probabilities[at]! * total - coefficients[at]!) * scale;
          }
        }
        if (gradTarget !== null) {
          for (let c = 0; c < classes; c++) {
            const at = base + c * inner;
            gradTarget[at] = -(1 - smoothing) * (weight === null ? 1 : weight[c]!) * lp[at]! * scale;
          }
        }
      }
    }
    return [gradLogits && new Tensor(gradLogits, logits.shape), gradTarget && new Tensor(gradTarget, target.shape)];
  });
}

function sumOf(values: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i]!;
  return s;
}
