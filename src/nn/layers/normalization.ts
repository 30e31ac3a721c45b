import { ArgumentError, ShapeError } from '../../errors.js';
import { batchNorm } from '../../ops/batch-norm.js';
import { layerNorm } from '../../ops/layer-norm.js';
import { ones, zeros } from '../../tensor/creation.js';
import { formatShape } from '../../tensor/shape.js';
import type { Tensor } from '../../tensor/tensor.js';
import { Module } from '../module.js';
import { Parameter } from '../parameter.js';

/** Options of the batch normalization layers. */
export interface BatchNormOptions {
  eps?: number;
  /** Weight of each new batch in the running statistics (default 0.1, PyTorch's convention). */
  momentum?: number;
  /** Learn a per-channel scale and shift (default true). */
  affine?: boolean;
}

/** Shared by BatchNorm1d and BatchNorm2d: per-channel (dimension 1) normalization. */
abstract class BatchNormBase extends Module {
  readonly weight: Parameter | null;
  readonly bias: Parameter | null;
  readonly runningMean: Tensor;
  readonly runningVar: Tensor;
  readonly eps: number;
  readonly momentum: number;

  protected constructor(
    readonly numFeatures: number,
    private readonly expectedRanks: readonly number[],
    options: BatchNormOptions,
  ) {
    super();
    if (!Number.isInteger(numFeatures) || numFeatures < 1) {
      throw new ArgumentError(`${new.target.name}: numFeatures must be a positive integer, got ${numFeatures}`);
    }
    this.eps = options.eps ?? 1e-5;
    this.momentum = options.momentum ?? 0.1;
    const affine = options.affine ?? true;
    this.weight = affine ? new Parameter(ones([numFeatures])) : null;
    this.bias = affine ? new Parameter(zeros([numFeatures])) : null;
    this.runningMean = zeros([numFeatures]);
    this.runningVar = ones([numFeatures]);
  }

  forward(x: Tensor): Tensor {
    if (!this.expectedRanks.includes(x.ndim) || x.shape[1] !== this.numFeatures) {
      throw new ShapeError(
        `${this.constructor.name}(${this.numFeatures}): input ${formatShape(x.shape)} must be ` +
          `${this.expectedRanks.map((r) => `${r}-D`).join(' or ')} with ${this.numFeatures} channels in dimension 1`,
      );
    }
    return batchNorm(x, this.runningMean, this.runningVar, this.weight, this.bias, {
      training: this.training,
      momentum: this.momentum,
      eps: this.eps,
    });
  }

  override describe(): string {
    return `${this.constructor.name}(${this.numFeatures}, eps=${this.eps}, momentum=${this.momentum})`;
  }
}

/** Batch normalization of [N, C] or [N, C, L] input. */
export class BatchNorm1d extends BatchNormBase {
  constructor(numFeatures: number, options: BatchNormOptions = {}) {
    super(numFeatures, [2, 3], options);
  }
}

/** Batch normalization of [N, C, H, W] input. */
export class BatchNorm2d extends BatchNormBase {
  constructor(numFeatures: number, options: BatchNormOptions = {}) {
    super(numFeatures, [4], options);
  }
}

/** Layer normalization over the trailing `normalizedShape` dimensions, with a learned scale and shift. */
export class LayerNorm extends Module {
  readonly normalizedShape: number[];
  readonly weight: Parameter | null;
  readonly bias: Parameter | null;

  constructor(
    normalizedShape: number | readonly number[],
    readonly eps = 1e-5,
    elementwiseAffine = true,
  ) {
    super();
    this.normalizedShape = typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
    this.weight = elementwiseAffine ? new Parameter(ones(this.normalizedShape)) : null;
    this.bias = elementwiseAffine ? new Parameter(zeros(this.normalizedShape)) : null;
  }

  forward(x: Tensor): Tensor {
    return layerNorm(x, this.normalizedShape, this.weight, this.bias, this.eps);
  }

  override describe(): string {
    return `LayerNorm(${formatShape(this.normalizedShape)}, eps=${this.eps})`;
  }
}
