import { record } from '../autograd/graph.js';
import type { Conv2dGeometry, FloatArray, FusedActivation } from '../backend/backend.js';
import { getBackend } from '../backend/registry.js';
import { ArgumentError, ShapeError } from '../errors.js';
import { allocateUninitialized, assertFloat, promoteTypes } from '../tensor/dtype.js';
import { formatShape, type Shape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { activationGradient } from './fused-activation.js';
import { cast, reduceKernel } from './primitives.js';

/** A size given once for both spatial dimensions or as [height, width]. */
export type Size2d = number | readonly [number, number];

/** Options of {@link conv2d}. */
export interface Conv2dOptions {
  stride?: Size2d;
  /** Zero padding per side, or 'valid' (none), or 'same' (output as large as the input; stride 1 only). */
  padding?: Size2d | 'same' | 'valid';
  dilation?: Size2d;
  /** Split channels into groups convolved separately; groups = inChannels is a depthwise convolution. */
  groups?: number;
}

/** [h, w] from a {@link Size2d}, checked to be integers ≥ `min`. */
export function pair(value: Size2d, name: string, op: string, min: number): [number, number] {
  const [h, w] = typeof value === 'number' ? [value, value] : value;
  if (!Number.isInteger(h) || !Number.isInteger(w) || h < min || w < min) {
    throw new ArgumentError(`${op}: ${name} must be ${min === 0 ? 'non-negative' : 'positive'} integers, got ${JSON.stringify(value)}`);
  }
  return [h, w];
}

/**
 * Resolves the shapes of an NCHW input and of the weights, and the options, into the kernel geometry,
 * with errors that name what does not fit.
 */
export function conv2dGeometry(xShape: Shape, weightShape: Shape, options: Conv2dOptions): Conv2dGeometry {
  if (xShape.length !== 4) {
    throw new ShapeError(`conv2d: input must be 4-D [batch, channels, height, width], got ${formatShape(xShape)}${xShape.length === 3 ? '; add a batch dimension with unsqueeze(x, 0)' : ''}`);
  }
  if (weightShape.length !== 4) throw new ShapeError(`conv2d: weight must be 4-D [outChannels, inChannels/groups, kH, kW], got ${formatShape(weightShape)}`);
  const [batch, inChannels, inH, inW] = xShape as [number, number, number, number];
  const [outChannels, groupChannels, kernelH, kernelW] = weightShape as [number, number, number, number];
  const groups = options.groups ?? 1;
  if (!Number.isInteger(groups) || groups < 1) throw new ArgumentError(`conv2d: groups must be a positive integer, got ${groups}`);
  if (inChannels !== groupChannels * groups || outChannels % groups !== 0) {
    throw new ShapeError(
      `conv2d: input ${formatShape(xShape)} has ${inChannels} channels but weight ${formatShape(weightShape)} with groups=${groups} ` +
        `expects ${groupChannels * groups}${outChannels % groups !== 0 ? ` (and ${outChannels} output channels are not divisible by ${groups})` : ''}`,
    );
  }
  const [strideH, strideW] = pair(options.stride ?? 1, 'stride', 'conv2d', 1);
  const [dilationH, dilationW] = pair(options.dilation ?? 1, 'dilation', 'conv2d', 1);
  const extentH = dilationH * (kernelH - 1) + 1;
  const extentW = dilationW * (kernelW - 1) + 1;
  let padTop: number, padLeft: number, outH: number, outW: number;
  const padding = options.padding ?? 0;
  if (padding === 'same') {
    if (strideH !== 1 || strideW !== 1) throw new ArgumentError(`conv2d: padding 'same' needs stride 1, got stride [${strideH},${strideW}]`);
    // Odd total padding puts the extra row/column at the bottom/right, as PyTorch and TensorFlow do.
    padTop = Math.floor((extentH - 1) / 2);
    padLeft = Math.floor((extentW - 1) / 2);
    outH = inH;
    outW = inW;
  } else {
    const [ph, pw] = padding === 'valid' ? [0, 0] : pair(padding, 'padding', 'conv2d', 0);
    padTop = ph;
    padLeft = pw;
    outH = Math.floor((inH + 2 * ph - extentH) / strideH) + 1;
    outW = Math.floor((inW + 2 * pw - extentW) / strideW) + 1;
  }
  if (outH < 1 || outW < 1) {
    throw new ShapeError(
      `conv2d: input ${inH}×${inW} (padding ${padTop},${padLeft}) is smaller than the dilated kernel ${extentH}×${extentW}; ` +
        'use a smaller kernel or more padding',
    );
  }
  return { batch, inChannels, inH, inW, outChannels, kernelH, kernelW, strideH, strideW, padTop, padLeft, dilationH, dilationW, groups, outH, outW };
}

/**
 * 2-D convolution (cross-correlation, as in every deep learning library) of NCHW input with weights
 * [outChannels, inChannels/groups, kH, kW] and an optional bias [outChannels]. `activation` 'relu' computes
 * relu(conv2d(…)) in the same pass, the way a Conv2d layer followed by ReLU runs.
 */
export function conv2d(
  x: Tensor,
  weight: Tensor,
  bias: Tensor | null = null,
  options: Conv2dOptions = {},
  activation: FusedActivation = 'none',
): Tensor {
  assertFloat(x.dtype, 'conv2d: input');
  assertFloat(weight.dtype, 'conv2d: weight');
  const g = conv2dGeometry(x.shape, weight.shape, options);
  if (bias !== null) {
    assertFloat(bias.dtype, 'conv2d: bias');
    if (bias.ndim !== 1 || bias.shape[0] !== g.outChannels) {
      throw new ShapeError(`conv2d: bias must have shape [${g.outChannels}] (one per output channel), got ${formatShape(bias.shape)}`);
    }
  }
  const dtype = [x, weight, ...(bias ? [bias] : [])].map((t) => t.dtype).reduce(promoteTypes);
  const xData = cast(x, dtype).contiguousData() as FloatArray;
  const wData = cast(weight, dtype).contiguousData() as FloatArray;
  // Every kernel here overwrites its output, so none needs zeroed storage.
  const out = allocateUninitialized(dtype, g.batch * g.outChannels * g.outH * g.outW) as FloatArray;
  const backend = getBackend();
  backend.conv2d(g, xData, wData, bias ? (cast(bias, dtype).contiguousData() as FloatArray) : null, out, activation);
  const inputs = bias ? [x, weight, bias] : [x, weight];
  return record('conv2d', inputs, new Tensor(out, [g.batch, g.outChannels, g.outH, g.outW]), (gradOut) => {
    const dy = activationGradient(activation, out, cast(gradOut, dtype).contiguousData() as FloatArray);
    let dx: Tensor | null = null;
    let dw: Tensor | null = null;
    if (x.requiresGrad) {
      const data = allocateUninitialized(dtype, x.size) as FloatArray;
      backend.conv2dBackwardInput(g, dy, wData, data);
      dx = cast(new Tensor(data, x.shape), x.dtype);
    }
    if (weight.requiresGrad) {
      const data = allocateUninitialized(dtype, weight.size) as FloatArray;
      backend.conv2dBackwardWeight(g, xData, dy, data);
      dw = cast(new Tensor(data, weight.shape), weight.dtype);
    }
    const db = bias?.requiresGrad
      ? cast(reduceKernel('sum', new Tensor(dy, gradOut.shape), [true, false, true, true], false), bias.dtype)
      : null;
    return [dx, dw, db];
  });
}
