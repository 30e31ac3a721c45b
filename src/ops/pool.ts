import { record, recordsGradient } from '../autograd/graph.js';
import type { FloatArray, Pool2dGeometry } from '../backend/backend.js';
import { getBackend } from '../backend/registry.js';
import { ArgumentError, ShapeError } from '../errors.js';
import { allocateUninitialized, assertFloat } from '../tensor/dtype.js';
import { formatShape, type Shape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { pair, type Size2d } from './conv.js';
import { mean } from './reduce.js';

/** Options of the pooling ops. */
export interface Pool2dOptions {
  /** Step between windows; defaults to the kernel size (non-overlapping windows). */
  stride?: Size2d;
  /** Implicit padding per side; at most half the kernel. Max pooling pads with −∞. */
  padding?: Size2d;
}

/** Options of {@link avgPool2d}. */
export interface AvgPool2dOptions extends Pool2dOptions {
  /** Count padded zeros in the average (PyTorch's default, true) or only the real elements. */
  countIncludePad?: boolean;
}

/** Resolves an NCHW input shape, the window and the options into the kernel geometry (`op` names the caller in errors). */
export function pool2dGeometry(op: string, xShape: Shape, kernelSize: Size2d, options: Pool2dOptions): Pool2dGeometry {
  if (xShape.length !== 4) throw new ShapeError(`${op}: input must be 4-D [batch, channels, height, width], got ${formatShape(xShape)}`);
  const [batch, channels, inH, inW] = xShape as [number, number, number, number];
  const [kernelH, kernelW] = pair(kernelSize, 'kernelSize', op, 1);
  const [strideH, strideW] = pair(options.stride ?? kernelSize, 'stride', op, 1);
  const [padH, padW] = pair(options.padding ?? 0, 'padding', op, 0);
  if (2 * padH > kernelH || 2 * padW > kernelW) {
    throw new ArgumentError(`${op}: padding [${padH},${padW}] must be at most half the kernel [${kernelH},${kernelW}]`);
  }
  const outH = Math.floor((inH + 2 * padH - kernelH) / strideH) + 1;
  const outW = Math.floor((inW + 2 * padW - kernelW) / strideW) + 1;
  if (outH < 1 || outW < 1) {
    throw new ShapeError(`${op}: input ${inH}×${inW} (padding ${padH},${padW}) is smaller than the kernel ${kernelH}×${kernelW}`);
  }
  return { batch, channels, inH, inW, kernelH, kernelW, strideH, strideW, padH, padW, outH, outW };
}

/** 2-D max pooling over NCHW input; the gradient goes to the (first) maximum of each window. */
export function maxPool2d(x: Tensor, kernelSize: Size2d, options: Pool2dOptions = {}): Tensor {
  assertFloat(x.dtype, 'maxPool2d: input');
  const g = pool2dGeometry('maxPool2d', x.shape, kernelSize, options);
  const outSize = g.batch * g.channels * g.outH * g.outW;
  // The pooling kernels overwrite their outputs (the backward ones zero dx first), so none needs zeroed storage.
  const out = allocateUninitialized(x.dtype, outSize) as FloatArray;
  // The positions of the maxima are only needed to route a gradient back.
  const argmax = recordsGradient([x]) ? (allocateUninitialized('int32', outSize) as Int32Array) : null;
  const backend = getBackend();
  backend.maxPool2d(g, x.contiguousData() as FloatArray, out, argmax);
  return record('maxPool2d', [x], new Tensor(out, [g.batch, g.channels, g.outH, g.outW]), (gradOut) => {
    const dx = allocateUninitialized(x.dtype, x.size) as FloatArray;
    backend.maxPool2dBackward(g, gradOut.contiguousData() as FloatArray, argmax!, dx);
    return [new Tensor(dx, x.shape)];
  });
}

/** 2-D average pooling over NCHW input. */
export function avgPool2d(x: Tensor, kernelSize: Size2d, options: AvgPool2dOptions = {}): Tensor {
  assertFloat(x.dtype, 'avgPool2d: input');
  const g = pool2dGeometry('avgPool2d', x.shape, kernelSize, options);
  const countIncludePad = options.countIncludePad ?? true;
  const out = allocateUninitialized(x.dtype, g.batch * g.channels * g.outH * g.outW) as FloatArray;
  const backend = getBackend();
  backend.avgPool2d(g, countIncludePad, x.contiguousData() as FloatArray, out);
  return record('avgPool2d', [x], new Tensor(out, [g.batch, g.channels, g.outH, g.outW]), (gradOut) => {
    const dx = allocateUninitialized(x.dtype, x.size) as FloatArray;
    backend.avgPool2dBackward(g, countIncludePad, gradOut.contiguousData() as FloatArray, dx);
    return [new Tensor(dx, x.shape)];
  });
}

/** Mean over the spatial dimensions of NCHW input: [N, C, H, W] → [N, C, 1, 1]. */
export function globalAvgPool2d(x: Tensor): Tensor {
  if (x.ndim !== 4) throw new ShapeError(`globalAvgPool2d: input must be 4-D [batch, channels, height, width], got ${formatShape(x.shape)}`);
  return mean(x, [2, 3], { keepDim: true });
}
