/**
 * Argument checks of the integer kernels, shared by every backend so that an error reads the same
 * whichever backend runs, and so that no backend reads or writes outside its arrays.
 */
import { checkCount, checkMatrix, failKernel } from './kernel-args.js';
import type { Backend, ChannelsLastShape, Conv2dGeometry, PackedInt8Matrix, Pool2dGeometry, QGemmArgs, Requantization } from './backend.js';

/**
 * The longest reduction an integer product accepts: 255 · 128 · k stays below 2³⁰, so the accumulator plus
 * a bias of magnitude below 2³⁰ never leaves int32 (no backend wraps or saturates).
 */
export const MAX_INT8_REDUCTION = 32_768;
/** Biases must stay below this magnitude (see {@link MAX_INT8_REDUCTION}). */
export const MAX_INT8_BIAS = 2 ** 30;


/** Checks the shape of weights to pack. */
export function checkPackInt8(w: Int8Array, n: number, k: number): void {
  checkCount('packInt8', 'n', n);
  checkCount('packInt8', 'k', k);
  if (k > MAX_INT8_REDUCTION) failKernel('packInt8', `k = ${k} exceeds the longest reduction, ${MAX_INT8_REDUCTION}`);
  if (w.length < n * k) failKernel('packInt8', `weights [${n}, ${k}] need ${n * k} values, got ${w.length}`);
}

/** Checks a requantization against the number of output channels and the output array's type. */
export function checkRequantization(kernel: string, r: Requantization, n: number, out: Uint8Array | Float32Array): void {
  if (r.bias.length < n || r.scale.length < n) {
    failKernel(kernel, `bias and scale need ${n} values (one per output channel), got ${r.bias.length} and ${r.scale.length}`);
  }
  for (let j = 0; j < n; j++) {
    if (Math.abs(r.bias[j]!) >= MAX_INT8_BIAS) failKernel(kernel, `bias[${j}] = ${r.bias[j]} is not below 2^30 in magnitude`);
  }
  if (r.kind === 'uint8') {
    if (!(out instanceof Uint8Array)) failKernel(kernel, 'a uint8 requantization writes a Uint8Array');
    for (const [name, value] of [['zeroPoint', r.zeroPoint], ['min', r.min], ['max', r.max]] as const) {
      if (!Number.isInteger(value) || value < 0 || value > 255) failKernel(kernel, `${name} must be an integer in [0, 255], got ${value}`);
    }
    if (r.min > r.max) failKernel(kernel, `min ${r.min} exceeds max ${r.max}`);
  } else {
    if (!(out instanceof Float32Array)) failKernel(kernel, 'a float32 requantization writes a Float32Array');
    if (r.offset !== null && r.offset.length < n) failKernel(kernel, `offset needs ${n} values, got ${r.offset.length}`);
  }
}

/** Checks every extent of an integer product. */
export function checkQGemm(args: QGemmArgs, backend: string): void {
  checkPacked('qgemm', args.w, backend);
  checkCount('qgemm', 'm', args.m);
  checkMatrix('qgemm', 'a', args.a.length, args.aOffset, args.lda, args.m, args.w.k);
  checkMatrix('qgemm', 'out', args.out.length, args.outOffset, args.ldo, args.m, args.w.n);
  checkRequantization('qgemm', args.requant, args.w.n, args.out);
}

/** Checks that weights were packed by this backend. */
export function checkPacked(kernel: string, w: PackedInt8Matrix, backend: string): void {
  if (w.backend !== backend) failKernel(kernel, `the weights were packed by the ${w.backend} backend; pack them with ${backend}'s packInt8`);
}

function checkGeometryFields(kernel: string, g: object): void {
  for (const [name, value] of Object.entries(g)) {
    if (typeof value === 'number') checkCount(kernel, name, value);
  }
}

/** Checks the convolution half of `kernel`: geometry (channels-last, groups = 1), weights, zero point and input. */
function checkConvInput(kernel: string, g: Conv2dGeometry, x: Uint8Array, xZeroPoint: number, w: PackedInt8Matrix, backend: string): void {
  checkGeometryFields(kernel, g);
  checkPacked(kernel, w, backend);
  if (g.groups !== 1) failKernel(kernel, `only groups = 1 is supported, got ${g.groups}`);
  for (const name of ['strideH', 'strideW', 'dilationH', 'dilationW'] as const) checkCount(kernel, name, g[name], 1);
  if (w.n !== g.outChannels || w.k !== g.kernelH * g.kernelW * g.inChannels) {
    failKernel(kernel, `weights packed as [${w.n}, ${w.k}] do not fit [${g.outChannels}, ${g.kernelH}·${g.kernelW}·${g.inChannels}]`);
  }
  if (!Number.isInteger(xZeroPoint) || xZeroPoint < 0 || xZeroPoint > 255) failKernel(kernel, `xZeroPoint must be in [0, 255], got ${xZeroPoint}`);
  const inputs = g.batch * g.inH * g.inW * g.inChannels;
  if (x.length < inputs) failKernel(kernel, `x needs ${inputs} values, got ${x.length}`);
}

/** Checks an integer convolution's geometry against its arrays (channels-last, groups = 1). */
export function checkQConv2d(g: Conv2dGeometry, x: Uint8Array, xZeroPoint: number, w: PackedInt8Matrix, r: Requantization, out: Uint8Array | Float32Array, backend: string): void {
  checkConvInput('qconv2d', g, x, xZeroPoint, w, backend);
  const outputs = g.batch * g.outH * g.outW * g.outChannels;
  if (out.length < outputs) failKernel('qconv2d', `out needs ${outputs} values, got ${out.length}`);
  checkRequantization('qconv2d', r, g.outChannels, out);
}

/** The pooling window of {@link Backend.qconv2dMaxPool}. */
type PoolWindow = Parameters<Backend['qconv2dMaxPool']>[1];

/**
 * Checks a convolution fused with the max pooling after it: the convolution as {@link checkQConv2d} does,
 * then a window whose output size is exactly the number of whole windows in the conv output (pooling
 * there never pads), a uint8 requantization and the pooled output's length.
 */
export function checkQConv2dMaxPool(g: Conv2dGeometry, pool: PoolWindow, x: Uint8Array, xZeroPoint: number, w: PackedInt8Matrix, r: Requantization, out: Uint8Array, backend: string): void {
  const kernel = 'qconv2dMaxPool';
  checkConvInput(kernel, g, x, xZeroPoint, w, backend);
  for (const name of ['kernelH', 'kernelW', 'strideH', 'strideW'] as const) checkCount(kernel, `pool ${name}`, pool[name], 1);
  for (const [axis, size, window, stride, got] of [['H', g.outH, pool.kernelH, pool.strideH, pool.outH], ['W', g.outW, pool.kernelW, pool.strideW, pool.outW]] as const) {
    const want = size < window ? 0 : Math.floor((size - window) / stride) + 1;
    if (got !== want) failKernel(kernel, `pool out${axis} must be ${want}, the whole ${window}-wide windows ${stride} apart in ${size} conv outputs, got ${got}`);
  }
  if (r.kind !== 'uint8') failKernel(kernel, 'the requantization must be uint8 (max pooling works on u8 activations)');
  const outputs = g.batch * pool.outH * pool.outW * g.outChannels;
  if (out.length < outputs) failKernel(kernel, `out needs ${outputs} values, got ${out.length}`);
  checkRequantization(kernel, r, g.outChannels, out);
}

/** Checks an integer pooling's geometry against its arrays (channels-last). */
export function checkQPool2d(kernel: string, g: Pool2dGeometry, x: Uint8Array, out: Uint8Array): void {
  checkGeometryFields(kernel, g);
  checkCount(kernel, 'strideH', g.strideH, 1);
  checkCount(kernel, 'strideW', g.strideW, 1);
  checkCount(kernel, 'kernelH', g.kernelH, 1);
  checkCount(kernel, 'kernelW', g.kernelW, 1);
  if (2 * g.padH > g.kernelH || 2 * g.padW > g.kernelW) failKernel(kernel, 'padding must be at most half the kernel, so every window holds an input element');
  const inputs = g.batch * g.inH * g.inW * g.channels;
  const outputs = g.batch * g.outH * g.outW * g.channels;
  if (x.length < inputs) failKernel(kernel, `x needs ${inputs} values, got ${x.length}`);
  if (out.length < outputs) failKernel(kernel, `out needs ${outputs} values, got ${out.length}`);
}

/** Checks a quantize or dequantize call. */
export function checkQuantize(kernel: string, shape: ChannelsLastShape, scale: number, zeroPoint: number, xLength: number, outLength: number): void {
  checkCount(kernel, 'batch', shape.batch);
  checkCount(kernel, 'channels', shape.channels);
  checkCount(kernel, 'plane', shape.plane);
  if (!(scale > 0 && Number.isFinite(scale))) failKernel(kernel, `scale must be a positive finite number, got ${scale}`);
  if (!Number.isInteger(zeroPoint) || zeroPoint < 0 || zeroPoint > 255) failKernel(kernel, `zeroPoint must be in [0, 255], got ${zeroPoint}`);
  const size = shape.batch * shape.channels * shape.plane;
  if (xLength < size || outLength < size) failKernel(kernel, `[${shape.batch}, ${shape.channels}, ${shape.plane}] needs ${size} values in and out, got ${xLength} and ${outLength}`);
}
