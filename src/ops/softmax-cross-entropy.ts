import { noGrad } from '../autograd/grad-mode.js';
import { record } from '../autograd/graph.js';
import { ArgumentError, DTypeError, ShapeError } from '../errors.js';
import { assertFloat, isFloat } from '../tensor/dtype.js';
import { formatShape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { logSoftmax } from './activations.js';
import { gather } from './indexing.js';
import { binaryKernel, expandKernel, reshapeKernel, unaryKernel } from './primitives.js';
import { mean, sum } from './reduce.js';
import { neg } from './unary-math.js';
import { squeeze, unsqueeze } from './shape.js';

/** How per-sample losses are combined. */
export type Reduction = 'mean' | 'sum' | 'none';

/**
 * Cross-entropy between softmax(logits) and integer class targets, fused: computed from log-softmax so it
 * never overflows, with the gradient (softmax − onehot) written directly. Classes lie along dimension 1:
 * logits [N, C] with targets [N], or [N, C, d1, …] with targets [N, d1, …].
 */
export function softmaxCrossEntropy(logits: Tensor, target: Tensor, reduction: Reduction = 'mean'): Tensor {
  assertFloat(logits.dtype, 'softmaxCrossEntropy: logits');
  if (isFloat(target.dtype)) throw new DTypeError(`softmaxCrossEntropy: targets must be integer class indices (int32), got ${target.dtype}`);
  if (logits.ndim < 2) throw new ShapeError(`softmaxCrossEntropy: logits must be [batch, classes, ...], got ${formatShape(logits.shape)}`);
  const expected = logits.shape.filter((_, d) => d !== 1);
  if (target.ndim !== expected.length || target.shape.some((d, i) => d !== expected[i])) {
    throw new ShapeError(`softmaxCrossEntropy: targets of shape ${formatShape(target.shape)} do not match logits ${formatShape(logits.shape)}; expected ${formatShape(expected)}`);
  }
  const classes = logits.shape[1]!;
  const labels = target.contiguousData();
  for (let i = 0; i < labels.length; i++) {
    if (labels[i]! < 0 || labels[i]! >= classes) {
      throw new ArgumentError(`softmaxCrossEntropy: target ${labels[i]} at position ${i} is outside the ${classes} classes 0..${classes - 1}`);
    }
  }
  const index = unsqueeze(target, 1);
  const logProbabilities = noGrad(() => logSoftmax(logits, 1));
  const perSample = noGrad(() => neg(squeeze(gather(logProbabilities, 1, index), 1)));
  const loss = noGrad(() => (reduction === 'none' ? perSample : reduction === 'sum' ? sum(perSample) : mean(perSample)));
  return record('softmaxCrossEntropy', [logits], loss, (g) => {
    // Per-sample upstream gradient, broadcast over the class dimension.
    const scale = reduction === 'mean' ? 1 / Math.max(perSample.size, 1) : 1;
    const perSampleGrad = reduction === 'none' ? g : expandKernel(reshapeKernel(g, []), perSample.shape);
    const upstream = unsqueeze(binaryKernel('mul', perSampleGrad, scale), 1);
    const probabilities = unaryKernel('exp', logProbabilities);
    const hitsTarget = binaryKernel('eq', expandKernel(index, logits.shape), classIndices(logits));
    return [binaryKernel('mul', binaryKernel('sub', probabilities, hitsTarget), upstream)];
  });
}

/** A tensor that broadcasts to logits' shape and holds each position's class index. */
function classIndices(logits: Tensor): Tensor {
  const shape = logits.shape.map((d, i) => (i === 1 ? d : 1));
  const data = new Int32Array(logits.shape[1]!);
  for (let c = 0; c < data.length; c++) data[c] = c;
  return new Tensor(data, shape);
}
