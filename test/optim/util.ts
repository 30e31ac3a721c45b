/** Helpers shared by the optimizer tests (not a test file itself). */
import { Tensor, fromArray, type DType } from '../../src/index.js';
import { Adagrad, Adam, AdamW, RMSprop, SGD, type Optimizer } from '../../src/optim/index.js';

/** A leaf parameter holding `values`. */
export function param(values: number[], shape?: number[], dtype: DType = 'float64'): Tensor {
  return fromArray(values, { dtype, shape: shape ?? [values.length] }).setRequiresGrad();
}

/** Two small parameters: a vector and a matrix. */
export function makeParams(dtype: DType = 'float64'): Tensor[] {
  return [param([0.5, -1.5, 2], [3], dtype), param([1, -0.25, 0.75, -2], [2, 2], dtype)];
}

/**
 * Sets the parameters' gradients by backpropagating a loss that depends on the parameters and on
 * `step` (so consecutive steps see different gradients): Σ (a − step/4)² + Σ b³/3 + step·Σ b.
 */
export function backwardAt(params: Tensor[], step: number): void {
  const [a, b] = params as [Tensor, Tensor];
  const loss = a.sub(step / 4).square().sum().add(b.mul(b).mul(b).sum().div(3)).add(b.sum().mul(step));
  loss.backward();
}

/** Runs `steps` optimizer steps starting at step number `from`. */
export function train(optimizer: Optimizer, params: Tensor[], from: number, steps: number): void {
  for (let step = from; step < from + steps; step++) {
    optimizer.zeroGrad();
    backwardAt(params, step);
    optimizer.step();
  }
}

/** One configuration of every optimizer, with every option that adds state or changes the update. */
export const OPTIMIZER_FACTORIES: Record<string, (params: Tensor[]) => Optimizer> = {
  'SGD nesterov': (p) => new SGD(p, { lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 0.01 }),
  'SGD dampening': (p) => new SGD(p, { lr: 0.05, momentum: 0.5, dampening: 0.2 }),
  'Adam amsgrad': (p) => new Adam(p, { lr: 0.05, amsgrad: true, weightDecay: 0.01 }),
  AdamW: (p) => new AdamW(p, { lr: 0.05, amsgrad: true }),
  'RMSprop centered momentum': (p) => new RMSprop(p, { lr: 0.01, momentum: 0.9, centered: true, weightDecay: 0.01 }),
  Adagrad: (p) => new Adagrad(p, { lr: 0.1, lrDecay: 0.1, initialAccumulatorValue: 0.5, weightDecay: 0.01 }),
};

/** The parameters' values, for bit-for-bit comparisons. */
export function snapshot(params: Tensor[]): number[][] {
  return params.map((p) => Array.from(p.toTypedArray()));
}
