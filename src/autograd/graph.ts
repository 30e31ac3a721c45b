import { AutogradError } from '../errors.js';
import { isFloat } from '../tensor/dtype.js';
import type { GradFn, Tensor } from '../tensor/tensor.js';
import { isGradEnabled } from './grad-mode.js';

/** Names of the recorded ops; every differentiable op in `ops/` has one. */
export type OpName =
  | 'add' | 'sub' | 'mul' | 'div' | 'pow' | 'maximum' | 'minimum' | 'where'
  | 'neg' | 'exp' | 'log' | 'sqrt' | 'rsqrt' | 'abs' | 'sign' | 'clamp' | 'powScalar' | 'square' | 'reciprocal'
  | 'relu' | 'leakyRelu' | 'elu' | 'gelu' | 'sigmoid' | 'tanh' | 'softplus' | 'softmax' | 'logSoftmax'
  | 'sum' | 'max' | 'min'
  | 'matmul' | 'linear' | 'conv2d' | 'maxPool2d' | 'avgPool2d'
  | 'reshape' | 'permute' | 'expand' | 'slice' | 'concat' | 'pad' | 'gather' | 'indexSelect' | 'contiguous' | 'cast'
  | 'dropout' | 'softmaxCrossEntropy' | 'fakeQuantize' | 'fakeQuantizePerChannel';

/**
 * Computes the gradients of an op's inputs from the gradient of its output. Returns one entry per input
 * (null where an input needs none), each with its input's shape and dtype.
 */
export type BackwardRule = (gradOutput: Tensor) => readonly (Tensor | null)[];

/** A recorded op: its inputs and the rule that carries gradients back to them. */
export class Node implements GradFn {
  private rule: BackwardRule | null;

  constructor(
    readonly name: OpName,
    readonly inputs: readonly Tensor[],
    rule: BackwardRule,
  ) {
    this.rule = rule;
  }

  /** Runs the backward rule; fails clearly if the graph was already released. */
  apply(gradOutput: Tensor): readonly (Tensor | null)[] {
    if (this.rule === null) {
      throw new AutogradError(
        `backward: the graph through '${this.name}' was already released by an earlier backward(); ` +
          'pass { retainGraph: true } to the first backward() to run backward twice',
      );
    }
    return this.rule(gradOutput);
  }

  /** Drops the rule and with it every tensor it saved, so their memory can be collected. */
  release(): void {
    this.rule = null;
  }
}

/**
 * True when an op on `inputs` will be recorded for backward (gradients are enabled and an input requires
 * them), so an op can skip saving what only its backward rule needs.
 */
export function recordsGradient(inputs: readonly Tensor[]): boolean {
  return isGradEnabled() && inputs.some((t) => t.requiresGrad);
}

/**
 * Records that `output` was computed from `inputs` by op `name`, when gradients are enabled, the output is
 * a float tensor and any input requires gradients. The rule sits next to the forward code in each op's
 * file. Returns `output`.
 */
export function record(name: OpName, inputs: readonly Tensor[], output: Tensor, rule: BackwardRule): Tensor {
  if (isFloat(output.dtype) && recordsGradient(inputs)) {
    output.gradFn = new Node(name, inputs, rule);
    output.requiresGrad = true;
  }
  return output;
}
