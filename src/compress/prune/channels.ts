/**
 * The channels structured pruning works on: which Conv2d and hidden Linear layers at the top level of a
 * SpecModel can lose output channels, where those channels go (the layer that consumes them, and any batch
 * norm in between), and which channels are weakest by the norm of their filter (Li et al. 2017). Layers
 * between a producer and its consumer may be activations, dropout, pooling, batch norm and flatten
 * (channel c becomes features c·H·W … (c+1)·H·W − 1).
 */
import { noGrad } from '../../autograd/grad-mode.js';
import { ArgumentError } from '../../errors.js';
import type { LayerSpec, SpecModel } from '../../nn/spec.js';
import { zeros } from '../../tensor/creation.js';
import { sizeOf } from '../../tensor/shape.js';
import type { Tensor } from '../../tensor/tensor.js';
import { checkSparsity } from './magnitude.js';

/** How a filter's importance is measured. */
export type ChannelNorm = 'l1' | 'l2';

/** Which layers structured pruning ranks the channels of, and by what. */
export interface ChannelSelection {
  /** 'l1' (default): sum of |w| of the filter; 'l2': its Euclidean norm. */
  norm?: ChannelNorm;
  /** Indices in `spec.layers` of the layers to prune; default every Conv2d and hidden Linear that can be. */
  layers?: readonly number[];
}

/** A Conv2d or Linear layer left whole because its channels cannot be followed, with the reason. */
export interface SkippedLayer {
  index: number;
  reason: string;
}

/** A layer fed by a producer's channels, each channel spread over `group` consecutive values. */
export interface ChannelReader {
  index: number;
  group: number;
}

/** A layer whose output channels can be pruned, and the layers that read them. */
export interface ChannelProducer {
  /** Its index in `spec.layers`. */
  index: number;
  type: 'conv2d' | 'linear';
  /** Its output channels. */
  channels: number;
  /** The next Conv2d or Linear: it loses the matching input channels. */
  consumer: ChannelReader;
  /** Batch norms between the producer and its consumer: they lose the matching features. */
  followers: ChannelReader[];
}

/** The channels a producer keeps (original indices, ascending). */
export interface ChannelChoice {
  producer: ChannelProducer;
  kept: number[];
}

const ELEMENTWISE = new Set<LayerSpec['type']>(['relu', 'gelu', 'sigmoid', 'tanh', 'softplus', 'leakyRelu', 'elu', 'dropout']);
const SPATIAL = new Set<LayerSpec['type']>(['maxPool2d', 'avgPool2d', 'globalAvgPool2d']);

/**
 * The prunable producers of `model` (those in `wanted`, when given) and the Conv2d and Linear layers that
 * cannot be pruned, with the reason.
 * @throws ArgumentError when a layer in `wanted` is not a Conv2d or Linear, or cannot be pruned
 */
export function channelProducers(model: SpecModel, wanted: readonly number[] | undefined, what: string): { producers: ChannelProducer[]; skipped: SkippedLayer[] } {
  const layers = model.spec.layers;
  for (const index of wanted ?? []) {
    const type = layers[index]?.type;
    if (type !== 'conv2d' && type !== 'linear') throw new ArgumentError(`${what}: layers[${index}] is ${type ?? 'not a layer'}, not a conv2d or linear layer`);
  }
  const shapes = inputShapes(model);
  const state = model.stateDict();
  const producers: ChannelProducer[] = [];
  const skipped: SkippedLayer[] = [];
  layers.forEach((layer, index) => {
    if (layer.type !== 'conv2d' && layer.type !== 'linear') return;
    const plan = planFor(layers, shapes, index);
    if (typeof plan === 'string') {
      if (wanted?.includes(index)) throw new ArgumentError(`${what}: layers[${index}] (${layer.type}) cannot be pruned: ${plan}`);
      skipped.push({ index, reason: plan });
      return;
    }
    if (wanted && !wanted.includes(index)) return;
    producers.push({ index, type: layer.type, channels: state[`${index}.weight`]!.shape[0]!, ...plan });
  });
  return { producers, skipped };
}

/**
 * For every producer selected by `options`, the channels left when the `sparsity` share of lowest norm
 * goes (rounded, at least one kept).
 * @throws ArgumentError for a bad sparsity, norm or layer
 */
export function strongestChannels(model: SpecModel, options: ChannelSelection & { sparsity: number }, what: string): { chosen: ChannelChoice[]; skipped: SkippedLayer[] } {
  const { sparsity, norm = 'l1' } = options;
  checkSparsity(sparsity, what);
  if (norm !== 'l1' && norm !== 'l2') throw new ArgumentError(`${what}: norm must be 'l1' or 'l2', got ${String(norm)}`);
  const { producers, skipped } = channelProducers(model, options.layers, what);
  const state = model.stateDict();
  const chosen = producers.map((producer) => ({
    producer,
    kept: strongest(state[`${producer.index}.weight`]!, Math.max(1, Math.round(producer.channels * (1 - sparsity))), norm),
  }));
  return { chosen, skipped };
}

/** Channel indices spread over `group` consecutive positions each. */
export function expand(channels: readonly number[], group: number): number[] {
  return channels.flatMap((c) => Array.from({ length: group }, (_, k) => c * group + k));
}

/** The shape of one sample reaching each top-level layer. */
function inputShapes(model: SpecModel): number[][] {
  const shapes: number[][] = [];
  const wasTraining = model.training;
  model.eval();
  try {
    noGrad(() => {
      let x = zeros([1, ...model.spec.input], { dtype: model.inputDType() });
      for (const layer of model.layers) {
        shapes.push(x.shape.slice(1));
        x = layer.forward(x);
      }
    });
  } finally {
    model.train(wasTraining);
  }
  return shapes;
}

/** Where the channels of layer `index` go, or why they cannot be followed. */
function planFor(layers: readonly LayerSpec[], shapes: number[][], index: number): Pick<ChannelProducer, 'consumer' | 'followers'> | string {
  const producer = layers[index]!;
  if (producer.type === 'conv2d' && (producer.groups ?? 1) !== 1) return 'grouped convolution';
  let group = 1;
  let spatial = producer.type === 'conv2d';
  const followers: ChannelReader[] = [];
  for (let j = index + 1; j < layers.length; j++) {
    const layer = layers[j]!;
    if (ELEMENTWISE.has(layer.type)) continue;
    if (SPATIAL.has(layer.type) && spatial) continue;
    switch (layer.type) {
      case 'batchNorm2d':
      case 'batchNorm1d':
        followers.push({ index: j, group });
        continue;
      case 'flatten':
        if (spatial) group *= sizeOf(shapes[j]!.slice(1));
        spatial = false;
        continue;
      case 'conv2d':
        if (!spatial) return 'its output is flattened before a convolution';
        if ((layer.groups ?? 1) !== 1) return `it feeds a grouped convolution (layers[${j}])`;
        return { consumer: { index: j, group }, followers };
      case 'linear':
        if (shapes[j]!.length !== 1) return `layers[${j}] (linear) reads an unflattened ${shapes[j]!.length}-D input`;
        return { consumer: { index: j, group }, followers };
      default:
        return `layers[${j}] (${layer.type}) between it and the next conv2d or linear mixes or reshapes channels`;
    }
  }
  return 'it produces the model output';
}

/** The `count` output channels of `weight` with the largest norm, in ascending order. */
function strongest(weight: Tensor, count: number, norm: ChannelNorm): number[] {
  const channels = weight.shape[0]!;
  const per = weight.size / channels;
  const data = weight.contiguousData();
  const scores = Array.from({ length: channels }, (_, c) => {
    let s = 0;
    for (let i = c * per; i < (c + 1) * per; i++) s += norm === 'l1' ? Math.abs(data[i]!) : data[i]! * data[i]!;
    return s;
  });
  return scores
    .map((score, c) => ({ score, c }))
    .sort((a, b) => b.score - a.score || a.c - b.c)
    .slice(0, count)
    .map(({ c }) => c)
    .sort((a, b) => a - b);
}
