/**
 * The regression losses: squared error, absolute error, and the two losses that are quadratic near 0 and
 * linear beyond (Huber and smooth L1). Prediction and target must have the same shape.
 */
import { mul, sub } from '../ops/arithmetic.js';
import { lt, where } from '../ops/compare.js';
import { abs, square } from '../ops/unary-math.js';
import type { Tensor } from '../tensor/tensor.js';
import { checkNumber, matchingTarget } from './checks.js';
import { reduceLoss, resolveReduction, type ReductionOptions } from './reduce-loss.js';

/** Mean squared error, (prediction − target)² per element, as PyTorch's `F.mse_loss`. */
export function mseLoss(prediction: Tensor, target: Tensor, options: ReductionOptions = {}): Tensor {
  const reduction = resolveReduction('mseLoss', options);
  return reduceLoss(square(sub(prediction, matchingTarget('mseLoss', prediction, target))), reduction);
}

/** Mean absolute error, |prediction − target| per element, as PyTorch's `F.l1_loss` (gradient 0 at 0). */
export function l1Loss(prediction: Tensor, target: Tensor, options: ReductionOptions = {}): Tensor {
  const reduction = resolveReduction('l1Loss', options);
  return reduceLoss(abs(sub(prediction, matchingTarget('l1Loss', prediction, target))), reduction);
}

/** Options of {@link huberLoss}. */
export interface HuberLossOptions extends ReductionOptions {
  /** Where the loss turns from quadratic to linear; > 0, default 1. */
  delta?: number;
}

/**
 * Huber loss, as PyTorch's `F.huber_loss`: with z = |prediction − target|, ½z² for z < delta and
 * delta · (z − ½delta) beyond. Its slope far from 0 is ±delta; it equals delta · smoothL1Loss(beta = delta).
 */
export function huberLoss(prediction: Tensor, target: Tensor, options: HuberLossOptions = {}): Tensor {
  const op = 'huberLoss';
  const reduction = resolveReduction(op, options);
  const delta = checkNumber(op, 'delta', options.delta ?? 1, (v) => v > 0 && v < Infinity, 'a positive finite number');
  const z = abs(sub(prediction, matchingTarget(op, prediction, target)));
  return reduceLoss(where(lt(z, delta), mul(square(z), 0.5), mul(sub(z, 0.5 * delta), delta)), reduction);
}

/** Options of {@link smoothL1Loss}. */
export interface SmoothL1LossOptions extends ReductionOptions {
  /** Where the loss turns from quadratic to linear; ≥ 0, default 1 (0 gives the L1 loss). */
  beta?: number;
}

/**
 * Smooth L1 loss, as PyTorch's `F.smooth_l1_loss`: with z = |prediction − target|, ½z² / beta for z < beta
 * and z − ½beta beyond. Its slope far from 0 is ±1 whatever beta; beta = 0 is the L1 loss.
 */
export function smoothL1Loss(prediction: Tensor, target: Tensor, options: SmoothL1LossOptions = {}): Tensor {
  const op = 'smoothL1Loss';
  const reduction = resolveReduction(op, options);
  const beta = checkNumber(op, 'beta', options.beta ?? 1, (v) => v >= 0 && v < Infinity, 'a non-negative finite number');
  const z = abs(sub(prediction, matchingTarget(op, prediction, target)));
  // beta = 0 is plain L1 (as in PyTorch); the quadratic branch would divide by 0 and poison the gradient.
  if (beta === 0) return reduceLoss(z, reduction);
  return reduceLoss(where(lt(z, beta), mul(square(z), 0.5 / beta), sub(z, 0.5 * beta)), reduction);
}
