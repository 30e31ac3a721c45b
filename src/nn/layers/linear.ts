import type { FusedActivation } from '../../backend/backend.js';
import { ArgumentError, ShapeError } from '../../errors.js';
import { linear } from '../../ops/linear.js';
import { formatShape } from '../../tensor/shape.js';
import { zeros } from '../../tensor/creation.js';
import type { Generator } from '../../tensor/random.js';
import type { Tensor } from '../../tensor/tensor.js';
import { kaimingUniform_, uniform_ } from '../init.js';
import { Module } from '../module.js';
import { Parameter } from '../parameter.js';

/** Options of {@link Linear}. */
export interface LinearOptions {
  /** Learn an additive bias (default true). */
  bias?: boolean;
  generator?: Generator;
}

/**
 * y = x · Wᵀ + b over the last dimension. W is [outFeatures, inFeatures] as in PyTorch, initialized like
 * PyTorch: Kaiming-uniform with a = √5, i.e. U(−1/√in, 1/√in), and the bias from the same range.
 */
export class Linear extends Module {
  readonly weight: Parameter;
  readonly bias: Parameter | null;

  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    options: LinearOptions = {},
  ) {
    super();
    for (const [name, value] of [['inFeatures', inFeatures], ['outFeatures', outFeatures]] as const) {
      if (!Number.isInteger(value) || value < 1) throw new ArgumentError(`Linear: ${name} must be a positive integer, got ${value}`);
    }
    this.weight = new Parameter(kaimingUniform_(zeros([outFeatures, inFeatures]), { a: Math.sqrt(5), generator: options.generator }));
    const bound = 1 / Math.sqrt(inFeatures);
    this.bias = options.bias === false ? null : new Parameter(uniform_(zeros([outFeatures]), -bound, bound, { generator: options.generator }));
  }

  forward(x: Tensor): Tensor {
    return this.forwardFused(x, 'none');
  }

  /** The layer's output with `activation` applied in the same op (what Sequential runs for Linear + ReLU). */
  forwardFused(x: Tensor, activation: FusedActivation): Tensor {
    if (x.shape[x.ndim - 1] !== this.inFeatures) {
      throw new ShapeError(`Linear(${this.inFeatures}→${this.outFeatures}): input ${formatShape(x.shape)} must end in ${this.inFeatures} features`);
    }
    return linear(x, this.weight, this.bias, activation);
  }

  override describe(): string {
    return `Linear(in=${this.inFeatures}, out=${this.outFeatures}${this.bias ? '' : ', bias=false'})`;
  }
}
