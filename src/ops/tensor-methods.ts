/**
 * The differentiable ops as Tensor methods, for PyTorch-style chaining: `x.matmul(w).add(b).relu()`.
 * The tensor layer cannot import the ops (they sit above it), so the methods are attached here.
 */
import type { DType } from '../tensor/dtype.js';
import type { Shape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import * as activations from './activations.js';
import * as arithmetic from './arithmetic.js';
import * as compare from './compare.js';
import * as indexing from './indexing.js';
import { matmul } from './matmul.js';
import type { TensorLike } from './primitives.js';
import * as reduce from './reduce.js';
import * as shape from './shape.js';
import * as unary from './unary-math.js';

declare module '../tensor/tensor.js' {
  interface Tensor {
    add(other: TensorLike): Tensor;
    sub(other: TensorLike): Tensor;
    mul(other: TensorLike): Tensor;
    div(other: TensorLike): Tensor;
    pow(exponent: TensorLike): Tensor;
    maximum(other: TensorLike): Tensor;
    minimum(other: TensorLike): Tensor;
    eq(other: TensorLike): Tensor;
    ne(other: TensorLike): Tensor;
    lt(other: TensorLike): Tensor;
    le(other: TensorLike): Tensor;
    gt(other: TensorLike): Tensor;
    ge(other: TensorLike): Tensor;
    neg(): Tensor;
    exp(): Tensor;
    log(): Tensor;
    sqrt(): Tensor;
    rsqrt(): Tensor;
    abs(): Tensor;
    sign(): Tensor;
    square(): Tensor;
    reciprocal(): Tensor;
    clamp(min?: number, max?: number): Tensor;
    relu(): Tensor;
    leakyRelu(negativeSlope?: number): Tensor;
    elu(alpha?: number): Tensor;
    gelu(): Tensor;
    sigmoid(): Tensor;
    tanh(): Tensor;
    softplus(): Tensor;
    softmax(axis?: number): Tensor;
    logSoftmax(axis?: number): Tensor;
    sum(axes?: reduce.Axes, options?: reduce.ReduceOptions): Tensor;
    mean(axes?: reduce.Axes, options?: reduce.ReduceOptions): Tensor;
    max(axes?: reduce.Axes, options?: reduce.ReduceOptions): Tensor;
    min(axes?: reduce.Axes, options?: reduce.ReduceOptions): Tensor;
    var(axes?: reduce.Axes, options?: reduce.VarianceOptions): Tensor;
    std(axes?: reduce.Axes, options?: reduce.VarianceOptions): Tensor;
    logSumExp(axes?: reduce.Axes, options?: reduce.ReduceOptions): Tensor;
    argmax(axis?: number, options?: reduce.ReduceOptions): Tensor;
    argmin(axis?: number, options?: reduce.ReduceOptions): Tensor;
    matmul(other: Tensor): Tensor;
    reshape(shape: Shape): Tensor;
    flatten(startDim?: number, endDim?: number): Tensor;
    squeeze(axis?: number): Tensor;
    unsqueeze(axis: number): Tensor;
    permute(dims: readonly number[]): Tensor;
    transpose(dim0?: number, dim1?: number): Tensor;
    expand(shape: Shape): Tensor;
    contiguous(): Tensor;
    toType(dtype: DType): Tensor;
    slice(spec: readonly indexing.SliceEntry[]): Tensor;
    gather(axis: number, index: Tensor): Tensor;
    indexSelect(axis: number, indices: Tensor): Tensor;
  }
}

const methods: { [K in keyof Tensor]?: (this: Tensor, ...args: never[]) => unknown } = {
  add(other: TensorLike) { return arithmetic.add(this, other); },
  sub(other: TensorLike) { return arithmetic.sub(this, other); },
  mul(other: TensorLike) { return arithmetic.mul(this, other); },
  div(other: TensorLike) { return arithmetic.div(this, other); },
  pow(exponent: TensorLike) { return arithmetic.pow(this, exponent); },
  maximum(other: TensorLike) { return arithmetic.maximum(this, other); },
  minimum(other: TensorLike) { return arithmetic.minimum(this, other); },
  eq(other: TensorLike) { return compare.eq(this, other); },
  ne(other: TensorLike) { return compare.ne(this, other); },
  lt(other: TensorLike) { return compare.lt(this, other); },
  le(other: TensorLike) { return compare.le(this, other); },
  gt(other: TensorLike) { return compare.gt(this, other); },
  ge(other: TensorLike) { return compare.ge(this, other); },
  neg() { return unary.neg(this); },
  exp() { return unary.exp(this); },
  log() { return unary.log(this); },
  sqrt() { return unary.sqrt(this); },
  rsqrt() { return unary.rsqrt(this); },
  abs() { return unary.abs(this); },
  sign() { return unary.sign(this); },
  square() { return unary.square(this); },
  reciprocal() { return unary.reciprocal(this); },
  clamp(min?: number, max?: number) { return unary.clamp(this, min, max); },
  relu() { return activations.relu(this); },
  leakyRelu(negativeSlope?: number) { return activations.leakyRelu(this, negativeSlope); },
  elu(alpha?: number) { return activations.elu(this, alpha); },
  gelu() { return activations.gelu(this); },
  sigmoid() { return activations.sigmoid(this); },
  tanh() { return activations.tanh(this); },
  softplus() { return activations.softplus(this); },
  softmax(axis?: number) { return activations.softmax(this, axis); },
  logSoftmax(axis?: number) { return activations.logSoftmax(this, axis); },
  sum(axes?: reduce.Axes, options?: reduce.ReduceOptions) { return reduce.sum(this, axes, options); },
  mean(axes?: reduce.Axes, options?: reduce.ReduceOptions) { return reduce.mean(this, axes, options); },
  max(axes?: reduce.Axes, options?: reduce.ReduceOptions) { return reduce.max(this, axes, options); },
  min(axes?: reduce.Axes, options?: reduce.ReduceOptions) { return reduce.min(this, axes, options); },
  var(axes?: reduce.Axes, options?: reduce.VarianceOptions) { return reduce.variance(this, axes, options); },
  std(axes?: reduce.Axes, options?: reduce.VarianceOptions) { return reduce.std(this, axes, options); },
  logSumExp(axes?: reduce.Axes, options?: reduce.ReduceOptions) { return reduce.logSumExp(this, axes, options); },
  argmax(axis?: number, options?: reduce.ReduceOptions) { return reduce.argmax(this, axis, options); },
  argmin(axis?: number, options?: reduce.ReduceOptions) { return reduce.argmin(this, axis, options); },
  matmul(other: Tensor) { return matmul(this, other); },
  reshape(newShape: Shape) { return shape.reshape(this, newShape); },
  flatten(startDim?: number, endDim?: number) { return shape.flatten(this, startDim, endDim); },
  squeeze(axis?: number) { return shape.squeeze(this, axis); },
  unsqueeze(axis: number) { return shape.unsqueeze(this, axis); },
  permute(dims: readonly number[]) { return shape.permute(this, dims); },
  transpose(dim0?: number, dim1?: number) { return shape.transpose(this, dim0, dim1); },
  expand(newShape: Shape) { return shape.expand(this, newShape); },
  contiguous() { return shape.contiguous(this); },
  toType(dtype: DType) { return shape.toType(this, dtype); },
  slice(spec: readonly indexing.SliceEntry[]) { return indexing.slice(this, spec); },
  gather(axis: number, index: Tensor) { return indexing.gather(this, axis, index); },
  indexSelect(axis: number, indices: Tensor) { return indexing.indexSelect(this, axis, indices); },
};

Object.assign(Tensor.prototype, methods);
