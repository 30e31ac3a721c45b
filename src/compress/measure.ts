/**
 * Side-by-side measurements of models before and after compression, as the `kiln prune` and `kiln
 * distill` reports print them: size, sparsity, test accuracy, file bytes, and speed through the same
 * {@link Predictor} that serves the model.
 */
import type { TensorDataset } from '../data/tensor-dataset.js';
import { Predictor } from '../infer/predictor.js';
import type { SparseLayerReport } from '../infer/sparse-layers.js';
import { decodeModelFile, encodeModelFile, type ModelFileContent } from '../io/model-file.js';
import { Ensemble } from '../nn/layers/ensemble.js';
import { QuantizedModel } from '../nn/quantized/quantized-model.js';
import type { SpecModel } from '../nn/spec.js';
import { slice } from '../ops/indexing.js';
import { evaluate } from '../train/evaluate.js';
import { sparsityReport } from './prune/sparsity.js';

/** What {@link measureModel} found for one model. */
export interface ModelMeasurement {
  name: string;
  parameters: number;
  /** Share of zeros in the Linear and Conv2d weights. */
  sparsity: number;
  /** Test accuracy (classification), or null without labels to compare with. */
  accuracy: number | null;
  /** Bytes of the model file as saved (sparse encoding when asked). */
  fileBytes: number;
  /** Median milliseconds of one prediction on a batch of one. */
  latencyMs: number;
  /** Samples per second on batches of 256. */
  throughput: number;
  /** The Linear layers that ran on the sparse-weight kernel (see `Predictor.sparseLayers`). */
  sparseLayers: readonly SparseLayerReport[];
}

/** Options of {@link measureModel}. */
export interface MeasureOptions {
  /** Save with the sparse encoding (see `saveModel`), as a pruned model is. */
  sparse?: boolean;
  /** Milliseconds spent timing each of latency and throughput (default 500); at least a few runs each. */
  timingMs?: number;
}

/**
 * Saves `content` to bytes, loads it back into a {@link Predictor} (so what is measured is what a user
 * gets from the file), and measures it on `test`: accuracy over the whole set, the median batch-1
 * latency and the batch-256 throughput on its first samples.
 */
export function measureModel(name: string, content: ModelFileContent, test: TensorDataset, options: MeasureOptions = {}): ModelMeasurement {
  const { predictor, measurement } = measureFile(name, content, test, options);
  const accuracy = content.task === 'classification' ? evaluate(predictor.model, test, { metrics: ['accuracy'] }).accuracy! : null;
  return { ...measurement, accuracy };
}

/**
 * Measures an ensemble of float models (see `Ensemble`): each member is saved, loaded back and timed
 * through its own {@link Predictor}, and the members run one after another. Parameters, file bytes and
 * time add up over the members; accuracy is that of the mean of the loaded members' outputs.
 */
export function measureEnsemble(name: string, contents: readonly (ModelFileContent & { model: SpecModel })[], test: TensorDataset, options: MeasureOptions = {}): ModelMeasurement {
  const members = contents.map((content) => measureFile(name, content, test, options));
  // The loaded members (with any sparse-kernel layers) give the accuracy; the saved ones the weights' zeros.
  const loaded = new Ensemble(members.map(({ predictor }) => predictor.model as SpecModel));
  const sum = (value: (m: Omit<ModelMeasurement, 'accuracy'>) => number): number => members.reduce((total, { measurement }) => total + value(measurement), 0);
  return {
    name,
    parameters: sum((m) => m.parameters),
    sparsity: sparsityReport(new Ensemble(contents.map((content) => content.model))).total.sparsity,
    accuracy: contents[0]!.task === 'classification' ? evaluate(loaded, test, { metrics: ['accuracy'] }).accuracy! : null,
    fileBytes: sum((m) => m.fileBytes),
    latencyMs: sum((m) => m.latencyMs),
    throughput: 1 / sum((m) => 1 / m.throughput),
    sparseLayers: members.flatMap(({ measurement }) => measurement.sparseLayers),
  };
}

/** Everything {@link measureModel} reports but accuracy, and the Predictor that ran the model. */
function measureFile(name: string, content: ModelFileContent, test: TensorDataset, options: MeasureOptions): { predictor: Predictor; measurement: Omit<ModelMeasurement, 'accuracy'> } {
  const timingMs = options.timingMs ?? 500;
  const bytes = Buffer.concat(encodeModelFile({ ...content, sparse: options.sparse }));
  const predictor = new Predictor(decodeModelFile(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), name));
  const one = slice(test.inputs, [[0, 1]]);
  const batch = slice(test.inputs, [[0, Math.min(256, test.length)]]);
  const latencies = timeRuns(() => predictor.predictTensor(one), timingMs, 5).sort((a, b) => a - b);
  const batchTimes = timeRuns(() => predictor.predictTensor(batch), timingMs, 3);
  const measurement = {
    name,
    parameters: content.model.parameterCount(),
    sparsity: content.model instanceof QuantizedModel ? content.model.weightSparsity() : sparsityReport(content.model).total.sparsity,
    fileBytes: bytes.byteLength,
    latencyMs: latencies[Math.floor(latencies.length / 2)]!,
    throughput: (batch.shape[0]! * batchTimes.length) / (batchTimes.reduce((a, b) => a + b, 0) / 1000),
    sparseLayers: predictor.sparseLayers,
  };
  return { predictor, measurement };
}

/**
 * Milliseconds of each run of `work`, for about `budgetMs` and at least `minRuns` runs, after warming up
 * for as long: the JIT and the buffer pools settle, and so does what a training run in the same process
 * leaves behind (right after one, batch-1 calls measured about three times slower for the first few hundred
 * milliseconds, more than a quarter of the budget covered).
 */
function timeRuns(work: () => unknown, budgetMs: number, minRuns: number): number[] {
  const warm = performance.now();
  do work();
  while (performance.now() - warm < budgetMs);
  const times: number[] = [];
  const started = performance.now();
  while (times.length < minRuns || (performance.now() - started < budgetMs && times.length < 1000)) {
    const t0 = performance.now();
    work();
    times.push(performance.now() - t0);
  }
  return times;
}

/** A plain-text table of measurements; ratios are relative to the first row. */
export function formatMeasurements(rows: readonly ModelMeasurement[]): string {
  const base = rows[0]!;
  const header = ['model', 'parameters', 'sparsity', 'accuracy', 'file', 'size ×', 'batch-1 ms', 'batch-256 samples/s', 'speed ×'];
  const body = rows.map((r) => [
    r.name,
    r.parameters.toLocaleString('en-US'),
    `${(100 * r.sparsity).toFixed(1)}%`,
    r.accuracy === null ? '—' : `${(100 * r.accuracy).toFixed(2)}%`,
    formatBytes(r.fileBytes),
    `${(base.fileBytes / r.fileBytes).toFixed(2)}`,
    r.latencyMs.toFixed(3),
    Math.round(r.throughput).toLocaleString('en-US'),
    `${(r.throughput / base.throughput).toFixed(2)}`,
  ]);
  return formatTable(header, body);
}

/** One line naming the layers that ran on the sparse-weight kernel, or saying that none did. */
export function formatSparseLayers(layers: readonly SparseLayerReport[]): string {
  if (layers.length === 0) return 'sparse kernel: no layer has enough zeros to gain from it';
  const each = layers.map((l) => `${l.layer} ${l.inFeatures}→${l.outFeatures} (${(100 * l.sparsity).toFixed(1)}% zeros, ${l.batches === 'all' ? 'every batch' : 'batches of 2+ rows'})`);
  return `sparse kernel: ${each.join(', ')}`;
}

/** Columns padded to their widest cell; the first left-aligned, the rest right-aligned. */
export function formatTable(header: readonly string[], body: readonly (readonly string[])[]): string {
  const widths = header.map((h, c) => Math.max(h.length, ...body.map((row) => row[c]!.length)));
  const line = (cells: readonly string[]): string => cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ');
  return [line(header), ...body.map(line)].join('\n');
}

function formatBytes(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(2)} MiB` : `${(bytes / 1024).toFixed(1)} KiB`;
}
