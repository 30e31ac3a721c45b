/**
 * Which layers of a float model run in integers, and how: convolution and linear layers (with a following
 * batch norm folded in and a following ReLU fused) start integer regions; pooling, flattening, dropout and
 * elementwise activations continue them; every other layer runs in float. The plan also names the layer
 * outputs whose ranges calibration must observe.
 */
import { noGrad } from '../../autograd/grad-mode.js';
import type { Conv2d } from '../../nn/layers/conv2d.js';
import type { Module } from '../../nn/module.js';
import type { LayerSpec, SpecModel } from '../../nn/spec.js';
import { zeros } from '../../tensor/creation.js';

/** Activations that become lookup tables inside an integer region. */
export const LOOKUP_ACTIVATIONS: readonly LayerSpec['type'][] = ['relu', 'leakyRelu', 'elu', 'gelu', 'sigmoid', 'tanh', 'softplus'];

/** A run of the float model's top-level layers (by index) and how it is computed. */
export type PlannedStage =
  | { kind: 'conv2d' | 'linear'; layers: number[]; main: number; batchNorm: number | null; relu: boolean }
  | { kind: 'maxPool2d' | 'avgPool2d' | 'globalAvgPool2d' | 'flatten' | 'lookup' | 'identity'; layers: number[] }
  | { kind: 'float'; layers: number[] }
  | { kind: 'dynamicLinear'; layers: number[] };

/** The stages, and where activation ranges are needed. */
export interface QuantizationPlan {
  stages: PlannedStage[];
  /** One sample's input shape of every top-level layer (and, last, the model's output shape). */
  shapes: number[][];
  /**
   * Layer indices whose outputs need a calibrated range (−1: the model's input): where an integer region
   * starts, after a convolution/linear stage that feeds another integer stage, and after a lookup.
   */
  rangePoints: number[];
}

/** Each top-level layer's input sample shape, from a zero sample (the model's own output shape last). */
function layerShapes(model: SpecModel): number[][] {
  const shapes: number[][] = [];
  noGrad(() => {
    let x = zeros([1, ...model.spec.input], { dtype: model.inputDType() });
    for (const layer of model.layers) {
      shapes.push(x.shape.slice(1));
      x = layer.forward(x);
    }
    shapes.push(x.shape.slice(1));
  });
  return shapes;
}

function isIntegerCompute(stage: PlannedStage): boolean {
  return stage.kind === 'conv2d' || stage.kind === 'linear';
}

/**
 * Plans static (calibrated) quantization of a model built from a spec, or dynamic quantization (`dynamic`:
 * linear layers on `[N, features]` get int8 weights and per-batch activation ranges; the rest stays float).
 */
export function planQuantization(model: SpecModel, mode: 'static' | 'dynamic' = 'static'): QuantizationPlan {
  const specs = model.spec.layers;
  const layers: Module[] = model.layers;
  const shapes = layerShapes(model);
  const stages: PlannedStage[] = [];
  const pushFloat = (i: number): void => {
    const last = stages.at(-1);
    if (last?.kind === 'float') last.layers.push(i);
    else stages.push({ kind: 'float', layers: [i] });
  };
  const inIntegerRegion = (): boolean => {
    const last = stages.at(-1);
    return last !== undefined && last.kind !== 'float' && last.kind !== 'dynamicLinear';
  };
  for (let i = 0; i < specs.length; i++) {
    const spec = specs[i]!;
    const rank = shapes[i]!.length;
    if (mode === 'dynamic') {
      if (spec.type === 'linear' && rank === 1) stages.push({ kind: 'dynamicLinear', layers: [i] });
      else pushFloat(i);
      continue;
    }
    const isConv = spec.type === 'conv2d' && rank === 3 && (layers[i] as Conv2d).weight.shape[1] === shapes[i]![0];
    if (isConv || (spec.type === 'linear' && rank === 1)) {
      const group = [i];
      const norm = isConv ? 'batchNorm2d' : 'batchNorm1d';
      let batchNorm: number | null = null;
      if (specs[i + 1]?.type === norm) batchNorm = ++i;
      if (batchNorm !== null) group.push(batchNorm);
      const relu = specs[i + 1]?.type === 'relu';
      if (relu) group.push(++i);
      stages.push({ kind: isConv ? 'conv2d' : 'linear', layers: group, main: group[0]!, batchNorm, relu });
    } else if (inIntegerRegion() && rank === 3 && (spec.type === 'maxPool2d' || spec.type === 'avgPool2d' || spec.type === 'globalAvgPool2d')) {
      stages.push({ kind: spec.type, layers: [i] });
    } else if (inIntegerRegion() && spec.type === 'flatten') {
      stages.push({ kind: 'flatten', layers: [i] });
    } else if (inIntegerRegion() && spec.type === 'dropout') {
      stages.push({ kind: 'identity', layers: [i] });
    } else if (inIntegerRegion() && LOOKUP_ACTIVATIONS.includes(spec.type) && (rank === 1 || rank === 3)) {
      stages.push({ kind: 'lookup', layers: [i] });
    } else {
      pushFloat(i);
    }
  }
  trimTrailingPassThrough(stages);
  return { stages, shapes, rangePoints: rangePoints(stages) };
}

/**
 * Pass-through stages after the last integer product gain nothing in integers (the product can write
 * float directly), so they return to float — unless a later integer product still needs them.
 */
function trimTrailingPassThrough(stages: PlannedStage[]): void {
  for (let s = 0; s < stages.length; s++) {
    if (isIntegerCompute(stages[s]!) || stages[s]!.kind === 'float' || stages[s]!.kind === 'dynamicLinear') continue;
    let next = s;
    while (next < stages.length && !isIntegerCompute(stages[next]!) && stages[next]!.kind !== 'float') next++;
    if (next < stages.length && isIntegerCompute(stages[next]!)) continue;
    // Stages s…next-1 end an integer region: run them in float, merged with any float stage after them.
    const moved = stages.slice(s, next).flatMap((st) => st.layers);
    const after = stages[next];
    if (after?.kind === 'float') after.layers.unshift(...moved);
    else stages.splice(next, 0, { kind: 'float', layers: moved });
    stages.splice(s, next - s);
    s--;
  }
  for (let s = stages.length - 1; s > 0; s--) {
    if (stages[s]!.kind === 'float' && stages[s - 1]!.kind === 'float') {
      stages[s - 1]!.layers.push(...stages[s]!.layers);
      stages.splice(s, 1);
    }
  }
}

function rangePoints(stages: PlannedStage[]): number[] {
  const points: number[] = [];
  stages.forEach((stage, s) => {
    const previous = stages[s - 1];
    const next = stages[s + 1];
    // An integer product reads u8: its input needs a range unless an integer stage produced it.
    if (isIntegerCompute(stage) && (previous === undefined || previous.kind === 'float' || previous.kind === 'dynamicLinear')) {
      points.push(previous === undefined ? -1 : previous.layers.at(-1)!);
    }
    const feedsInteger = next !== undefined && next.kind !== 'float' && next.kind !== 'dynamicLinear';
    if ((isIntegerCompute(stage) && feedsInteger) || stage.kind === 'lookup') points.push(stage.layers.at(-1)!);
  });
  return [...new Set(points)].sort((a, b) => a - b);
}
