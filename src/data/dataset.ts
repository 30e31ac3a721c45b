/**
 * What a data loader needs from a dataset: its length, and a batch for a list of sample indices. Datasets
 * built from tensors, files or generators all plug into the same loader, splits and subsets.
 */
import { ArgumentError } from '../errors.js';
import type { Tensor } from '../tensor/tensor.js';

/** A batch of samples: inputs and targets with the batch as their first dimension. */
export interface Batch {
  readonly inputs: Tensor;
  readonly targets: Tensor;
}

/** A finite, indexable collection of samples. */
export interface Dataset {
  /** Number of samples. */
  readonly length: number;
  /**
   * The samples at `indices` (each in `[0, length)`, repeats allowed), in that order, as one batch of fresh
   * tensors the caller may keep or modify.
   */
  take(indices: Int32Array): Batch;
}

/** Throws an {@link ArgumentError} naming `what` unless every index lies in `[0, length)`. */
export function checkIndices(indices: Int32Array, length: number, what: string): void {
  for (let i = 0; i < indices.length; i++) {
    const index = indices[i]!;
    if (index < 0 || index >= length) {
      throw new ArgumentError(
        `${what}: index ${index} (position ${i}) is out of range for a dataset of ${length} samples (valid: 0..${length - 1})`,
      );
    }
  }
}

/**
 * A view of some samples of another dataset, without copying them: sample `i` of the subset is sample
 * `indices[i]` of `dataset`. Splits of datasets that are not tensors use it.
 */
export class Subset implements Dataset {
  readonly dataset: Dataset;
  /** The parent's index of each sample of the subset. */
  readonly indices: Int32Array;

  /** @throws ArgumentError when an index is outside the parent dataset */
  constructor(dataset: Dataset, indices: Int32Array) {
    checkIndices(indices, dataset.length, 'Subset');
    this.dataset = dataset;
    this.indices = indices.slice();
  }

  get length(): number {
    return this.indices.length;
  }

  take(indices: Int32Array): Batch {
    checkIndices(indices, this.indices.length, 'Subset.take');
    const parent = new Int32Array(indices.length);
    for (let i = 0; i < indices.length; i++) parent[i] = this.indices[indices[i]!]!;
    return this.dataset.take(parent);
  }
}
