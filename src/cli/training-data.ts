/**
 * Turns a data path into ready training, validation and test sets for the CLI: an IDX folder (or the
 * bundled Fashion-MNIST subset), an image folder `root/<class>/*.png`, or a CSV / JSON-lines table with a
 * target column. Preprocessing is fitted on the training split only and described so the model file can
 * carry it.
 */
import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { readCsv } from '../data/csv.js';
import { FASHION_MNIST_CLASSES, FASHION_MNIST_SUBSET_DIR, loadFashionMnist } from '../data/fashion-mnist.js';
import { loadImageFolder } from '../data/image-folder.js';
import { readJsonl } from '../data/jsonl.js';
import { LabelEncoder } from '../data/preprocessing/label-encoder.js';
import { Pipeline } from '../data/preprocessing/pipeline.js';
import { splitDataset } from '../data/split.js';
import type { Table } from '../data/table.js';
import { TensorDataset } from '../data/tensor-dataset.js';
import { DataError } from '../errors.js';
import type { InputSpec } from '../io/model-file.js';
import { Tensor } from '../tensor/tensor.js';

/** Where and how to read the data. */
export interface DataOptions {
  /** 'fashion-mnist' (the bundled subset), an IDX folder, an image folder, or a .csv/.tsv/.jsonl file. */
  data: string;
  /** Held-out test data in the same form; by default a test split is taken from `data` (IDX: its t10k files). */
  testData?: string;
  /** Target column of a table. */
  target?: string;
  /** Fraction of the training data held out for validation (early stopping), default 0.1. */
  validationSplit: number;
  /** Fraction held out for testing when there is no separate test data, default 0.15. */
  testSplit: number;
  seed: number;
  /** Images: [height, width] to resize to (default 28×28 for IDX, 64×64 for folders). */
  imageSize?: [number, number];
  /** Images: 1 (grayscale) or 3 (RGB); default 1 for IDX, 3 for folders. */
  channels?: 1 | 3;
}

/** Data ready for training. */
export interface PreparedData {
  train: TensorDataset;
  validation: TensorDataset | null;
  test: TensorDataset | null;
  /** True when the test split was drawn from the data with the seed: a model trained with another seed has trained on some of it. */
  testSplitBySeed: boolean;
  task: 'classification' | 'regression';
  labels: string[] | null;
  input: InputSpec;
  /** Shape of one input sample. */
  sampleShape: number[];
  /** sha256 of the training inputs and targets, for the model's provenance. */
  dataHash: string;
  /** One line saying what was loaded. */
  description: string;
}

/** A numeric target with at most this many distinct integer values is taken as classes. */
const MAX_NUMERIC_CLASSES = 20;

/** Loads and prepares the data named by `options.data`. */
export async function prepareData(options: DataOptions): Promise<PreparedData> {
  const path = options.data === 'fashion-mnist' ? FASHION_MNIST_SUBSET_DIR : options.data;
  if (!existsSync(path)) throw new DataError(`data: ${options.data} does not exist (give 'fashion-mnist', an IDX folder, an image folder, or a CSV/JSONL file)`);
  if (statSync(path).isDirectory()) {
    return isIdxFolder(path) ? prepareIdx(path, options) : prepareImageFolder(path, options);
  }
  return prepareTable(path, options);
}

function isIdxFolder(path: string): boolean {
  return ['train-images-idx3-ubyte.gz', 'train-images-idx3-ubyte'].some((f) => existsSync(join(path, f)));
}

/** sha256 over the bytes of the given tensors. */
export function hashTensors(...tensors: Tensor[]): string {
  const hash = createHash('sha256');
  for (const t of tensors) {
    const data = t.contiguousData();
    hash.update(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  }
  return hash.digest('hex');
}

function splitValidation(all: TensorDataset, fraction: number, seed: number, stratify: Tensor | undefined): [TensorDataset, TensorDataset | null] {
  if (fraction <= 0) return [all, null];
  const [train, validation] = splitDataset(all, { fractions: [1 - fraction, fraction], seed, stratify });
  return [train!, validation!];
}

async function prepareIdx(path: string, options: DataOptions): Promise<PreparedData> {
  const train = loadFashionMnist({ split: 'train', dir: path });
  const hasTest = ['t10k-images-idx3-ubyte.gz', 't10k-images-idx3-ubyte'].some((f) => existsSync(join(path, f)));
  const test = hasTest ? loadFashionMnist({ split: 'test', dir: path }) : null;
  const all = new TensorDataset(train.images, train.labels);
  const [trainSet, validation] = splitValidation(all, options.validationSplit, options.seed, train.labels);
  // Fashion-MNIST names its classes; any other IDX set (MNIST digits…) is labelled by index.
  const fashion = path === FASHION_MNIST_SUBSET_DIR || /fashion/i.test(path);
  const classes = Math.max(...Array.from(train.labels.contiguousData())) + 1;
  const labels = fashion ? [...FASHION_MNIST_CLASSES] : Array.from({ length: classes }, (_, i) => String(i));
  const [, , h, w] = train.images.shape as [number, number, number, number];
  return {
    train: trainSet,
    validation,
    test: test ? new TensorDataset(test.images, test.labels) : null,
    testSplitBySeed: false,
    task: 'classification',
    labels,
    input: { kind: 'image', channels: 1, size: [h, w], fit: 'fill' },
    sampleShape: [1, h, w],
    dataHash: hashTensors(train.images, train.labels),
    description: `${path === FASHION_MNIST_SUBSET_DIR ? 'bundled Fashion-MNIST subset' : basename(path)}: ${all.length} training images${test ? `, ${test.labels.size} test images` : ''}, ${labels.length} classes`,
  };
}

async function prepareImageFolder(path: string, options: DataOptions): Promise<PreparedData> {
  const size = options.imageSize ?? [64, 64];
  const channels = options.channels ?? 3;
  const folder = await loadImageFolder(path, { size, channels, fit: 'cover' });
  if (folder.labels.size === 0) throw new DataError(`data: no readable images in ${path} (expected ${path}/<class>/*.png|jpg|jpeg|webp)`);
  const all = new TensorDataset(folder.images, folder.labels);
  let trainAll = all;
  let test: TensorDataset | null = null;
  if (options.testData !== undefined) {
    const testFolder = await loadImageFolder(options.testData, { size, channels, fit: 'cover' });
    test = new TensorDataset(testFolder.images, testFolder.labels);
  } else if (options.testSplit > 0) {
    const [rest, held] = splitDataset(all, { fractions: [1 - options.testSplit, options.testSplit], seed: options.seed, stratify: folder.labels });
    trainAll = rest!;
    test = held!;
  }
  const [train, validation] = splitValidation(trainAll, options.validationSplit, options.seed + 1, trainAll.targets);
  const skipped = folder.skipped.length ? `, ${folder.skipped.length} unreadable skipped` : '';
  return {
    train,
    validation,
    test,
    testSplitBySeed: options.testData === undefined && test !== null,
    task: 'classification',
    labels: [...folder.classNames],
    input: { kind: 'image', channels, size, fit: 'cover' },
    sampleShape: [channels, size[0], size[1]],
    dataHash: hashTensors(folder.images, folder.labels),
    description: `${basename(path)}: ${all.length} images in ${folder.classNames.length} classes (${folder.classNames.join(', ')})${skipped}, resized to ${size[0]}×${size[1]}×${channels}`,
  };
}

async function readTable(path: string, target: string): Promise<Table> {
  return /\.(jsonl|ndjson)$/i.test(path) ? readJsonl(path, { target }) : readCsv(path, { target });
}

async function prepareTable(path: string, options: DataOptions): Promise<PreparedData> {
  if (options.target === undefined) throw new DataError(`data: ${path} is a table; name the column to predict with --target <column>`);
  const table = await readTable(path, options.target);
  if (table.rowCount < 3) throw new DataError(`data: ${path} has ${table.rowCount} usable rows; training needs more`);
  const targetColumn = table.column(options.target);
  const task = isClassification(targetColumn) ? 'classification' : 'regression';
  const encoder = task === 'classification' ? new LabelEncoder().fit(targetColumn) : null;
  const targetsOf = (t: Table): Tensor => {
    const column = t.column(options.target!);
    if (encoder) return encoder.transform(column);
    const values = column.type === 'numeric' ? Float32Array.from(column.values) : new Float32Array(0);
    return new Tensor(values, [values.length, 1]);
  };
  let trainTable = table;
  let testTable: Table | null = null;
  if (options.testData !== undefined) testTable = await readTable(options.testData, options.target);
  else if (options.testSplit > 0) {
    const stratify = encoder ? encoder.transform(targetColumn) : undefined;
    const [rest, held] = splitDataset(table.rowCount, { fractions: [1 - options.testSplit, options.testSplit], seed: options.seed, stratify });
    trainTable = table.select(rest!);
    testTable = table.select(held!);
  }
  const stratify = encoder ? encoder.transform(trainTable.column(options.target)) : undefined;
  const [fitRows, validationRows] =
    options.validationSplit > 0
      ? splitDataset(trainTable.rowCount, { fractions: [1 - options.validationSplit, options.validationSplit], seed: options.seed + 1, stratify })
      : [Int32Array.from({ length: trainTable.rowCount }, (_, i) => i), null];
  const fitTable = trainTable.select(fitRows!);
  // Statistics come from the rows the model trains on, never from validation or test rows.
  const pipeline = new Pipeline().fit(fitTable);
  const dataset = (t: Table): TensorDataset => new TensorDataset(pipeline.transform(t), targetsOf(t));
  const train = dataset(fitTable);
  const features = train.inputs.shape[1]!;
  return {
    train,
    validation: validationRows ? dataset(trainTable.select(validationRows)) : null,
    test: testTable ? dataset(testTable) : null,
    testSplitBySeed: options.testData === undefined && testTable !== null,
    task,
    labels: encoder ? [...encoder.classes] : null,
    input: { kind: 'tabular', pipeline: pipeline.toJSON() },
    sampleShape: [features],
    dataHash: hashTensors(train.inputs, train.targets),
    description:
      `${basename(path)}: ${table.rowCount} rows, ${features} features after preprocessing, ` +
      (encoder ? `classification into ${encoder.classes.length} classes` : `regression of '${options.target}'`),
  };
}

function isClassification(column: ReturnType<Table['column']>): boolean {
  if (column.type === 'categorical') return true;
  const distinct = new Set<number>();
  for (const v of column.values) {
    if (Number.isNaN(v)) continue;
    if (!Number.isInteger(v)) return false;
    distinct.add(v);
    if (distinct.size > MAX_NUMERIC_CLASSES) return false;
  }
  return true;
}
