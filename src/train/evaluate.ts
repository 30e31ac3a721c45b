import { noGrad } from '../autograd/grad-mode.js';
import { DataLoader } from '../data/data-loader.js';
import type { Dataset } from '../data/dataset.js';
import type { LossFunction } from '../losses/registry.js';
import type { Tensor } from '../tensor/tensor.js';
import { metricFromName, type Metric } from './metrics.js';

/** Options of {@link evaluate}. */
export interface EvaluateOptions {
  /** Also report the mean loss under this function. */
  loss?: LossFunction;
  metrics?: (Metric | string)[];
  /** Samples per forward pass (default 256). */
  batchSize?: number;
}

/**
 * Runs the model over a dataset in evaluation mode without recording gradients and returns the mean loss
 * (when a loss is given) and every metric, by name. The model's mode is restored afterwards.
 */
/** What {@link evaluate} needs of a model: a forward pass and a switch to evaluation mode (a Module, or a quantized model). */
export interface EvaluableModel {
  readonly training: boolean;
  eval(): unknown;
  train(mode: boolean): unknown;
  forward(x: Tensor): Tensor;
}

export function evaluate(model: EvaluableModel, data: Dataset, options: EvaluateOptions = {}): Record<string, number> {
  const metrics = (options.metrics ?? []).map((m) => (typeof m === 'string' ? metricFromName(m) : m));
  metrics.forEach((m) => m.reset());
  const wasTraining = model.training;
  model.eval();
  let lossSum = 0;
  let samples = 0;
  try {
    noGrad(() => {
      for (const { inputs, targets } of new DataLoader(data, { batchSize: options.batchSize ?? 256, seed: 0 })) {
        const outputs = model.forward(inputs);
        const size = inputs.shape[0] ?? 1;
        if (options.loss) lossSum += options.loss(outputs, targets).item() * size;
        samples += size;
        for (const m of metrics) m.update(outputs, targets);
      }
    });
  } finally {
    model.train(wasTraining);
  }
  const results: Record<string, number> = {};
  if (options.loss) results.loss = samples === 0 ? NaN : lossSum / samples;
  for (const m of metrics) results[m.name] = m.result();
  return results;
}
