import { ArgumentError } from '../../errors.js';
import { indexSelect } from '../../ops/indexing.js';
import { reshape } from '../../ops/shape.js';
import { zeros } from '../../tensor/creation.js';
import type { DType } from '../../tensor/dtype.js';
import type { Generator } from '../../tensor/random.js';
import type { Tensor } from '../../tensor/tensor.js';
import { normal_ } from '../init.js';
import { Module } from '../module.js';
import { Parameter } from '../parameter.js';

/**
 * A lookup table of learned vectors: integer indices of any shape [...] give vectors [..., embeddingDim].
 * Initialized N(0, 1) like PyTorch.
 */
export class Embedding extends Module {
  readonly weight: Parameter;

  constructor(
    readonly numEmbeddings: number,
    readonly embeddingDim: number,
    options: { generator?: Generator } = {},
  ) {
    super();
    if (!Number.isInteger(numEmbeddings) || !Number.isInteger(embeddingDim) || numEmbeddings < 1 || embeddingDim < 1) {
      throw new ArgumentError(`Embedding: sizes must be positive integers, got ${numEmbeddings}×${embeddingDim}`);
    }
    this.weight = new Parameter(normal_(zeros([numEmbeddings, embeddingDim]), 0, 1, options));
  }

  forward(indices: Tensor): Tensor {
    const rows = indexSelect(this.weight, 0, reshape(indices, [indices.size]));
    return reshape(rows, [...indices.shape, this.embeddingDim]);
  }

  override inputDType(): DType {
    return 'int32';
  }

  override describe(): string {
    return `Embedding(${this.numEmbeddings}, ${this.embeddingDim})`;
  }
}
