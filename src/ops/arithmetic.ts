import { record } from '../autograd/graph.js';
import type { Tensor } from '../tensor/tensor.js';
import { asTensor, binaryKernel, gradientFor, unaryKernel, whereKernel, type TensorLike } from './primitives.js';

/** Both operands as tensors (see {@link asTensor} for how a number is typed). */
function operands(a: TensorLike, b: TensorLike): [Tensor, Tensor] {
  const ta = asTensor(a, b);
  return [ta, asTensor(b, ta)];
}

/** a + b, with NumPy broadcasting. */
export function add(a: TensorLike, b: TensorLike): Tensor {
  const [ta, tb] = operands(a, b);
  return record('add', [ta, tb], binaryKernel('add', ta, tb), (g) => [gradientFor(g, ta), gradientFor(g, tb)]);
}

/** a − b, with broadcasting. */
export function sub(a: TensorLike, b: TensorLike): Tensor {
  const [ta, tb] = operands(a, b);
  return record('sub', [ta, tb], binaryKernel('sub', ta, tb), (g) => [
    gradientFor(g, ta),
    gradientFor(unaryKernel('neg', g), tb),
  ]);
}

/** a · b elementwise, with broadcasting. */
export function mul(a: TensorLike, b: TensorLike): Tensor {
  const [ta, tb] = operands(a, b);
  return record('mul', [ta, tb], binaryKernel('mul', ta, tb), (g) => [
    ta.requiresGrad ? gradientFor(binaryKernel('mul', g, tb), ta) : null,
    tb.requiresGrad ? gradientFor(binaryKernel('mul', g, ta), tb) : null,
  ]);
}

/** a / b elementwise (true division: integers give a float), with broadcasting. */
export function div(a: TensorLike, b: TensorLike): Tensor {
  const [ta, tb] = operands(a, b);
  return record('div', [ta, tb], binaryKernel('div', ta, tb), (g) => {
    const gOverB = binaryKernel('div', g, tb);
    return [
      ta.requiresGrad ? gradientFor(gOverB, ta) : null,
      // ∂(a/b)/∂b = −a/b² = −(g/b)·(a/b)
      tb.requiresGrad ? gradientFor(unaryKernel('neg', binaryKernel('mul', gOverB, binaryKernel('div', ta, tb))), tb) : null,
    ];
  });
}

/**
 * a raised to b elementwise. A number exponent takes a cheaper path with the same result. The gradient
 * with respect to the exponent is out · log(a), which is NaN for negative bases, as in PyTorch; where
 * a = 0 it is taken as 0.
 */
export function pow(a: TensorLike, b: TensorLike): Tensor {
  if (typeof b === 'number') {
    const ta = asTensor(a, b);
    return record('powScalar', [ta], unaryKernel('powScalar', ta, b), (g) => [
      gradientFor(binaryKernel('mul', g, binaryKernel('mul', b, unaryKernel('powScalar', ta, b - 1))), ta),
    ]);
  }
  const [ta, tb] = operands(a, b);
  const out = binaryKernel('pow', ta, tb);
  return record('pow', [ta, tb], out, (g) => [
    ta.requiresGrad
      ? gradientFor(binaryKernel('mul', g, binaryKernel('mul', tb, binaryKernel('pow', ta, binaryKernel('sub', tb, 1)))), ta)
      : null,
    tb.requiresGrad
      ? gradientFor(
          whereKernel(binaryKernel('eq', ta, 0), 0, binaryKernel('mul', g, binaryKernel('mul', out, unaryKernel('log', ta)))),
          tb,
        )
      : null,
  ]);
}

/**
 * The gradient of maximum/minimum: to the operand that won, split evenly on ties (as PyTorch does).
 */
function extremumRule(ta: Tensor, tb: Tensor, aWinsOp: 'ge' | 'le') {
  return (g: Tensor) => {
    const tie = binaryKernel('eq', ta, tb);
    const share = binaryKernel('sub', binaryKernel(aWinsOp, ta, tb), binaryKernel('mul', tie, 0.5));
    return [
      ta.requiresGrad ? gradientFor(binaryKernel('mul', g, share), ta) : null,
      tb.requiresGrad ? gradientFor(binaryKernel('mul', g, binaryKernel('sub', 1, share)), tb) : null,
    ];
  };
}

/** Elementwise maximum with broadcasting; NaN wins. */
export function maximum(a: TensorLike, b: TensorLike): Tensor {
  const [ta, tb] = operands(a, b);
  return record(
    'maximum',
    [ta, tb],
    binaryKernel('maximum', ta, tb),
    extremumRule(ta, tb, 'ge'),
  );
}

/** Elementwise minimum with broadcasting; NaN wins. */
export function minimum(a: TensorLike, b: TensorLike): Tensor {
  const [ta, tb] = operands(a, b);
  return record(
    'minimum',
    [ta, tb],
    binaryKernel('minimum', ta, tb),
    extremumRule(ta, tb, 'le'),
  );
}
