import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { noGrad } from '../../src/autograd/grad-mode.js';
import { LabelEncoder } from '../../src/data/preprocessing/label-encoder.js';
import { Pipeline } from '../../src/data/preprocessing/pipeline.js';
import { Table } from '../../src/data/table.js';
import { ArgumentError, ModelFormatError } from '../../src/errors.js';
import {
  decodeModelFile, encodeModelFile, loadModelFile, readModelMetadata, saveModel,
  MODEL_FORMAT, MODEL_FORMAT_VERSION, type ModelFileContent,
} from '../../src/io/model-file.js';
import { decodeSafetensors } from '../../src/io/safetensors.js';
import { Linear } from '../../src/nn/layers/linear.js';
import { Sequential } from '../../src/nn/layers/containers.js';
import { presetSpec } from '../../src/nn/presets.js';
import { buildModel, type SpecModel } from '../../src/nn/spec.js';
import { randn, uniform } from '../../src/tensor/creation.js';
import { Generator } from '../../src/tensor/random.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { KILN_VERSION } from '../../src/version.js';

const dir = mkdtempSync(join(tmpdir(), 'kiln-model-file-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Every value of every parameter and buffer nudged away from its initialization, so loading must really copy. */
function perturb(model: SpecModel, seed: number): SpecModel {
  const generator = new Generator(seed);
  for (const t of Object.values(model.stateDict())) {
    const data = t.data;
    for (let i = 0; i < data.length; i++) data[i] = data[i]! + (generator.nextDouble() - 0.5) * 0.1;
  }
  return model;
}

function forward(model: SpecModel, x: Tensor): Float32Array {
  model.eval();
  return noGrad(() => model.forward(x)).toTypedArray() as Float32Array;
}

function bytesOf(t: Tensor): Buffer {
  const data = t.contiguousData();
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/** Saves, loads and checks that the weights and outputs are bit-identical and the metadata kept. */
async function roundTrip(name: string, content: ModelFileContent & { model: SpecModel }, x: Tensor): Promise<void> {
  const before = forward(content.model, x);
  const path = join(dir, `${name}.kiln`);
  await saveModel(path, content);
  const { model: loadedModel, metadata } = await loadModelFile(path);
  const model = loadedModel as SpecModel;
  assert.equal(model.training, false, 'loaded in evaluation mode');
  assert.deepEqual(model.spec, content.model.spec);
  const original = content.model.stateDict();
  const loaded = model.stateDict();
  assert.deepEqual(Object.keys(loaded), Object.keys(original));
  for (const [key, t] of Object.entries(original)) {
    assert.deepEqual(loaded[key]!.shape, t.shape, key);
    assert.ok(bytesOf(loaded[key]!).equals(bytesOf(t)), `${key} differs after the round trip`);
  }
  const after = forward(model, x);
  assert.ok(Buffer.from(after.buffer).equals(Buffer.from(before.buffer)), 'outputs are bit-identical');
  assert.equal(metadata.task, content.task);
  assert.deepEqual(metadata.labels, content.labels);
  assert.deepEqual(metadata.input, content.input);
  assert.deepEqual(await readModelMetadata(path), metadata);
}

function tabular(): { pipeline: Pipeline; labels: LabelEncoder; features: number } {
  const table = Table.fromRecords(
    [
      { age: 30, city: 'Oslo', income: 100, label: 'no' },
      { age: 50, city: 'Bergen', income: null, label: 'yes' },
      { age: null, city: 'Oslo', income: 300, label: 'maybe' },
      { age: 40, city: null, income: 200, label: 'no' },
    ],
    { target: 'label' },
  );
  const pipeline = new Pipeline().fit(table);
  const labels = new LabelEncoder().fit(['no', 'yes', 'maybe', 'no']);
  return { pipeline, labels, features: pipeline.featureNames().length };
}

describe('model file', () => {
  test('round trip: an image CNN (cnn-small) gives bit-identical weights and outputs', async () => {
    const model = perturb(buildModel(presetSpec('cnn-small', { input: [1, 28, 28], outputs: 2 }), { seed: 1 }), 2);
    const x = uniform([3, 1, 28, 28], 0, 1, { generator: new Generator(3) });
    await roundTrip('cnn', {
      model, task: 'classification', labels: ['sandal', 'sneaker'],
      input: { kind: 'image', channels: 1, size: [28, 28], fit: 'fill', normalize: { type: 'ImageNormalizer', mean: [0.3], std: [0.35] } },
      metrics: { accuracy: 0.9 },
    }, x);
  });

  test('round trip: a tabular MLP with a fitted Pipeline and LabelEncoder classes', async () => {
    const { pipeline, labels, features } = tabular();
    const model = buildModel(presetSpec('mlp', { input: [features], outputs: 3, hidden: [8] }), { seed: 4 });
    const x = pipeline.transformRecords([{ age: 35, city: 'Bergen', income: 150 }, { age: null, city: 'Oslo', income: 120 }]);
    await roundTrip('tabular', {
      model, task: 'classification', labels: labels.classes, input: { kind: 'tabular', pipeline: pipeline.toJSON() },
    }, x);
    const { metadata } = await loadModelFile(join(dir, 'tabular.kiln'));
    assert.deepEqual(metadata.labels, ['maybe', 'no', 'yes']);
    assert.deepEqual(Pipeline.fromJSON((metadata.input as { pipeline: unknown }).pipeline).transformRecords([{ age: 35, city: 'Bergen', income: 150 }]).toArray(),
      pipeline.transformRecord({ age: 35, city: 'Bergen', income: 150 }).toArray());
  });

  test('round trip: a regression model with two outputs', async () => {
    const model = perturb(buildModel({ input: [3], layers: [{ type: 'linear', out: 5 }, { type: 'tanh' }, { type: 'linear', out: 2 }] }, { seed: 5 }), 6);
    await roundTrip('regression', { model, task: 'regression', labels: null, input: { kind: 'tensor', shape: [3] }, metrics: { rmse: 0.25 } },
      randn([4, 3], { generator: new Generator(7) }));
  });

  test('round trip: a tensor model with batch norm buffers and dropout runs in evaluation mode after loading', async () => {
    const model = perturb(
      buildModel({
        input: [2, 4, 4],
        layers: [
          { type: 'conv2d', out: 3, kernel: 3, padding: 'same' }, { type: 'batchNorm2d' }, { type: 'relu' }, { type: 'dropout', p: 0.5 },
          { type: 'residual', body: [{ type: 'conv2d', out: 3, kernel: 1 }] }, { type: 'globalAvgPool2d' }, { type: 'flatten' }, { type: 'linear', out: 4 },
        ],
      }, { seed: 8 }),
      9,
    );
    await roundTrip('tensor', { model, task: 'classification', labels: null, input: { kind: 'tensor', shape: [2, 4, 4] } },
      randn([5, 2, 4, 4], { generator: new Generator(10) }));
  });

  test('stores weights under their state-dict names and Kiln metadata as one JSON string', () => {
    const model = buildModel({ input: [2], layers: [{ type: 'linear', out: 3 }, { type: 'relu' }, { type: 'linear', out: 1 }] }, { seed: 11 });
    const bytes = Buffer.concat(encodeModelFile({
      model, task: 'regression', labels: null, input: { kind: 'tensor', shape: [2] },
      provenance: { seed: 11, dataHash: 'a'.repeat(64), epochs: 3, command: 'kiln train' },
    }));
    const { tensors, metadata } = decodeSafetensors(bytes);
    assert.deepEqual(Object.keys(tensors).sort(), ['0.bias', '0.weight', '2.bias', '2.weight']);
    assert.deepEqual(Object.keys(metadata), ['kiln']);
    const kiln = JSON.parse(metadata.kiln!) as Record<string, unknown>;
    assert.deepEqual(Object.keys(kiln), ['format', 'version', 'architecture', 'task', 'labels', 'input', 'metrics', 'provenance', 'quantization']);
    assert.equal(kiln.format, MODEL_FORMAT);
    assert.equal(kiln.version, MODEL_FORMAT_VERSION);
    assert.equal(kiln.quantization, null);
    const provenance = kiln.provenance as Record<string, unknown>;
    assert.equal(provenance.kiln, KILN_VERSION);
    assert.ok(Math.abs(Date.parse(provenance.created as string) - Date.now()) < 60_000, 'created is now');
    assert.deepEqual({ ...provenance, created: 0 }, { kiln: KILN_VERSION, created: 0, seed: 11, dataHash: 'a'.repeat(64), epochs: 3, command: 'kiln train' });
  });

  test('defaults: seed and dataHash null, metrics empty; a given created date is kept', () => {
    const model = buildModel({ input: [2], layers: [{ type: 'linear', out: 1 }] });
    const { metadata } = decodeModelFile(Buffer.concat(encodeModelFile({
      model, task: 'regression', labels: null, input: { kind: 'tensor', shape: [2] }, provenance: { created: '2024-01-02T03:04:05.000Z', seed: undefined },
    })));
    assert.deepEqual(metadata.metrics, {});
    assert.deepEqual(metadata.provenance, { kiln: KILN_VERSION, created: '2024-01-02T03:04:05.000Z', seed: null, dataHash: null });
  });

  test('a single-logit binary classifier takes two labels', async () => {
    const model = buildModel({ input: [3], layers: [{ type: 'linear', out: 1 }] });
    const path = join(dir, 'binary.kiln');
    await saveModel(path, { model, task: 'classification', labels: ['ham', 'spam'], input: { kind: 'tensor', shape: [3] } });
    assert.deepEqual((await loadModelFile(path)).metadata.labels, ['ham', 'spam']);
  });

  test('saving is atomic: no temporary file is left, and an existing file is replaced whole', async () => {
    const path = join(dir, 'atomic', 'model.kiln');
    const content: ModelFileContent = { model: buildModel({ input: [2], layers: [{ type: 'linear', out: 2 }] }), task: 'regression', labels: null, input: { kind: 'tensor', shape: [2] } };
    await saveModel(path, content);
    const first = readFileSync(path);
    await saveModel(path, { ...content, model: buildModel({ input: [2], layers: [{ type: 'linear', out: 4 }, { type: 'linear', out: 2 }] }) });
    assert.deepEqual(readdirSync(join(dir, 'atomic')), ['model.kiln']);
    assert.notEqual(readFileSync(path).length, first.length);
    assert.equal((await loadModelFile(path)).model.spec.layers.length, 2);
  });

  describe('saveModel refuses content it could not load back', () => {
    const model = buildModel({ input: [4], layers: [{ type: 'linear', out: 3 }] });
    const good: ModelFileContent = { model, task: 'classification', labels: ['a', 'b', 'c'], input: { kind: 'tensor', shape: [4] } };
    const cases: [string, Partial<ModelFileContent> | Record<string, unknown>, RegExp][] = [
      ['a model without a spec', { model: new Sequential(new Linear(4, 3)) }, /must be a SpecModel .*got Sequential/],
      ['labels that do not match the outputs', { labels: ['a', 'b'] }, /2 labels for a model with 3 output\(s\); expected 3/],
      ['repeated labels', { labels: ['a', 'a', 'b'] }, /must not repeat a class name/],
      ['labels for regression', { task: 'regression' }, /labels must be null for a regression model/],
      ['an unknown task', { task: 'ranking' }, /task must be "classification" or "regression", found "ranking"/],
      ['an input spec that does not fit the architecture', { input: { kind: 'tensor', shape: [5] } }, /gives samples of shape \[5\] but the architecture takes \[4\]/],
      ['an image spec that does not fit', { input: { kind: 'image', channels: 3, size: [2, 2], fit: 'cover' } }, /\[3, ?2, ?2\] but the architecture takes \[4\]/],
      ['an unknown input kind', { input: { kind: 'audio' } }, /input.kind must be "image", "tabular" or "tensor"/],
      ['a NaN metric', { metrics: { accuracy: NaN } }, /metrics.accuracy must be a finite number/],
      ['a data hash that is not sha256 hex', { provenance: { dataHash: 'abc' } }, /dataHash must be a sha256/],
      ['fractional epochs', { provenance: { epochs: 1.5 } }, /epochs must be a whole number/],
    ];
    for (const [what, change, message] of cases) {
      test(what, async () => {
        await assert.rejects(saveModel(join(dir, 'refused.kiln'), { ...good, ...change } as ModelFileContent), (error: Error) => {
          assert.ok(error instanceof ArgumentError, `${error.name}: ${error.message}`);
          assert.match(error.message, /^saveModel: /);
          assert.match(error.message, message);
          return true;
        });
        assert.ok(!readdirSync(dir).includes('refused.kiln'), 'nothing was written');
      });
    }
  });

  test('a missing file is a ModelFormatError naming it', async () => {
    const path = join(dir, 'missing.kiln');
    await assert.rejects(loadModelFile(path), (e: Error) => e instanceof ModelFormatError && e.message.includes(path) && /cannot read the file/.test(e.message));
    await assert.rejects(readModelMetadata(path), (e: Error) => e instanceof ModelFormatError && /cannot read the file/.test(e.message));
  });
});
