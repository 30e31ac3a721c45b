/**
 * Losses by name, for the CLI and the declarative training config, where a loss is chosen by a string and
 * configured with plain JSON options.
 */
import { ArgumentError } from '../errors.js';
import { fromArray } from '../tensor/creation.js';
import { Tensor, type NestedArray } from '../tensor/tensor.js';
import { binaryCrossEntropyWithLogits, type BinaryCrossEntropyWithLogitsOptions } from './binary-cross-entropy.js';
import { crossEntropy, type CrossEntropyOptions } from './cross-entropy.js';
import { klDivLoss, type KlDivLossOptions } from './kl-div.js';
import { nllLoss, type NllLossOptions } from './nll.js';
import type { ReductionOptions } from './reduce-loss.js';
import {
  huberLoss,
  l1Loss,
  mseLoss,
  smoothL1Loss,
  type HuberLossOptions,
  type SmoothL1LossOptions,
} from './regression.js';

/** A tensor option as it may appear in a config: a tensor, or (nested) numbers. */
export type TensorOption = Tensor | NestedArray;

/** `T` with its tensor-valued options also accepted as (nested) arrays of numbers. */
type ConfigOptions<T> = { [K in keyof T]: T[K] extends Tensor | undefined ? TensorOption : T[K] };

/** The options each named loss accepts (those of the loss function it names). */
export interface LossOptionsByName {
  'cross-entropy': ConfigOptions<CrossEntropyOptions>;
  'bce-with-logits': ConfigOptions<BinaryCrossEntropyWithLogitsOptions>;
  mse: ReductionOptions;
  l1: ReductionOptions;
  huber: HuberLossOptions;
  'smooth-l1': SmoothL1LossOptions;
  nll: ConfigOptions<NllLossOptions>;
  'kl-div': KlDivLossOptions;
}

/** The name of a built-in loss. */
export type LossName = keyof LossOptionsByName;

/** A loss ready to call: the prediction (logits, log-probabilities or values) and the target give the loss. */
export type LossFunction = (prediction: Tensor, target: Tensor) => Tensor;

interface Entry {
  /** The option names the loss accepts, so that a misspelt or misplaced option is reported. */
  options: readonly string[];
  /** Options that are tensors (arrays in a config). */
  tensors: readonly string[];
  make: (options: Record<string, unknown>) => LossFunction;
}

// Option names are checked here; their values by the loss itself, on every call.
const REGISTRY: { readonly [N in LossName]: Entry } = {
  'cross-entropy': {
    options: ['weight', 'ignoreIndex', 'labelSmoothing', 'reduction'],
    tensors: ['weight'],
    make: (o) => (p, t) => crossEntropy(p, t, o as CrossEntropyOptions),
  },
  'bce-with-logits': {
    options: ['weight', 'posWeight', 'reduction'],
    tensors: ['weight', 'posWeight'],
    make: (o) => (p, t) => binaryCrossEntropyWithLogits(p, t, o as BinaryCrossEntropyWithLogitsOptions),
  },
  mse: { options: ['reduction'], tensors: [], make: (o) => (p, t) => mseLoss(p, t, o as ReductionOptions) },
  l1: { options: ['reduction'], tensors: [], make: (o) => (p, t) => l1Loss(p, t, o as ReductionOptions) },
  huber: { options: ['delta', 'reduction'], tensors: [], make: (o) => (p, t) => huberLoss(p, t, o as HuberLossOptions) },
  'smooth-l1': { options: ['beta', 'reduction'], tensors: [], make: (o) => (p, t) => smoothL1Loss(p, t, o as SmoothL1LossOptions) },
  nll: {
    options: ['weight', 'ignoreIndex', 'reduction'],
    tensors: ['weight'],
    make: (o) => (p, t) => nllLoss(p, t, o as NllLossOptions),
  },
  'kl-div': { options: ['reduction', 'logTarget'], tensors: [], make: (o) => (p, t) => klDivLoss(p, t, o as KlDivLossOptions) },
};

/** Every built-in loss name, in a stable order. */
export const LOSS_NAMES: readonly LossName[] = Object.keys(REGISTRY) as LossName[];

/** True when `name` is a built-in loss name. */
export function isLossName(name: string): name is LossName {
  return Object.prototype.hasOwnProperty.call(REGISTRY, name);
}

/**
 * The loss called `name`, configured with `options` (those of the loss function it names; tensor options
 * such as class weights may be given as arrays of numbers). The returned function is called as
 * `loss(prediction, target)`; option values are checked by the loss on each call, so a bad value fails at the
 * first step with the loss's own message.
 *
 * @throws ArgumentError for an unknown name (listing the valid ones) or an option the loss does not take.
 */
export function lossFromName<N extends LossName>(name: N, options?: LossOptionsByName[N]): LossFunction;
export function lossFromName(name: string, options?: Record<string, unknown>): LossFunction;
export function lossFromName(name: string, options: object = {}): LossFunction {
  if (!isLossName(name)) {
    throw new ArgumentError(`lossFromName: unknown loss '${name}'; valid names are ${LOSS_NAMES.join(', ')}`);
  }
  if (typeof options !== 'object' || options === null) {
    throw new ArgumentError(`lossFromName: options of loss '${name}' must be an object, got ${options === null ? 'null' : typeof options}`);
  }
  const entry = REGISTRY[name];
  const resolved: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options)) {
    if (!entry.options.includes(key)) {
      throw new ArgumentError(`lossFromName: loss '${name}' has no option '${key}'; its options are ${entry.options.join(', ')}`);
    }
    if (value === undefined) continue;
    resolved[key] = entry.tensors.includes(key) && !(value instanceof Tensor) ? tensorOption(name, key, value) : value;
  }
  return entry.make(resolved);
}

function tensorOption(name: string, key: string, value: unknown): Tensor {
  if (!Array.isArray(value) && typeof value !== 'number') {
    throw new ArgumentError(`lossFromName: option '${key}' of loss '${name}' must be a tensor or an array of numbers, got ${typeof value}`);
  }
  return fromArray(value as NestedArray, { dtype: 'float64' });
}
