import { add } from '../../ops/arithmetic.js';
import { ShapeError } from '../../errors.js';
import { formatShape, sameShape } from '../../tensor/shape.js';
import type { Tensor } from '../../tensor/tensor.js';
import { Module } from '../module.js';

/** Runs its layers one after another; children are named by index (`0.weight`, `1.bias`, …). */
export class Sequential extends Module {
  readonly layers: Module[];

  constructor(...layers: Module[]) {
    super();
    this.layers = layers;
  }

  forward(x: Tensor): Tensor {
    let out = x;
    for (const layer of this.layers) out = layer.forward(out);
    return out;
  }

  override namedChildren(): [string, Module][] {
    // Children are the layers themselves, named 0, 1, … as in PyTorch (not layers.0, layers.1, …).
    return this.layers.map((layer, i) => [String(i), layer]);
  }
}

/**
 * A residual connection (He et al. 2016): out = body(x) + shortcut(x), with the identity as the default
 * shortcut. Use a 1×1 convolution (and batch norm) as the shortcut when body changes the shape.
 */
export class Residual extends Module {
  constructor(
    readonly body: Module,
    readonly shortcut: Module | null = null,
  ) {
    super();
  }

  forward(x: Tensor): Tensor {
    const main = this.body.forward(x);
    const skip = this.shortcut ? this.shortcut.forward(x) : x;
    if (!sameShape(main.shape, skip.shape)) {
      throw new ShapeError(
        `Residual: the body's output ${formatShape(main.shape)} differs from the shortcut's ${formatShape(skip.shape)}; ` +
          'give the block a shortcut (e.g. a 1×1 Conv2d with the same stride) that matches',
      );
    }
    return add(main, skip);
  }
}
