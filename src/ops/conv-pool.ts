import { recordsGradient } from '../autograd/graph.js';
import type { FloatArray, FusedActivation } from '../backend/backend.js';
import { getBackend } from '../backend/registry.js';
import { ShapeError } from '../errors.js';
import { allocateUninitialized, assertFloat, promoteTypes } from '../tensor/dtype.js';
import { formatShape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { conv2d, conv2dGeometry, type Conv2dOptions, type Size2d } from './conv.js';
import { maxPool2d, pool2dGeometry, type Pool2dOptions } from './pool.js';
import { cast } from './primitives.js';

/**
 * `maxPool2d(act(conv2d(x, weight, bias, convOptions)), poolKernel, poolOptions)`: a convolution layer with
 * its activation and max pooling, the way Sequential runs Conv2d, ReLU, MaxPool2d. When no gradient is
 * recorded it is one kernel, which pools each image's convolution while it is still in cache instead of
 * writing the whole convolution out and reading it back; otherwise it is conv2d then maxPool2d, which
 * record their backward rules. Same values either way.
 */
export function conv2dMaxPool(
  x: Tensor,
  weight: Tensor,
  bias: Tensor | null,
  convOptions: Conv2dOptions,
  activation: FusedActivation,
  poolKernel: Size2d,
  poolOptions: Pool2dOptions = {},
): Tensor {
  const inputs = bias ? [x, weight, bias] : [x, weight];
  if (recordsGradient(inputs)) return maxPool2d(conv2d(x, weight, bias, convOptions, activation), poolKernel, poolOptions);
  assertFloat(x.dtype, 'conv2d: input');
  assertFloat(weight.dtype, 'conv2d: weight');
  const g = conv2dGeometry(x.shape, weight.shape, convOptions);
  if (bias !== null) {
    assertFloat(bias.dtype, 'conv2d: bias');
    if (bias.ndim !== 1 || bias.shape[0] !== g.outChannels) {
      throw new ShapeError(`conv2d: bias must have shape [${g.outChannels}] (one per output channel), got ${formatShape(bias.shape)}`);
    }
  }
  const pool = pool2dGeometry('maxPool2d', [g.batch, g.outChannels, g.outH, g.outW], poolKernel, poolOptions);
  const dtype = inputs.map((t) => t.dtype).reduce(promoteTypes);
  const out = allocateUninitialized(dtype, pool.batch * pool.channels * pool.outH * pool.outW) as FloatArray;
  getBackend().conv2dMaxPool(
    g,
    pool,
    cast(x, dtype).contiguousData() as FloatArray,
    cast(weight, dtype).contiguousData() as FloatArray,
    bias ? (cast(bias, dtype).contiguousData() as FloatArray) : null,
    out,
    activation,
  );
  return new Tensor(out, [pool.batch, pool.channels, pool.outH, pool.outW]);
}
