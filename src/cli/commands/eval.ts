import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { readCsv } from '../../data/csv.js';
import { FASHION_MNIST_SUBSET_DIR, loadFashionMnist } from '../../data/fashion-mnist.js';
import { loadImageFolder } from '../../data/image-folder.js';
import { readJsonl } from '../../data/jsonl.js';
import { DataError } from '../../errors.js';
import type { PredictInput } from '../../infer/inputs.js';
import { loadModel, type Predictor } from '../../infer/predictor.js';
import { slice } from '../../ops/indexing.js';
import { Tensor } from '../../tensor/tensor.js';
import { ConfusionMatrix, mae, r2, rmse } from '../../train/metrics.js';

/** Inputs to predict on and the true answers: class indices, or values. */
interface LabeledInputs {
  /** Batches of inputs, each one predict call. */
  batches: PredictInput[][];
  targets: number[];
}

const BATCH = 256;

function batchesOfTensor(images: Tensor): PredictInput[][] {
  const batches: PredictInput[][] = [];
  for (let start = 0; start < images.shape[0]!; start += BATCH) batches.push([slice(images, [[start, start + BATCH]])]);
  return batches;
}

/** Reads evaluation data as the model's training did, mapping class names to the model's labels. */
async function labeledInputs(predictor: Predictor, path: string, target: string | undefined): Promise<LabeledInputs> {
  const spec = predictor.metadata.input;
  const labels = predictor.labels ?? [];
  const resolved = path === 'fashion-mnist' ? FASHION_MNIST_SUBSET_DIR : path;
  if (!existsSync(resolved)) throw new DataError(`eval: ${path} does not exist`);
  if (spec.kind === 'image' && statSync(resolved).isDirectory()) {
    if (existsSync(join(resolved, 't10k-images-idx3-ubyte.gz')) || existsSync(join(resolved, 't10k-images-idx3-ubyte'))) {
      const test = loadFashionMnist({ split: 'test', dir: resolved });
      return { batches: batchesOfTensor(test.images), targets: Array.from(test.labels.contiguousData()) };
    }
    const folder = await loadImageFolder(resolved, { size: spec.size, channels: spec.channels, fit: spec.fit });
    const toModel = folder.classNames.map((name) => {
      const index = labels.indexOf(name);
      if (index < 0) throw new DataError(`eval: class folder '${name}' is not one of the model's classes (${labels.join(', ')})`);
      return index;
    });
    return { batches: batchesOfTensor(folder.images), targets: Array.from(folder.labels.contiguousData(), (c) => toModel[c]!) };
  }
  if (spec.kind === 'tabular') {
    if (target === undefined) throw new DataError('eval: name the target column with --target');
    const table = /\.(jsonl|ndjson)$/i.test(path) ? await readJsonl(path, { target }) : await readCsv(path, { target });
    const records: PredictInput[] = [];
    const targets: number[] = [];
    for (let row = 0; row < table.rowCount; row++) {
      const record = table.record(row);
      const truth = record[target];
      delete record[target];
      records.push(record);
      if (predictor.metadata.task === 'regression') targets.push(Number(truth));
      else {
        const index = labels.indexOf(String(truth));
        if (index < 0) throw new DataError(`eval: row ${row + 1} has target '${String(truth)}', which is not one of the model's classes (${labels.join(', ')})`);
        targets.push(index);
      }
    }
    const batches: PredictInput[][] = [];
    for (let start = 0; start < records.length; start += BATCH) batches.push(records.slice(start, start + BATCH));
    return { batches, targets };
  }
  throw new DataError(`eval: cannot read ${path} for a model that takes ${spec.kind} inputs`);
}

/** Evaluates a model file on labeled data; returns the printed report. */
export async function evaluateModelFile(modelPath: string, dataPath: string, target?: string): Promise<string> {
  const predictor = await loadModel(modelPath);
  const { batches, targets } = await labeledInputs(predictor, dataPath, target);
  const predicted: number[] = [];
  for (const batch of batches) {
    for (const p of await predictor.predict(batch)) predicted.push('label' in p ? p.classIndex : (p.value as number));
  }
  const lines = [`${modelPath} on ${dataPath}: ${targets.length} samples`];
  if (predictor.metadata.task === 'classification') {
    const confusion = new ConfusionMatrix();
    confusion.update(new Tensor(Int32Array.from(predicted), [predicted.length]), new Tensor(Int32Array.from(targets), [targets.length]));
    const perClass = confusion.perClass();
    const labels = predictor.labels ?? perClass.map((_, i) => String(i));
    lines.push(`accuracy ${(100 * confusion.accuracy()).toFixed(2)}%`, '');
    const width = Math.max(5, ...labels.map((l) => l.length));
    lines.push(`${'class'.padEnd(width)}  precision  recall  f1      support`);
    perClass.forEach((c, i) => {
      lines.push(`${(labels[i] ?? String(i)).padEnd(width)}  ${c.precision.toFixed(4).padEnd(9)}  ${c.recall.toFixed(4)}  ${c.f1.toFixed(4)}  ${String(c.support).padStart(7)}`);
    });
    const macro = (key: 'precision' | 'recall' | 'f1') => perClass.reduce((s, c) => s + c[key], 0) / perClass.length;
    lines.push(`${'macro'.padEnd(width)}  ${macro('precision').toFixed(4).padEnd(9)}  ${macro('recall').toFixed(4)}  ${macro('f1').toFixed(4)}  ${String(targets.length).padStart(7)}`);
    lines.push('', 'confusion matrix (rows: true class, columns: predicted):');
    for (const [i, row] of confusion.matrix().entries()) lines.push(`${(labels[i] ?? String(i)).padEnd(width)}  ${row.map((n) => String(n).padStart(5)).join('')}`);
  } else {
    const outputs = new Tensor(Float64Array.from(predicted), [predicted.length]);
    const truth = new Tensor(Float64Array.from(targets), [targets.length]);
    for (const metric of [mae(), rmse(), r2()]) {
      metric.update(outputs, truth);
      lines.push(`${metric.name} ${metric.result().toFixed(4)}`);
    }
  }
  return lines.join('\n');
}

/** Registers `kiln eval`. */
export function registerEvalCommand(program: Command): void {
  program
    .command('eval')
    .description('evaluate a trained model on labeled data: accuracy, per-class precision/recall/F1 and a confusion matrix (or MAE/RMSE/R²)')
    .argument('<model>', 'a .kiln model file')
    .argument('<data>', "labeled data: 'fashion-mnist', an IDX folder (its t10k test files), an image folder, or a CSV/JSONL file")
    .option('--target <column>', 'the target column of a table')
    .addHelpText('after', '\nExamples:\n  $ kiln eval fashion.kiln fashion-mnist\n  $ kiln eval houses.kiln test.csv --target price')
    .action(async (modelPath: string, dataPath: string, options: { target?: string }) => {
      console.log(await evaluateModelFile(modelPath, dataPath, options.target));
    });
}
