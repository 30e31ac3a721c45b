import type { FusedActivation } from '../../backend/backend.js';
import { ArgumentError } from '../../errors.js';
import { conv2d, pair, type Conv2dOptions, type Size2d } from '../../ops/conv.js';
import { conv2dMaxPool } from '../../ops/conv-pool.js';
import { zeros } from '../../tensor/creation.js';
import type { Generator } from '../../tensor/random.js';
import type { Tensor } from '../../tensor/tensor.js';
import { kaimingUniform_, uniform_ } from '../init.js';
import { Module } from '../module.js';
import { Parameter } from '../parameter.js';
import type { MaxPool2d } from './pooling.js';

/** Options of {@link Conv2d}. */
export interface Conv2dLayerOptions extends Conv2dOptions {
  bias?: boolean;
  generator?: Generator;
}

/**
 * 2-D convolution over NCHW input with learned weights [out, in/groups, kH, kW] and bias, initialized like
 * PyTorch (Kaiming-uniform with a = √5; bias U(−1/√fanIn, 1/√fanIn)).
 */
export class Conv2d extends Module {
  readonly weight: Parameter;
  readonly bias: Parameter | null;
  readonly kernelSize: [number, number];
  private readonly options: Conv2dOptions;

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    kernelSize: Size2d,
    options: Conv2dLayerOptions = {},
  ) {
    super();
    const groups = options.groups ?? 1;
    if (!Number.isInteger(inChannels) || !Number.isInteger(outChannels) || inChannels < 1 || outChannels < 1) {
      throw new ArgumentError(`Conv2d: channel counts must be positive integers, got ${inChannels} → ${outChannels}`);
    }
    if (inChannels % groups !== 0 || outChannels % groups !== 0) {
      throw new ArgumentError(`Conv2d: groups=${groups} must divide both inChannels (${inChannels}) and outChannels (${outChannels})`);
    }
    this.kernelSize = pair(kernelSize, 'kernelSize', 'Conv2d', 1);
    const [kh, kw] = this.kernelSize;
    this.options = { stride: options.stride, padding: options.padding, dilation: options.dilation, groups };
    this.weight = new Parameter(
      kaimingUniform_(zeros([outChannels, inChannels / groups, kh, kw]), { a: Math.sqrt(5), generator: options.generator }),
    );
    const bound = 1 / Math.sqrt((inChannels / groups) * kh * kw);
    this.bias = options.bias === false ? null : new Parameter(uniform_(zeros([outChannels]), -bound, bound, { generator: options.generator }));
  }

  forward(x: Tensor): Tensor {
    return conv2d(x, this.weight, this.bias, this.options);
  }

  /**
   * The layer's output with `activation` applied in the same op and, when `pool` is given, max-pooled by
   * it: what Sequential runs for Conv2d, ReLU and MaxPool2d in a row.
   */
  forwardFused(x: Tensor, activation: FusedActivation, pool?: MaxPool2d): Tensor {
    if (pool === undefined) return conv2d(x, this.weight, this.bias, this.options, activation);
    return conv2dMaxPool(x, this.weight, this.bias, this.options, activation, pool.kernelSize, pool.options);
  }

  override describe(): string {
    const o = this.options;
    const extras = [
      o.stride !== undefined && o.stride !== 1 ? `stride=${JSON.stringify(o.stride)}` : '',
      o.padding !== undefined && o.padding !== 0 ? `padding=${JSON.stringify(o.padding)}` : '',
      o.dilation !== undefined && o.dilation !== 1 ? `dilation=${JSON.stringify(o.dilation)}` : '',
      o.groups !== 1 ? `groups=${o.groups}` : '',
      this.bias ? '' : 'bias=false',
    ].filter(Boolean);
    return `Conv2d(${this.inChannels}→${this.outChannels}, kernel=${this.kernelSize.join('×')}${extras.length ? ', ' + extras.join(', ') : ''})`;
  }
}
