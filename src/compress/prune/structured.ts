/**
 * Structured pruning (Li et al. 2017, "Pruning Filters for Efficient ConvNets"): whole output channels of
 * a Conv2d (filters) or output features of a Linear layer with the smallest L1 or L2 norm are removed, and
 * the layer that consumes them loses the matching input channels, so the result is a smaller dense
 * model — fewer multiply-adds, not just zeros. Works on the top level of a SpecModel; layers between a
 * producer and its consumer may be activations, dropout, pooling, batch norm (sliced with it) and
 * flatten (channel c becomes features c·H·W … (c+1)·H·W − 1).
 */
import { noGrad } from '../../autograd/grad-mode.js';
import { ArgumentError } from '../../errors.js';
import type { LayerSpec } from '../../nn/spec.js';
import { buildModel, SpecModel } from '../../nn/spec.js';
import type { StateDict } from '../../nn/module.js';
import { zeros } from '../../tensor/creation.js';
import { sizeOf } from '../../tensor/shape.js';
import { Tensor } from '../../tensor/tensor.js';
import { checkSparsity } from './magnitude.js';

/** How a filter's importance is measured. */
export type ChannelNorm = 'l1' | 'l2';

/** Options of {@link pruneChannels}. */
export interface ChannelPruningOptions {
  /** Fraction of the channels of each pruned layer to remove, in [0, 1); at least one channel stays. */
  sparsity: number;
  /** 'l1' (default): sum of |w| of the filter; 'l2': its Euclidean norm. */
  norm?: ChannelNorm;
  /** Indices in `spec.layers` of the layers to prune; default every Conv2d and hidden Linear that can be. */
  layers?: readonly number[];
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
  /** Conv2d and Linear layers left whole, with the reason. */
  skipped: { index: number; reason: string }[];
}

/** A layer fed by a producer's channels, each channel spread over `group` consecutive values. */
interface Fed {
  index: number;
  group: number;
}

interface Plan {
  consumer: Fed;
  /** Batch norms between producer and consumer, sliced with the channels. */
  followers: Fed[];
}

const ELEMENTWISE = new Set<LayerSpec['type']>(['relu', 'gelu', 'sigmoid', 'tanh', 'softplus', 'leakyRelu', 'elu', 'dropout']);
const SPATIAL = new Set<LayerSpec['type']>(['maxPool2d', 'avgPool2d', 'globalAvgPool2d']);

/**
 * Removes the `sparsity` share of the output channels of lowest norm from every prunable Conv2d and hidden
 * Linear of `model` and returns the smaller model, with the consumers' input channels (and any batch
 * norm in between) cut to match. The outputs of the kept channels are exactly those of the original.
 * @throws ArgumentError for a bad sparsity or norm, or a requested layer that cannot be pruned
 */
export function pruneChannels(model: SpecModel, options: ChannelPruningOptions): ChannelPruningResult {
  const { sparsity, norm = 'l1' } = options;
  checkSparsity(sparsity, 'pruneChannels');
  if (norm !== 'l1' && norm !== 'l2') throw new ArgumentError(`pruneChannels: norm must be 'l1' or 'l2', got ${String(norm)}`);
  const layers = model.spec.layers;
  const shapes = inputShapes(model);
  const state = model.stateDict();
  const tensors: StateDict = { ...state };
  const spec = structuredClone(model.spec);
  const pruned: PrunedLayer[] = [];
  const skipped: { index: number; reason: string }[] = [];
  const wanted = options.layers;
  for (const index of wanted ?? []) {
    const type = layers[index]?.type;
    if (type !== 'conv2d' && type !== 'linear') throw new ArgumentError(`pruneChannels: layers[${index}] is ${type ?? 'not a layer'}, not a conv2d or linear layer`);
  }
  layers.forEach((layer, index) => {
    if (layer.type !== 'conv2d' && layer.type !== 'linear') return;
    if (wanted && !wanted.includes(index)) return;
    const plan = planFor(layers, shapes, index);
    if (typeof plan === 'string') {
      if (wanted) throw new ArgumentError(`pruneChannels: layers[${index}] (${layer.type}) cannot be pruned: ${plan}`);
      skipped.push({ index, reason: plan });
      return;
    }
    const weight = state[`${index}.weight`]!;
    const before = weight.shape[0]!;
    const kept = strongest(weight, Math.max(1, Math.round(before * (1 - sparsity))), norm);
    const select = (name: string, axis: number, group: number): void => {
      if (tensors[name]) tensors[name] = selectAlong(tensors[name]!, axis, expand(kept, group));
    };
    select(`${index}.weight`, 0, 1);
    select(`${index}.bias`, 0, 1);
    for (const follower of plan.followers) {
      for (const field of ['weight', 'bias', 'runningMean', 'runningVar']) select(`${follower.index}.${field}`, 0, follower.group);
    }
    select(`${plan.consumer.index}.weight`, 1, plan.consumer.group);
    (spec.layers[index] as { out: number }).out = kept.length;
    pruned.push({ index, type: layer.type, before, after: kept.length, kept });
  });
  const smaller = buildModel(spec, { seed: 0 });
  smaller.loadStateDict(tensors);
  smaller.train(model.training);
  return { model: smaller, pruned, skipped };
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
function planFor(layers: readonly LayerSpec[], shapes: number[][], index: number): Plan | string {
  const producer = layers[index]!;
  if (producer.type === 'conv2d' && (producer.groups ?? 1) !== 1) return 'grouped convolution';
  let group = 1;
  let spatial = producer.type === 'conv2d';
  const followers: Fed[] = [];
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

/** Channel indices spread over `group` consecutive positions each. */
function expand(channels: readonly number[], group: number): number[] {
  return channels.flatMap((c) => Array.from({ length: group }, (_, k) => c * group + k));
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
