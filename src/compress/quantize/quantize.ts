/** The quantization entry points: static post-training quantization with calibration, and dynamic quantization. */
import { ArgumentError } from '../../errors.js';
import type { QuantizedModel } from '../../nn/quantized/quantized-model.js';
import { SpecModel } from '../../nn/spec.js';
import type { Tensor } from '../../tensor/tensor.js';
import { calibrate, type CalibrationOptions } from './calibrate.js';
import { convertModel } from './convert.js';
import { planQuantization } from './plan.js';

function checkModel(model: unknown, caller: string): asserts model is SpecModel {
  if (!(model instanceof SpecModel)) {
    throw new ArgumentError(`${caller}: the model must be a SpecModel (built from a spec, e.g. loaded from a .kiln file), so the quantized model can be saved and rebuilt`);
  }
}

/**
 * Static post-training quantization: folds batch norm, fuses ReLU, calibrates activation ranges on real
 * samples (`calibration`: one batch `[N, ...input]` or several) and returns the integer model. Layers with
 * no integer form stay in float. The float model is not modified.
 * @throws ArgumentError for a model not built from a spec, or calibration data that cannot give ranges
 *   (none, constant, NaN)
 */
export function quantizeStatic(model: SpecModel, calibration: Tensor | readonly Tensor[], options: CalibrationOptions = {}): QuantizedModel {
  checkModel(model, 'quantizeStatic');
  const plan = planQuantization(model, 'static');
  const { ranges, samples } = calibrate(model, plan, calibration, options);
  return convertModel(model, plan, ranges, { mode: 'static', method: options.method ?? 'percentile', calibrationSamples: samples });
}

/**
 * Dynamic quantization: the weights of linear layers on `[N, features]` become int8; their inputs are
 * quantized per batch from the batch's own range, so no calibration data is needed. Other layers stay float.
 * @throws ArgumentError for a model not built from a spec, or one with no linear layer to quantize
 */
export function quantizeDynamic(model: SpecModel): QuantizedModel {
  checkModel(model, 'quantizeDynamic');
  const plan = planQuantization(model, 'dynamic');
  if (!plan.stages.some((s) => s.kind === 'dynamicLinear')) {
    throw new ArgumentError('quantizeDynamic: the model has no linear layer on [N, features] inputs, so nothing would be quantized; use quantizeStatic for convolutional models');
  }
  return convertModel(model, plan, new Map(), { mode: 'dynamic', method: null, calibrationSamples: null });
}
