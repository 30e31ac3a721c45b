import { add } from '../../ops/arithmetic.js';
import { ShapeError } from '../../errors.js';
import { formatShape, sameShape } from '../../tensor/shape.js';
import type { Tensor } from '../../tensor/tensor.js';
import { Module } from '../module.js';
import { ReLU } from './activations.js';
import { Conv2d } from './conv2d.js';
import { Linear } from './linear.js';
import { MaxPool2d } from './pooling.js';
import { SparseLinear } from './sparse-linear.js';

/**
 * True when `layer` is a `type` running that class's own forward. Only such layers are fused: a forward
 * patched on the instance (a summary's probe, a user's hook) or overridden by a subclass must see its call.
 */
function isPlain<T extends Module>(layer: Module | undefined, type: abstract new (...args: never[]) => T): layer is T {
  return layer instanceof type && layer.forward === type.prototype.forward;
}

/**
 * Runs its layers one after another; children are named by index (`0.weight`, `1.bias`, …). Runs of layers
 * that have a fused op run as one: a Conv2d, Linear or SparseLinear followed by ReLU applies the ReLU as it
 * writes its output, and a Conv2d (with its ReLU) followed by MaxPool2d is pooled in the same op. Values and
 * gradients are those of the layers one by one, for fewer passes over memory.
 */
export class Sequential extends Module {
  readonly layers: Module[];

  constructor(...layers: Module[]) {
    super();
    this.layers = layers;
  }

  forward(x: Tensor): Tensor {
    const layers = this.layers;
    let out = x;
    for (let i = 0; i < layers.length; i++) {
      const layer = layers[i]!;
      if (isPlain(layer, Conv2d) || isPlain(layer, Linear) || isPlain(layer, SparseLinear)) {
        const relu = isPlain(layers[i + 1], ReLU);
        const poolAt = relu ? i + 2 : i + 1;
        const pool = layers[poolAt];
        if (layer instanceof Conv2d && isPlain(pool, MaxPool2d)) {
          out = layer.forwardFused(out, relu ? 'relu' : 'none', pool);
          i = poolAt;
          continue;
        }
        if (relu) {
          out = layer.forwardFused(out, 'relu');
          i++;
          continue;
        }
      }
      out = layer.forward(out);
    }
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
