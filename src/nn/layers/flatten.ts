import { flatten } from '../../ops/shape.js';
import type { Tensor } from '../../tensor/tensor.js';
import { Module } from '../module.js';

/** Merges dimensions startDim…endDim; the default keeps the batch dimension: [N, C, H, W] → [N, C·H·W]. */
export class Flatten extends Module {
  constructor(
    readonly startDim = 1,
    readonly endDim = -1,
  ) {
    super();
  }

  forward(x: Tensor): Tensor {
    return flatten(x, this.startDim, this.endDim);
  }
}
