/**
 * Structured pruning (Li et al. 2017, "Pruning Filters for Efficient ConvNets"): whole output channels of
 * a Conv2d (filters) or output features of a Linear layer are removed — those of smallest L1 or L2 norm,
 * or exactly those named — and the layer that consumes them loses the matching input channels, so the
 * result is a smaller dense model: fewer multiply-adds, not just zeros. See `channels.ts` for the layers
 * that can be followed.
 */
import { ArgumentError } from '../../errors.js';
import type { StateDict } from '../../nn/module.js';
import { buildModel, type SpecModel } from '../../nn/spec.js';
import { sizeOf } from '../../tensor/shape.js';
import { Tensor } from '../../tensor/tensor.js';
import { channelProducers, expand, strongestChannels, type ChannelChoice, type ChannelSelection, type SkippedLayer } from './channels.js';

/** Options of {@link pruneChannels}: give `sparsity` (with `norm` and `layers`), or `kept`. */
export interface ChannelPruningOptions extends ChannelSelection {
  /** Fraction of the channels of each pruned layer to remove, in [0, 1); at least one channel stays. */
  sparsity?: number;
  /**
   * Instead of `sparsity`: the original indices of the channels each layer keeps, by its index in
   * `spec.layers` (what `keptChannels` reads from channel masks); the layers not named stay whole.
   */
  kept?: Readonly<Record<number, readonly number[]>>;
}

/** A layer that lost channels. */
export interface PrunedLayer {
  /** Its index in `spec.layers`. */
  index: number;
  type: 'conv2d' | 'linear';
  before: number;
  after: number;
  /** The original indices of the channels kept, ascending. */
  kept: number[];
}

/** What {@link pruneChannels} did. */
export interface ChannelPruningResult {
  /** The smaller model (the input model is unchanged). */
  model: SpecModel;
  pruned: PrunedLayer[];
  /** Conv2d and Linear layers that cannot be pruned, with the reason. */
  skipped: SkippedLayer[];
}

/**
 * Removes output channels from the prunable Conv2d and hidden Linear layers of `model` — the `sparsity`
 * share of lowest norm of each, or exactly those not in `kept` — and returns the smaller model, with the
 * consumers' input channels (and any batch norm in between) cut to match. The outputs of the kept
 * channels are exactly those of the original.
 * @throws ArgumentError for a bad sparsity, norm or `kept`, both or neither of `sparsity` and `kept`, or
 *   a requested layer that cannot be pruned
 */
export function pruneChannels(model: SpecModel, options: ChannelPruningOptions): ChannelPruningResult {
  const { chosen, skipped } = choose(model, options);
  const state = model.stateDict();
  const tensors: StateDict = { ...state };
  const spec = structuredClone(model.spec);
  const select = (name: string, axis: number, indices: number[]): void => {
    if (tensors[name]) tensors[name] = selectAlong(tensors[name]!, axis, indices);
  };
  const pruned = chosen.map(({ producer, kept }): PrunedLayer => {
    const { index, type, channels, consumer, followers } = producer;
    select(`${index}.weight`, 0, kept);
    select(`${index}.bias`, 0, kept);
    for (const follower of followers) {
      for (const field of ['weight', 'bias', 'runningMean', 'runningVar']) select(`${follower.index}.${field}`, 0, expand(kept, follower.group));
    }
    select(`${consumer.index}.weight`, 1, expand(kept, consumer.group));
    (spec.layers[index] as { out: number }).out = kept.length;
    return { index, type, before: channels, after: kept.length, kept };
  });
  const smaller = buildModel(spec, { seed: 0 });
  smaller.loadStateDict(tensors);
  smaller.train(model.training);
  return { model: smaller, pruned, skipped };
}

/** The channels each layer keeps: the strongest, or those of `options.kept` checked against the layers of `model`. */
function choose(model: SpecModel, options: ChannelPruningOptions): { chosen: ChannelChoice[]; skipped: SkippedLayer[] } {
  const what = 'pruneChannels';
  if (options.kept === undefined) {
    if (options.sparsity === undefined) throw new ArgumentError(`${what}: give sparsity (the share of channels to remove) or kept (the channels to keep)`);
    return strongestChannels(model, { ...options, sparsity: options.sparsity }, what);
  }
  if (options.sparsity !== undefined || options.norm !== undefined || options.layers !== undefined) {
    throw new ArgumentError(`${what}: kept names the channels to keep; give it without sparsity, norm or layers`);
  }
  const kept = options.kept;
  const { producers, skipped } = channelProducers(model, Object.keys(kept).map(Number), what);
  const chosen = producers.map((producer) => {
    const channels = kept[producer.index]!;
    const valid = channels.length > 0
      && channels.every((c, i) => Number.isInteger(c) && c >= 0 && c < producer.channels && (i === 0 || c > channels[i - 1]!));
    if (!valid) {
      throw new ArgumentError(`${what}: kept[${producer.index}] must list ascending, distinct channel indices in [0, ${producer.channels}), at least one; got [${channels.join(', ')}]`);
    }
    return { producer, kept: [...channels] };
  });
  return { chosen, skipped };
}

/** The entries of `t` at `indices` along `axis`, as a new contiguous tensor. */
function selectAlong(t: Tensor, axis: number, indices: readonly number[]): Tensor {
  const shape = [...t.shape];
  const outer = sizeOf(shape.slice(0, axis));
  const inner = sizeOf(shape.slice(axis + 1));
  const length = shape[axis]!;
  const data = t.contiguousData();
  const out = new (data.constructor as Float32ArrayConstructor)(outer * indices.length * inner);
  let at = 0;
  for (let o = 0; o < outer; o++) {
    for (const index of indices) {
      const start = (o * length + index) * inner;
      out.set(data.subarray(start, start + inner), at);
      at += inner;
    }
  }
  shape[axis] = indices.length;
  return new Tensor(out, shape);
}
