import { record } from '../autograd/graph.js';
import { ArgumentError } from '../errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { binaryKernel, unaryKernel, whereKernel } from './primitives.js';

/** −x. Integers stay integers. */
export function neg(x: Tensor): Tensor {
  return record('neg', [x], unaryKernel('neg', x, 0, 0, true), (g) => [unaryKernel('neg', g)]);
}

/** eˣ. */
export function exp(x: Tensor): Tensor {
  const out = unaryKernel('exp', x);
  return record('exp', [x], out, (g) => [binaryKernel('mul', g, out)]);
}

/** Natural logarithm (−Infinity at 0, NaN below). */
export function log(x: Tensor): Tensor {
  return record('log', [x], unaryKernel('log', x), (g) => [binaryKernel('div', g, x)]);
}

/** Square root. */
export function sqrt(x: Tensor): Tensor {
  const out = unaryKernel('sqrt', x);
  return record('sqrt', [x], out, (g) => [binaryKernel('div', binaryKernel('mul', g, 0.5), out)]);
}

/** 1 / √x. */
export function rsqrt(x: Tensor): Tensor {
  const out = unaryKernel('rsqrt', x);
  // d(x^−½)/dx = −½ · x^−3/2 = −½ · out³
  return record('rsqrt', [x], out, (g) => [
    binaryKernel('mul', g, binaryKernel('mul', unaryKernel('powScalar', out, 3), -0.5)),
  ]);
}

/** |x|. Integers stay integers; the gradient at 0 is 0. */
export function abs(x: Tensor): Tensor {
  return record('abs', [x], unaryKernel('abs', x, 0, 0, true), (g) => [binaryKernel('mul', g, unaryKernel('sign', x))]);
}

/** −1, 0 or 1 by the sign of x (NaN stays NaN). Its gradient is zero. */
export function sign(x: Tensor): Tensor {
  return record('sign', [x], unaryKernel('sign', x, 0, 0, true), (g) => [binaryKernel('mul', g, 0)]);
}

/** x². */
export function square(x: Tensor): Tensor {
  return record('square', [x], unaryKernel('square', x, 0, 0, true), (g) => [binaryKernel('mul', g, binaryKernel('mul', x, 2))]);
}

/** 1 / x. */
export function reciprocal(x: Tensor): Tensor {
  const out = unaryKernel('reciprocal', x);
  return record('reciprocal', [x], out, (g) => [
    unaryKernel('neg', binaryKernel('mul', g, unaryKernel('square', out))),
  ]);
}

/**
 * Limits x to [min, max] (either bound may be omitted). The gradient passes where min ≤ x ≤ max, as in
 * PyTorch.
 */
export function clamp(x: Tensor, min?: number, max?: number): Tensor {
  const lo = min ?? -Infinity;
  const hi = max ?? Infinity;
  if (Number.isNaN(lo) || Number.isNaN(hi)) throw new ArgumentError(`clamp: bounds must not be NaN (min=${min}, max=${max})`);
  if (lo > hi) throw new ArgumentError(`clamp: min (${lo}) must not exceed max (${hi})`);
  return record('clamp', [x], unaryKernel('clamp', x, lo, hi, true), (g) => {
    const inside = binaryKernel('mul', binaryKernel('ge', x, lo), binaryKernel('le', x, hi));
    return [whereKernel(inside, g, 0)];
  });
}
