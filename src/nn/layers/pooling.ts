import { avgPool2d, globalAvgPool2d, maxPool2d, type AvgPool2dOptions, type Pool2dOptions } from '../../ops/pool.js';
import type { Size2d } from '../../ops/conv.js';
import type { Tensor } from '../../tensor/tensor.js';
import { Module } from '../module.js';

/** 2-D max pooling (stride defaults to the kernel size). */
export class MaxPool2d extends Module {
  constructor(
    readonly kernelSize: Size2d,
    readonly options: Pool2dOptions = {},
  ) {
    super();
  }

  forward(x: Tensor): Tensor {
    return maxPool2d(x, this.kernelSize, this.options);
  }

  override describe(): string {
    return `MaxPool2d(kernel=${JSON.stringify(this.kernelSize)}${this.options.stride !== undefined ? `, stride=${JSON.stringify(this.options.stride)}` : ''})`;
  }
}

/** 2-D average pooling (stride defaults to the kernel size). */
export class AvgPool2d extends Module {
  constructor(
    readonly kernelSize: Size2d,
    readonly options: AvgPool2dOptions = {},
  ) {
    super();
  }

  forward(x: Tensor): Tensor {
    return avgPool2d(x, this.kernelSize, this.options);
  }

  override describe(): string {
    return `AvgPool2d(kernel=${JSON.stringify(this.kernelSize)}${this.options.stride !== undefined ? `, stride=${JSON.stringify(this.options.stride)}` : ''})`;
  }
}

/** Mean over the spatial dimensions: [N, C, H, W] → [N, C, 1, 1]. */
export class GlobalAvgPool2d extends Module {
  forward(x: Tensor): Tensor {
    return globalAvgPool2d(x);
  }
}
