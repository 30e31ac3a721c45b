// Imports specific modules, never the root index, so this also checks that inference needs nothing the
// root index attaches (tensor methods, backward rules).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { noGrad } from '../../src/autograd/grad-mode.js';
import { LabelEncoder } from '../../src/data/preprocessing/label-encoder.js';
import { Pipeline } from '../../src/data/preprocessing/pipeline.js';
import { Table } from '../../src/data/table.js';
import { ArgumentError, DataError, DTypeError, ModelFormatError, ShapeError } from '../../src/errors.js';
import { loadModel, Predictor, type ClassPrediction, type Prediction, type RegressionPrediction } from '../../src/infer/index.js';
import { decodeModelFile, encodeModelFile, saveModel, type ModelFileContent } from '../../src/io/model-file.js';
import { buildModel, type ModelSpec, type SpecModel } from '../../src/nn/spec.js';
import { fromArray, randn } from '../../src/tensor/creation.js';
import { Generator } from '../../src/tensor/random.js';
import type { Tensor } from '../../src/tensor/tensor.js';

const dir = mkdtempSync(join(tmpdir(), 'kiln-predictor-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Saves the content to a file and loads a Predictor from it. */
async function roundTrip(name: string, content: ModelFileContent): Promise<Predictor> {
  const path = join(dir, `${name}.kiln`);
  await saveModel(path, content);
  return loadModel(path);
}

/** A predictor straight from memory (no file), for tests about outputs rather than files. */
function predictorOf(spec: ModelSpec, content: Omit<ModelFileContent, 'model'>, seed = 1): Predictor {
  return new Predictor(decodeModelFile(Buffer.concat(encodeModelFile({ ...content, model: buildModel(spec, { seed }) }))));
}

function forward(model: SpecModel, x: Tensor): number[] {
  model.eval();
  return Array.from(noGrad(() => model.forward(x)).toTypedArray());
}

function softmax(z: number[]): number[] {
  const m = Math.max(...z);
  const e = z.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

const classes = (predictions: Prediction[]): ClassPrediction[] => predictions.map((p) => {
  assert.ok('label' in p, 'a classification prediction');
  return p;
});

function checkDistribution(p: ClassPrediction, labels: readonly string[], k: number): void {
  assert.deepEqual(Object.keys(p.probabilities), [...labels]);
  const total = Object.values(p.probabilities).reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(total - 1) < 1e-12, `probabilities sum to ${total}`);
  assert.equal(p.topK.length, k);
  for (let i = 1; i < p.topK.length; i++) assert.ok(p.topK[i - 1]!.probability >= p.topK[i]!.probability, 'topK is sorted');
  assert.equal(p.topK[0]!.label, p.label);
  assert.equal(labels[p.classIndex], p.label);
  assert.equal(p.probabilities[p.label], Math.max(...Object.values(p.probabilities)));
}

/** Asserts that `promise` rejects with an error of `type` whose message matches every pattern. */
async function rejectsWith(promise: Promise<unknown>, type: new (...args: never[]) => Error, ...patterns: RegExp[]): Promise<void> {
  await assert.rejects(promise, (error: Error) => {
    assert.ok(error instanceof type, `expected ${type.name}, got ${error.name}: ${error.message}`);
    for (const pattern of patterns) assert.match(error.message, pattern);
    return true;
  });
}

describe('Predictor: tabular models', async () => {
  const table = Table.fromRecords(
    [
      { age: 30, city: 'Oslo', income: 100, label: 'no' },
      { age: 50, city: 'Bergen', income: null, label: 'yes' },
      { age: null, city: 'Oslo', income: 300, label: 'maybe' },
      { age: 40, city: 'Bergen', income: 200, label: 'no' },
    ],
    { target: 'label' },
  );
  const pipeline = new Pipeline().fit(table);
  const labels = new LabelEncoder().fit(['no', 'yes', 'maybe']).classes;
  const model = buildModel({ input: [pipeline.featureNames().length], layers: [{ type: 'linear', out: 8 }, { type: 'relu' }, { type: 'linear', out: 3 }] }, { seed: 2 });
  const records = [{ age: 35, city: 'Bergen', income: 150 }, { age: null, city: 'Oslo', income: '120', label: 'yes' }, { age: 61, city: 'Oslo', income: null }];
  const expected = records.map((r) => softmax(forward(model, pipeline.transformRecord(r))));
  const predictor = await roundTrip('tabular', { model, task: 'classification', labels, input: { kind: 'tabular', pipeline: pipeline.toJSON() } });

  test('exposes its metadata, model and input kind', () => {
    assert.equal(predictor.inputKind, 'tabular');
    assert.equal(predictor.metadata.task, 'classification');
    assert.deepEqual(predictor.labels, ['maybe', 'no', 'yes']);
    assert.equal(predictor.model.training, false);
  });

  test('records: softmax probabilities of the saved pipeline\'s features, labels, sorted topK (default min(5, classes))', async () => {
    const predictions = classes(await predictor.predict(records));
    assert.equal(predictions.length, 3);
    predictions.forEach((p, i) => {
      checkDistribution(p, labels, 3);
      labels.forEach((label, c) => assert.ok(Math.abs(p.probabilities[label]! - expected[i]![c]!) < 1e-6, `${label}`));
    });
    assert.deepEqual(await predictor.predict(records[0]!), [predictions[0]]);
    assert.equal(classes(await predictor.predict(records, { topK: 2 }))[0]!.topK.length, 2);
    assert.equal(classes(await predictor.predict(records, { topK: 50 }))[0]!.topK.length, 3);
  });

  test('a tensor or number array of preprocessed features predicts the same', async () => {
    const features = pipeline.transformRecords(records.map(({ age, city, income }) => ({ age, city, income })));
    const fromRecords = await predictor.predict(records);
    assert.deepEqual(await predictor.predict(features), fromRecords);
    assert.deepEqual(await predictor.predict(features.toArray() as number[][]), fromRecords);
    assert.deepEqual(await predictor.predict([records[0]!, pipeline.transformRecord(records[1]!), records[2]!]), fromRecords);
  });

  test('runs one forward pass per call, whatever the batch', async () => {
    let calls = 0;
    const original = predictor.model.forward.bind(predictor.model);
    predictor.model.forward = (x: Tensor) => {
      calls++;
      return original(x);
    };
    try {
      await predictor.predict([...records, ...records]);
      assert.equal(calls, 1);
    } finally {
      delete (predictor.model as Partial<SpecModel>).forward;
    }
  });

  test('a missing or unknown field, a bad value, or the wrong kind of input names the input', async () => {
    await rejectsWith(predictor.predict([records[0]!, { age: 1, city: 'Oslo' }]), DataError, /^Predictor\.predict: input 1: /, /no field 'income'/);
    await rejectsWith(predictor.predict([records[0]!, records[1]!, { age: 1, city: 'Oslo', income: 3, colour: 'red' }]), DataError, /input 2: /, /unknown field 'colour'/);
    await rejectsWith(predictor.predict({ age: 'old', city: 'Oslo', income: 3 }), DataError, /input 0: /, /field 'age' must be a finite number/);
    await rejectsWith(predictor.predict('age=3'), DataError, /input 0: a tabular model takes a record/);
    await rejectsWith(predictor.predict([records[0]!, fromArray([1, 2])]), ShapeError, /input 1: expected one sample of shape \[\d\] or a batch \[N,\d\], got shape \[2\]/);
  });

  test('a bad topK is an ArgumentError', async () => {
    for (const topK of [0, -1, 1.5]) await rejectsWith(predictor.predict(records, { topK }), ArgumentError, /topK must be a whole number ≥ 1/);
  });

  test('no inputs, no predictions', async () => {
    assert.deepEqual(await predictor.predict([]), []);
  });
});

describe('Predictor: tensor models', () => {
  const spec: ModelSpec = { input: [2, 3], layers: [{ type: 'flatten' }, { type: 'linear', out: 4 }, { type: 'dropout', p: 0.5 }] };

  test('tensors and nested arrays, one sample or a batch, give the raw model\'s softmax', async () => {
    const model = buildModel(spec, { seed: 3 });
    const x = randn([3, 2, 3], { generator: new Generator(4) });
    const before = forward(model, x);
    const predictor = await roundTrip('tensor', { model, task: 'classification', labels: null, input: { kind: 'tensor', shape: [2, 3] } });
    assert.deepEqual(predictor.labels, ['0', '1', '2', '3']);
    const batch = classes(await predictor.predict(x));
    assert.equal(batch.length, 3);
    batch.forEach((p, i) => {
      checkDistribution(p, ['0', '1', '2', '3'], 4);
      const z = before.slice(i * 4, i * 4 + 4);
      assert.deepEqual(Object.values(p.probabilities), softmax(z));
    });
    const rows = x.toArray() as number[][][];
    assert.deepEqual(await predictor.predict(rows), batch);
    assert.deepEqual(await predictor.predict(rows[1]!), [batch[1]]);
    assert.deepEqual(await predictor.predict([fromArray(rows[0]!), fromArray(rows[1]!), fromArray(rows[2]!)]), batch);
    assert.deepEqual(await predictor.predict(fromArray(rows[2]!, { dtype: 'float64' })), [batch[2]]);
  });

  test('predictTensor: raw outputs, bit-identical to the model before saving, in evaluation mode', async () => {
    const model = buildModel(spec, { seed: 5 });
    const x = randn([6, 2, 3], { generator: new Generator(6) });
    const before = forward(model, x);
    const predictor = await roundTrip('raw', { model, task: 'classification', labels: ['a', 'b', 'c', 'd'], input: { kind: 'tensor', shape: [2, 3] } });
    predictor.model.train();
    const out = predictor.predictTensor(x);
    assert.deepEqual(out.shape, [6, 4]);
    assert.deepEqual(Array.from(out.toTypedArray()), before);
    assert.equal(out.requiresGrad, false);
    assert.throws(() => predictor.predictTensor(randn([2, 3])), (e: Error) => e instanceof ShapeError && /expected a batch of shape \[N,2,3\], got \[2, ?3\]/.test(e.message));
  });

  test('a wrong shape or dtype names the input and what was expected', async () => {
    const predictor = predictorOf(spec, { task: 'classification', labels: null, input: { kind: 'tensor', shape: [2, 3] } });
    await rejectsWith(predictor.predict([randn([2, 3]), randn([3, 2])]), ShapeError, /input 1: expected one sample of shape \[2, ?3\] or a batch \[N,2,3\], got shape \[3, ?2\]/);
    await rejectsWith(predictor.predict([1, 2, 3]), ShapeError, /input 0: .*got shape \[3\]/);
    await rejectsWith(predictor.predict([[1, 2, 3], [4, 5]]), ShapeError, /input 0: .*ragged/);
    await rejectsWith(predictor.predict(fromArray([[1, 2, 3], [4, 5, 6]], { dtype: 'int32' })), DTypeError, /input 0: the model takes float32 values, got a int32 tensor/);
    await rejectsWith(predictor.predict([randn([2, 3]), { a: 1 }]), DataError, /input 1: a tensor model takes a tensor or nested number arrays of shape \[2, ?3\]; got an object/);
    await rejectsWith(predictor.predict(Buffer.from([1, 2])), DataError, /got bytes/);
  });

  test('an embedding model takes whole-number indices', async () => {
    const predictor = predictorOf(
      { input: [3], layers: [{ type: 'embedding', num: 10, dim: 2 }, { type: 'flatten' }, { type: 'linear', out: 2 }] },
      { task: 'classification', labels: ['x', 'y'], input: { kind: 'tensor', shape: [3] } },
    );
    const [p] = classes(await predictor.predict([[1, 2, 9]]));
    checkDistribution(p!, ['x', 'y'], 2);
    assert.deepEqual(await predictor.predict(fromArray([1, 2, 9], { dtype: 'int32' })), [p]);
    await rejectsWith(predictor.predict([[1, 2.5, 9]]), DTypeError, /input 0: the model takes int32 values \(indices\)/);
  });
});

describe('Predictor: outputs', () => {
  test('regression: a number for one output, the outputs for several', async () => {
    const single = predictorOf({ input: [2], layers: [{ type: 'linear', out: 1 }] }, { task: 'regression', labels: null, input: { kind: 'tensor', shape: [2] } });
    const x = fromArray([[1, 2], [3, -4]]);
    const raw = Array.from(single.predictTensor(x).toTypedArray());
    assert.deepEqual(await single.predict(x), raw.map((value) => ({ value })));
    assert.equal(single.labels, null);
    const multi = predictorOf({ input: [2], layers: [{ type: 'linear', out: 3 }] }, { task: 'regression', labels: null, input: { kind: 'tensor', shape: [2] } });
    const values = (await multi.predict(x)) as RegressionPrediction[];
    assert.deepEqual(values.map((p) => p.value), [0, 1].map((i) => Array.from(multi.predictTensor(x).toTypedArray()).slice(i * 3, i * 3 + 3)));
  });

  test('a single-logit binary classifier uses the sigmoid with labels[0] negative, labels[1] positive', async () => {
    const predictor = predictorOf({ input: [2], layers: [{ type: 'linear', out: 1 }] }, { task: 'classification', labels: ['ham', 'spam'], input: { kind: 'tensor', shape: [2] } });
    const x = fromArray([[3, -1], [-2, 5], [0, 0]]);
    const logits = Array.from(predictor.predictTensor(x).toTypedArray());
    const predictions = classes(await predictor.predict(x));
    predictions.forEach((p, i) => {
      const positive = 1 / (1 + Math.exp(-logits[i]!));
      assert.deepEqual(p.probabilities, { ham: 1 - positive, spam: positive });
      assert.equal(p.label, positive > 0.5 ? 'spam' : 'ham');
      checkDistribution(p, ['ham', 'spam'], 2);
    });
  });

  test('a model ending in softmax, logSoftmax or sigmoid already outputs (log-)probabilities', async () => {
    const base = { task: 'classification' as const, labels: ['a', 'b', 'c'], input: { kind: 'tensor' as const, shape: [2] } };
    const x = fromArray([[0.5, -1]]);
    const logits = predictorOf({ input: [2], layers: [{ type: 'linear', out: 3 }] }, base, 7);
    const probs = predictorOf({ input: [2], layers: [{ type: 'linear', out: 3 }, { type: 'softmax' }] }, base, 7);
    const logProbs = predictorOf({ input: [2], layers: [{ type: 'linear', out: 3 }, { type: 'logSoftmax' }] }, base, 7);
    const [expected] = classes(await logits.predict(x));
    for (const predictor of [probs, logProbs]) {
      const [p] = classes(await predictor.predict(x));
      assert.equal(p!.label, expected!.label);
      for (const label of base.labels) assert.ok(Math.abs(p!.probabilities[label]! - expected!.probabilities[label]!) < 1e-6);
    }
    const sigmoid = predictorOf({ input: [2], layers: [{ type: 'linear', out: 1 }, { type: 'sigmoid' }] }, { ...base, labels: ['no', 'yes'] }, 8);
    const [p] = classes(await sigmoid.predict(x));
    assert.equal(p!.probabilities.yes, sigmoid.predictTensor(x).item());
  });

  test('a label named __proto__ stays a label', async () => {
    const predictor = predictorOf({ input: [2], layers: [{ type: 'linear', out: 2 }] }, { task: 'classification', labels: ['__proto__', 'b'], input: { kind: 'tensor', shape: [2] } });
    const [p] = classes(await predictor.predict([1, 2]));
    assert.deepEqual(Object.keys(p!.probabilities), ['__proto__', 'b']);
    assert.equal(Object.getPrototypeOf(p!.probabilities), Object.prototype);
  });

  test('loadModel refuses a missing file with a ModelFormatError', async () => {
    await rejectsWith(loadModel(join(dir, 'nope.kiln')), ModelFormatError, /nope\.kiln: cannot read the file/);
  });
});
