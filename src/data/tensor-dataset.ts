import type { NumericArray } from '../backend/backend.js';
import { ShapeError } from '../errors.js';
import { allocate } from '../tensor/dtype.js';
import { formatShape, sizeOf } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { checkIndices, type Batch, type Dataset } from './dataset.js';

/** One tensor's rows, packed so that row `i` is `data[i·rowSize, (i+1)·rowSize)`. */
interface Rows {
  readonly tensor: Tensor;
  readonly data: NumericArray;
  readonly rowSize: number;
}

function rowsOf(tensor: Tensor): Rows {
  // Packed once here (a no-op for contiguous tensors) so that every batch is plain block copies.
  return { tensor, data: tensor.contiguousData(), rowSize: sizeOf(tensor.shape.slice(1)) };
}

function gatherRows(rows: Rows, indices: Int32Array): Tensor {
  const { data, rowSize } = rows;
  const out = allocate(rows.tensor.dtype, indices.length * rowSize);
  if (rowSize === 1) {
    for (let i = 0; i < indices.length; i++) out[i] = data[indices[i]!]!;
  } else {
    for (let i = 0; i < indices.length; i++) {
      const start = indices[i]! * rowSize;
      out.set(data.subarray(start, start + rowSize), i * rowSize);
    }
  }
  return new Tensor(out, [indices.length, ...rows.tensor.shape.slice(1)]);
}

/**
 * A dataset held in two tensors whose first dimension indexes the samples: `inputs` `[N, …]` and
 * `targets` `[N, …]` (class indices `[N]`, or regression targets). A batch copies the chosen rows into
 * contiguous tensors, one block copy per row.
 */
export class TensorDataset implements Dataset {
  readonly inputs: Tensor;
  readonly targets: Tensor;
  private readonly inputRows: Rows;
  private readonly targetRows: Rows;

  /** @throws ShapeError naming both shapes unless inputs and targets have the same first dimension */
  constructor(inputs: Tensor, targets: Tensor) {
    if (inputs.ndim < 1 || targets.ndim < 1 || inputs.shape[0] !== targets.shape[0]) {
      throw new ShapeError(
        `TensorDataset: inputs ${formatShape(inputs.shape)} and targets ${formatShape(targets.shape)} must have the ` +
          'same first dimension (one row per sample)',
      );
    }
    this.inputs = inputs;
    this.targets = targets;
    this.inputRows = rowsOf(inputs);
    this.targetRows = rowsOf(targets);
  }

  /** Number of samples. */
  get length(): number {
    return this.inputs.shape[0]!;
  }

  /**
   * The samples at `indices` as fresh contiguous tensors `[indices.length, …]`.
   * @throws ArgumentError when an index is out of range
   */
  take(indices: Int32Array): Batch {
    checkIndices(indices, this.length, 'TensorDataset.take');
    return { inputs: gatherRows(this.inputRows, indices), targets: gatherRows(this.targetRows, indices) };
  }

  /**
   * A new dataset holding copies of the samples at `indices`, in that order. Copying (rather than a view)
   * keeps its tensors whole, so statistics can be fitted on a training split directly.
   */
  subset(indices: Int32Array): TensorDataset {
    const batch = this.take(indices);
    return new TensorDataset(batch.inputs, batch.targets);
  }
}
