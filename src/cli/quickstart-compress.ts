/**
 * The quickstart's last step: the trained model shrunk three ways — quantized to int8, half its channels
 * pruned away (then fine-tuned), and a 7× smaller student distilled from it — each saved, loaded back and
 * measured side by side with the original.
 */
import { join } from 'node:path';
import { distill } from '../compress/distill/distill.js';
import { formatMeasurements, measureModel, type ModelMeasurement } from '../compress/measure.js';
import { pruneChannels } from '../compress/prune/structured.js';
import { quantizeStatic } from '../compress/quantize/quantize.js';
import { loadFloatModelFile, saveModel, type ModelFileContent } from '../io/model-file.js';
import type { QuantizedModel } from '../nn/quantized/quantized-model.js';
import { buildModel, type ModelSpec, type SpecModel } from '../nn/spec.js';
import { slice } from '../ops/indexing.js';
import { Adam } from '../optim/adam.js';
import { fit } from '../train/fit.js';
import type { PreparedData } from './training-data.js';

/** The distilled student: the reference CNN's shape with half the filters and a quarter of the dense width. */
function studentSpec(input: number[], outputs: number): ModelSpec {
  return {
    input,
    layers: [
      { type: 'conv2d', out: 16, kernel: 3 }, { type: 'relu' }, { type: 'maxPool2d', kernel: 2 },
      { type: 'conv2d', out: 32, kernel: 3 }, { type: 'relu' }, { type: 'maxPool2d', kernel: 2 },
      { type: 'flatten' }, { type: 'linear', out: 32 }, { type: 'relu' }, { type: 'linear', out: outputs },
    ],
  };
}

/** Settings of {@link compareCompressed}. */
export interface CompressOptions {
  /** Epochs of pruning fine-tuning and of distillation. */
  epochs: number;
  seed: number;
  /** Time spent measuring each of latency and throughput per model. */
  timingMs: number;
  /** One progress line per step. */
  say: (text: string) => void;
}

/** Shrinks the model saved at `modelPath` three ways, saves each next to it, and returns the comparison table. */
export async function compareCompressed(modelPath: string, data: PreparedData, options: CompressOptions): Promise<{ table: string; rows: ModelMeasurement[] }> {
  const loaded = await loadFloatModelFile(modelPath, 'the compression step');
  const { task, labels, input, provenance: original } = loaded.metadata;
  const test = data.test!;
  const content = (model: SpecModel | QuantizedModel, provenance: Record<string, unknown>): ModelFileContent => ({ model, task, labels, input, provenance: { seed: original.seed, dataHash: original.dataHash, epochs: original.epochs, ...provenance } });
  const save = async (name: string, file: ModelFileContent, measured: ModelMeasurement): Promise<string> => {
    const path = join(modelPath, '..', name);
    await saveModel(path, { ...file, metrics: measured.accuracy === null ? {} : { accuracy: measured.accuracy } });
    return path;
  };
  const rows = [measureModel('fp32', content(loaded.model, {}), test, { timingMs: options.timingMs })];

  const samples = Math.min(1000, data.train.length);
  const quantized = quantizeStatic(loaded.model, slice(data.train.inputs, [[0, samples]]), { method: 'percentile' });
  const int8 = content(quantized, { quantization: { method: 'percentile', calibrationSamples: samples } });
  rows.push(measureModel('int8', int8, test, { timingMs: options.timingMs }));
  options.say(`   int8: calibrated on ${samples} training images → ${await save('fashion-mnist.int8.kiln', int8, rows.at(-1)!)}`);

  const { model: pruned } = pruneChannels(loaded.model, { sparsity: 0.5, norm: 'l1' });
  const common = { train: data.train, batchSize: 64, epochs: options.epochs, metrics: ['accuracy'], seed: options.seed, verbose: false };
  await fit(pruned, { ...common, loss: 'cross-entropy', optimizer: new Adam(pruned.parameters(), { lr: 1e-3 }) });
  pruned.eval();
  const prunedContent = content(pruned, { pruning: { method: 'structured L1, half the channels', finetuneEpochs: options.epochs } });
  rows.push(measureModel('pruned', prunedContent, test, { timingMs: options.timingMs }));
  options.say(`   pruned: half of every layer's channels removed, fine-tuned ${options.epochs} epoch(s) → ${await save('fashion-mnist.pruned.kiln', prunedContent, rows.at(-1)!)}`);

  const student = buildModel(studentSpec(loaded.model.spec.input, loaded.model.outputShape[0]!), { seed: options.seed });
  // The student starts from scratch, so it gets twice the fine-tuning's epochs; an even mix of the
  // teacher's and the labels' terms learned best in bench/distill.ts.
  const studentEpochs = 2 * options.epochs;
  await distill({ ...common, epochs: studentEpochs, teacher: loaded.model, student, temperature: 4, alpha: 0.5, optimizer: new Adam(student.parameters(), { lr: 2e-3 }) });
  student.eval();
  const studentContent = content(student, { distillation: { temperature: 4, alpha: 0.5, epochs: studentEpochs } });
  rows.push(measureModel('distilled', studentContent, test, { timingMs: options.timingMs }));
  options.say(`   distilled: a ${(loaded.model.parameterCount() / student.parameterCount()).toFixed(1)}× smaller student, ${studentEpochs} epoch(s) → ${await save('fashion-mnist.student.kiln', studentContent, rows.at(-1)!)}`);
  return { table: formatMeasurements(rows), rows };
}
