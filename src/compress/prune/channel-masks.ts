/**
 * Structured pruning while fine-tuning: whole output channels are masked (see `masks.ts`) rather than
 * removed, so a schedule can take them away a few at a time while the rest of the network adapts; at the
 * end {@link removeMaskedChannels} removes them for good, giving the smaller dense model.
 */
import { ArgumentError } from '../../errors.js';
import type { Parameter } from '../../nn/parameter.js';
import type { SpecModel } from '../../nn/spec.js';
import { sizeOf } from '../../tensor/shape.js';
import { channelProducers, expand, strongestChannels, type ChannelSelection, type SkippedLayer } from './channels.js';
import { maskOf, setMask } from './masks.js';
import { pruneChannels, type ChannelPruningResult, type PrunedLayer } from './structured.js';

/** Options of {@link maskChannels}. */
export interface ChannelMaskOptions extends ChannelSelection {
  /** Fraction of the channels of each layer to mask, in [0, 1); at least one channel stays. */
  sparsity: number;
}

/** What {@link maskChannels} did. */
export interface ChannelMasking {
  /** Every masked layer: its channels, those left unmasked (`after`) and their indices (`kept`). */
  masked: PrunedLayer[];
  /** Conv2d and Linear layers that cannot be pruned, with the reason. */
  skipped: SkippedLayer[];
}

/**
 * Masks the `sparsity` share of lowest-norm output channels of every prunable Conv2d and hidden Linear of
 * `model`: the filter's weights and bias, the matching parameters of any batch norm before its consumer
 * (whose beta would otherwise keep the channel alive), and the consumer's matching input weights (so an
 * activation with f(0) ≠ 0, or a batch norm without parameters, passes nothing on either). The masked model
 * thus computes what the model without those channels computes. Masks replace earlier ones and are
 * computed from the current values, so masked channels (all zero) are the first to go again: a growing
 * sparsity only adds channels. A {@link PruningCallback} keeps them applied while training.
 * @throws ArgumentError for a bad sparsity, norm or layer
 */
export function maskChannels(model: SpecModel, options: ChannelMaskOptions): ChannelMasking {
  const { chosen, skipped } = strongestChannels(model, options, 'maskChannels');
  const parameters = new Map(model.namedParameters());
  const masks = new Map<Parameter, Float32Array>();
  // A weight can be masked twice: as a producer (rows) and as the consumer of the layer before (columns).
  const zeroOut = (name: string, axis: number, indices: readonly number[]): void => {
    const parameter = parameters.get(name);
    if (!parameter) return;
    let mask = masks.get(parameter);
    if (!mask) masks.set(parameter, (mask = new Float32Array(parameter.size).fill(1)));
    const shape = parameter.shape;
    const inner = sizeOf(shape.slice(axis + 1));
    for (let o = 0; o < sizeOf(shape.slice(0, axis)); o++) {
      for (const index of indices) mask.fill(0, (o * shape[axis]! + index) * inner, (o * shape[axis]! + index + 1) * inner);
    }
  };
  const masked = chosen.map(({ producer, kept }): PrunedLayer => {
    const { index, type, channels, consumer, followers } = producer;
    const dropped = Array.from({ length: channels }, (_, c) => c).filter((c) => !kept.includes(c));
    zeroOut(`${index}.weight`, 0, dropped);
    zeroOut(`${index}.bias`, 0, dropped);
    for (const follower of followers) {
      for (const field of ['weight', 'bias']) zeroOut(`${follower.index}.${field}`, 0, expand(dropped, follower.group));
    }
    zeroOut(`${consumer.index}.weight`, 1, expand(dropped, consumer.group));
    return { index, type, before: channels, after: kept.length, kept };
  });
  for (const [parameter, mask] of masks) setMask(parameter, mask);
  return { masked, skipped };
}

/**
 * The output channels left unmasked in every prunable Conv2d and hidden Linear of `model` whose weight
 * has a mask: by layer index, the original indices of the channels whose filter is not entirely masked,
 * ascending — what `pruneChannels({ kept })` takes.
 */
export function keptChannels(model: SpecModel): Record<number, number[]> {
  const { producers } = channelProducers(model, undefined, 'keptChannels');
  const parameters = new Map(model.namedParameters());
  const kept: Record<number, number[]> = {};
  for (const { index, channels } of producers) {
    const mask = maskOf(parameters.get(`${index}.weight`)!);
    if (!mask) continue;
    const per = mask.length / channels;
    kept[index] = Array.from({ length: channels }, (_, c) => c).filter((c) => mask.subarray(c * per, (c + 1) * per).some((m) => m !== 0));
  }
  return kept;
}

/**
 * Makes structured pruning by masks permanent: returns the smaller dense model without the masked
 * channels (consumers and batch norms cut to match), which computes what the masked model computes. The
 * input model is unchanged and keeps its masks.
 * @throws ArgumentError when no layer of `model` has channel masks
 */
export function removeMaskedChannels(model: SpecModel): ChannelPruningResult {
  const kept = keptChannels(model);
  if (Object.keys(kept).length === 0) {
    throw new ArgumentError('removeMaskedChannels: no Conv2d or Linear weight of the model has a mask; mask channels first (maskChannels, or a PruningCallback with channels)');
  }
  return pruneChannels(model, { kept });
}
