/**
 * Quantization-aware training (QAT): a float model is fine-tuned while its forward pass sees the rounding
 * and clamping of the integer model it will become — weights fake-quantized per channel to int8, and
 * activations fake-quantized to u8 wherever the integer model requantizes (the plan's range points), with
 * ranges tracked as moving averages — so the weights learn to tolerate quantization. The result converts to
 * the same kind of integer model post-training quantization builds, with the learned ranges.
 *
 * Batch norm is folded into the preceding convolution or linear layer before training starts (with its
 * running statistics), and the folded weights are what training fine-tunes. PyTorch instead keeps batch norm
 * during QAT and simulates its folding every batch, with batch statistics; folding once is simpler, makes the
 * trained weights exactly what the integer model quantizes, and costs little in the short, low-learning-rate
 * fine-tuning QAT is used for (what is lost is batch norm's normalization while fine-tuning). Batch norm elsewhere (not after a layer that runs in integers) is kept.
 */
import { ArgumentError } from '../../errors.js';
import { Conv2d } from '../../nn/layers/conv2d.js';
import { Linear } from '../../nn/layers/linear.js';
import type { BatchNorm1d, BatchNorm2d } from '../../nn/layers/normalization.js';
import { Module } from '../../nn/module.js';
import type { QuantizedModel } from '../../nn/quantized/quantized-model.js';
import { buildModel, SpecModel, type LayerSpec } from '../../nn/spec.js';
import { add } from '../../ops/arithmetic.js';
import { conv2d, type Conv2dOptions } from '../../ops/conv.js';
import { fakeQuantizePerChannel } from '../../ops/fake-quantize.js';
import { matmul } from '../../ops/matmul.js';
import { transpose } from '../../ops/shape.js';
import { Tensor } from '../../tensor/tensor.js';
import { calibrate, type Range } from './calibrate.js';
import { convertModel } from './convert.js';
import { foldBatchNorm } from './fold.js';
import { planQuantization, type QuantizationPlan } from './plan.js';
import { MovingAverageMinMaxObserver } from './qat-observer.js';
import { INT8_WEIGHT_MAX, symmetricScales } from './qparams.js';

/** Options of {@link prepareQat}. */
export interface QatOptions {
  /**
   * Real input samples (`[N, ...input]`, or several such batches) whose minimum and maximum set the initial
   * activation ranges, as `minmax` calibration would. Without them, the first training batch sets them.
   */
  calibration?: Tensor | readonly Tensor[];
  /** The weight of each training batch's minimum and maximum in the moving-average ranges, in (0, 1]; default 0.01 (PyTorch's). */
  averagingConstant?: number;
}

/** A parameter's values as float32, the precision of the integer model's weights. */
function float32Data(t: Tensor): Float32Array {
  const values = t.contiguousData();
  return values instanceof Float32Array ? values : Float32Array.from(values);
}

/** `weight` fake-quantized to symmetric int8 per output channel, with scales from its current values. */
function fakeQuantizedWeight(weight: Tensor): Tensor {
  const scales = symmetricScales(float32Data(weight), weight.shape[0]!);
  return fakeQuantizePerChannel(weight, scales, -INT8_WEIGHT_MAX, INT8_WEIGHT_MAX);
}

/**
 * A float model prepared for quantization-aware training by {@link prepareQat}: train it with `fit()` like
 * any module, then turn it into an integer model with {@link convertQat}. Its state (`stateDict`) holds the
 * batch-norm-folded model's parameters (`model.…`) and every observer's range (`observers.<i>.range`, in
 * the order of `plan.rangePoints`).
 */
export class QatModel extends Module {
  /** The observers by range point (layer index of `model`, −1 for the input). */
  private readonly observerAt: Map<number, MovingAverageMinMaxObserver>;
  /** The forward pass, with fake-quantized weights, of each layer that runs in integers. */
  private readonly integerLayerForward: Map<number, (x: Tensor) => Tensor>;

  /**
   * @param model the float model being fine-tuned: the original with batch norm folded away
   * @param plan the quantization plan of `model`
   * @param observers one per entry of `plan.rangePoints`, in that order
   */
  constructor(
    readonly model: SpecModel,
    readonly plan: QuantizationPlan,
    readonly observers: MovingAverageMinMaxObserver[],
  ) {
    super();
    this.observerAt = new Map(plan.rangePoints.map((point, i) => [point, observers[i]!]));
    this.integerLayerForward = new Map();
    for (const stage of plan.stages) {
      if (stage.kind !== 'conv2d' && stage.kind !== 'linear') continue;
      const layer = model.layers[stage.main];
      if (layer instanceof Conv2d) {
        const spec = model.spec.layers[stage.main] as Extract<LayerSpec, { type: 'conv2d' }>;
        const options: Conv2dOptions = { stride: spec.stride, padding: spec.padding, dilation: spec.dilation, groups: spec.groups };
        this.integerLayerForward.set(stage.main, (x) => conv2d(x, fakeQuantizedWeight(layer.weight), layer.bias, options));
      } else if (layer instanceof Linear) {
        this.integerLayerForward.set(stage.main, (x) => {
          const y = matmul(x, transpose(fakeQuantizedWeight(layer.weight)));
          return layer.bias ? add(y, layer.bias) : y;
        });
      }
    }
  }

  /**
   * Runs the float model with the weights of its integer layers fake-quantized and its activations
   * fake-quantized at the range points; in training mode each observer first moves its range towards the
   * batch's.
   */
  forward(input: Tensor): Tensor {
    let x = this.observerAt.get(-1)?.forward(input) ?? input;
    this.model.layers.forEach((layer, i) => {
      x = this.integerLayerForward.get(i)?.(x) ?? layer.forward(x);
      x = this.observerAt.get(i)?.forward(x) ?? x;
    });
    return x;
  }

  override describe(): string {
    return `QatModel(${this.integerLayerForward.size} fake-quantized weights, ${this.observers.length} activation observers)`;
  }
}

/** What batch norm each integer layer of the plan absorbs: layer index → batch-norm index. */
function foldedNorms(plan: QuantizationPlan): Map<number, number> {
  const norms = new Map<number, number>();
  for (const stage of plan.stages) {
    if ((stage.kind === 'conv2d' || stage.kind === 'linear') && stage.batchNorm !== null) norms.set(stage.main, stage.batchNorm);
  }
  return norms;
}

/**
 * A copy of `model` without the batch norms the plan folds: each is folded into the layer before it, which
 * gains a bias if it had none. Every other layer is copied as it is.
 */
function foldModel(model: SpecModel, plan: QuantizationPlan): SpecModel {
  const norms = foldedNorms(plan);
  const dropped = new Set(norms.values());
  const specs: LayerSpec[] = [];
  model.spec.layers.forEach((spec, i) => {
    if (dropped.has(i)) return;
    const copy = structuredClone(spec);
    if (norms.has(i)) delete (copy as { bias?: boolean }).bias;
    specs.push(copy);
  });
  // A generator of its own: the initial values are overwritten, and the default generator stays untouched.
  const folded = buildModel({ input: [...model.spec.input], layers: specs }, { seed: 0 });
  let target = 0;
  model.layers.forEach((layer, i) => {
    if (dropped.has(i)) return;
    const into = folded.layers[target++]!;
    const norm = norms.get(i);
    if (norm === undefined) {
      into.loadStateDict(layer.stateDict());
      return;
    }
    const { weight, bias } = layer as Conv2d | Linear;
    const outChannels = weight.shape[0]!;
    const f = foldBatchNorm(float32Data(weight), bias ? float32Data(bias) : null, outChannels, model.layers[norm] as BatchNorm1d | BatchNorm2d);
    into.loadStateDict({ weight: new Tensor(f.weight, weight.shape), bias: new Tensor(f.bias, [outChannels]) });
  });
  return folded;
}

/**
 * Prepares a float model for quantization-aware training. The returned {@link QatModel} is a module to
 * train with `fit()` (a few epochs at a low learning rate is typical) and then pass to {@link convertQat}.
 * It holds a copy of the model with batch norm folded into the convolution or linear layer before it (see
 * the module notes: the folded weights are what is fine-tuned); its convolution and linear layers that will
 * run in integers see their weights fake-quantized to per-channel int8 (scales from the current weights,
 * every forward pass), and the activations the integer model quantizes to u8 — the input of each integer
 * region, the output of each integer layer (after a fused ReLU) that feeds another, and lookup activations —
 * are fake-quantized with ranges tracked as moving averages of each training batch's minimum and maximum,
 * frozen in evaluation mode. The model passed in is not modified.
 * @throws ArgumentError for a model not built from a spec, one with no convolution or linear layer that
 *   can run in integers, an averaging constant outside (0, 1], or calibration samples that give no ranges
 */
export function prepareQat(model: SpecModel, options: QatOptions = {}): QatModel {
  if (!(model instanceof SpecModel)) {
    throw new ArgumentError('prepareQat: the model must be a SpecModel (built from a spec, e.g. with buildModel or loaded from a .kiln file), so it can be rebuilt with batch norm folded');
  }
  const averagingConstant = options.averagingConstant ?? 0.01;
  if (!(averagingConstant > 0 && averagingConstant <= 1)) {
    throw new ArgumentError(`prepareQat: averagingConstant must be in (0, 1] (0.01 is typical), got ${averagingConstant}`);
  }
  const original = planQuantization(model, 'static');
  if (!original.stages.some((s) => s.kind === 'conv2d' || s.kind === 'linear')) {
    throw new ArgumentError(
      'prepareQat: no layer of the model can run in integers (convolutions on [N, C, H, W] with groups = 1, or linear layers on [N, features]), so there is nothing to train for quantization',
    );
  }
  const folded = foldModel(model, original);
  const plan = planQuantization(folded, 'static');
  const observers = plan.rangePoints.map(
    (point) => new MovingAverageMinMaxObserver(point === -1 ? 'the model input' : `the output of layer ${point} (${folded.spec.layers[point]!.type})`, averagingConstant),
  );
  if (options.calibration !== undefined) {
    const { ranges, samples } = calibrate(folded, plan, options.calibration, { method: 'minmax' });
    plan.rangePoints.forEach((point, i) => observers[i]!.setRange(ranges.get(point)!, samples));
  }
  return new QatModel(folded, plan, observers).train();
}

/**
 * Converts a model trained with quantization awareness into an integer {@link QuantizedModel}: the same
 * conversion as post-training quantization, applied to the fine-tuned batch-norm-folded float model with
 * the observers' ranges (method `qat`). Its architecture is that of the folded model. The integer model's
 * outputs match the QAT model's in evaluation mode closely but not bit for bit (biases are rounded to
 * integers and requantization rounds differently from float accumulation).
 * @throws ArgumentError when `qat` is not a QatModel, or an observer's range cannot give quantization
 *   parameters (every value 0)
 * @throws DataError when an activation was never observed (no training step and no calibration)
 */
export function convertQat(qat: QatModel): QuantizedModel {
  if (!(qat instanceof QatModel)) throw new ArgumentError('convertQat: expected the QatModel returned by prepareQat (and trained with fit)');
  const ranges = new Map<number, Range>();
  qat.plan.rangePoints.forEach((point, i) => ranges.set(point, qat.observers[i]!.requireObserved()));
  const samples = Math.min(...qat.observers.map((o) => o.samples.data[0]!));
  return convertModel(qat.model, qat.plan, ranges, { mode: 'static', method: 'qat', calibrationSamples: samples > 0 ? samples : null });
}
