import { record } from '../autograd/graph.js';
import type { FloatArray } from '../backend/backend.js';
import { getBackend } from '../backend/registry.js';
import { allocateUninitialized, isFloat } from '../tensor/dtype.js';
import { normalizeAxis } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { binaryKernel, reduceKernel, unaryKernel, whereKernel } from './primitives.js';
import { stableShift } from './reduce.js';

/** max(x, 0); the gradient at 0 is 0, as in PyTorch. */
export function relu(x: Tensor): Tensor {
  // The kernel overwrites its output, so it needs no zero-filled storage; integer inputs give float32.
  const out = allocateUninitialized(isFloat(x.dtype) ? x.dtype : 'float32', x.size);
  getBackend().unary('relu', x.view(), x.shape, out);
  return record('relu', [x], new Tensor(out, x.shape), (g) => [reluGradient(x, g)]);
}

/** g where x > 0, else 0, in one pass of the backend's fused kernel (x and g have the same shape and dtype). */
function reluGradient(x: Tensor, g: Tensor): Tensor {
  const dx = allocateUninitialized(g.dtype, g.size) as FloatArray;
  getBackend().reluBackward(x.contiguousData() as FloatArray, g.contiguousData() as FloatArray, dx);
  return new Tensor(dx, g.shape);
}

/** x for x > 0, negativeSlope · x otherwise. */
export function leakyRelu(x: Tensor, negativeSlope = 0.01): Tensor {
  return record('leakyRelu', [x], unaryKernel('leakyRelu', x, negativeSlope), (g) => [
    whereKernel(binaryKernel('gt', x, 0), g, binaryKernel('mul', g, negativeSlope)),
  ]);
}

/** x for x > 0, alpha · (eˣ − 1) otherwise. */
export function elu(x: Tensor, alpha = 1): Tensor {
  const out = unaryKernel('elu', x, alpha);
  // For x ≤ 0, d/dx = alpha · eˣ = out + alpha.
  return record('elu', [x], out, (g) => [
    whereKernel(binaryKernel('gt', x, 0), g, binaryKernel('mul', g, binaryKernel('add', out, alpha))),
  ]);
}

/** Exact GELU, x · Φ(x) with Φ the standard normal CDF. */
export function gelu(x: Tensor): Tensor {
  return record('gelu', [x], unaryKernel('gelu', x), (g) => {
    // d/dx = Φ(x) + x · φ(x)
    const cdf = binaryKernel('mul', binaryKernel('add', unaryKernel('erf', binaryKernel('mul', x, Math.SQRT1_2)), 1), 0.5);
    const pdf = binaryKernel('mul', unaryKernel('exp', binaryKernel('mul', unaryKernel('square', x), -0.5)), 1 / Math.sqrt(2 * Math.PI));
    return [binaryKernel('mul', g, binaryKernel('add', cdf, binaryKernel('mul', x, pdf)))];
  });
}

/** 1 / (1 + e⁻ˣ), stable for large |x|. */
export function sigmoid(x: Tensor): Tensor {
  const out = unaryKernel('sigmoid', x);
  return record('sigmoid', [x], out, (g) => [binaryKernel('mul', g, binaryKernel('mul', out, binaryKernel('sub', 1, out)))]);
}

/** Hyperbolic tangent. */
export function tanh(x: Tensor): Tensor {
  const out = unaryKernel('tanh', x);
  return record('tanh', [x], out, (g) => [binaryKernel('mul', g, binaryKernel('sub', 1, unaryKernel('square', out)))]);
}

/** log(1 + eˣ), stable for large |x|. */
export function softplus(x: Tensor): Tensor {
  return record('softplus', [x], unaryKernel('softplus', x), (g) => [binaryKernel('mul', g, unaryKernel('sigmoid', x))]);
}

/**
 * log softmax along axis `a`, no autograd: (x − m) − log Σ exp(x − m) with m the maximum. It never
 * overflows, and subtracting the small log-sum last keeps full precision for huge logits, which
 * x − logSumExp(x) does not (logSumExp(x) ≈ m carries a rounding error of about ulp(m)).
 */
function logSoftmaxKernel(x: Tensor, a: number): Tensor {
  const reduced = x.shape.map((_, d) => d === a);
  const shifted = binaryKernel('sub', x, stableShift(x, reduced));
  return binaryKernel('sub', shifted, unaryKernel('log', reduceKernel('sum', unaryKernel('exp', shifted), reduced, true)));
}

/** log softmax(x) along `axis`, computed from x minus its maximum so it never overflows. */
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  const a = normalizeAxis(axis, x.ndim, 'logSoftmax');
  const out = logSoftmaxKernel(x, a);
  // d/dx: g − softmax · Σ g
  return record('logSoftmax', [x], out, (g) => [
    binaryKernel('sub', g, binaryKernel('mul', unaryKernel('exp', out), reduceKernel('sum', g, x.shape.map((_, d) => d === a), true))),
  ]);
}

/** softmax(x) along `axis`: exp(log softmax(x)), stable for large values. */
export function softmax(x: Tensor, axis = -1): Tensor {
  const a = normalizeAxis(axis, x.ndim, 'softmax');
  const out = unaryKernel('exp', logSoftmaxKernel(x, a));
  // d/dx: (g − Σ g·s) · s
  return record('softmax', [x], out, (g) => {
    const dot = reduceKernel('sum', binaryKernel('mul', g, out), x.shape.map((_, d) => d === a), true);
    return [binaryKernel('mul', binaryKernel('sub', g, dot), out)];
  });
}
