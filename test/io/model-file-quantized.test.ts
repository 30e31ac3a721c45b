import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { quantizeDynamic, quantizeStatic } from '../../src/compress/quantize/quantize.js';
import { ModelFormatError } from '../../src/errors.js';
import { loadModel } from '../../src/infer/predictor.js';
import { decodeModelFile, encodeModelFile, loadFloatModelFile, readModelMetadata, saveModel, type ModelFileContent } from '../../src/io/model-file.js';
import { decodeSafetensors, encodeSafetensors } from '../../src/io/safetensors.js';
import { QuantizedModel } from '../../src/nn/quantized/quantized-model.js';
import { presetSpec } from '../../src/nn/presets.js';
import { buildModel } from '../../src/nn/spec.js';
import { rand, randn } from '../../src/tensor/creation.js';
import { Generator } from '../../src/tensor/random.js';
import { Tensor } from '../../src/tensor/tensor.js';

const dir = mkdtempSync(join(tmpdir(), 'kiln-quantized-file-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const concat = (chunks: Uint8Array[]): Uint8Array => new Uint8Array(Buffer.concat(chunks));

const float = buildModel(presetSpec('cnn-small', { outputs: 3 }), { seed: 9 }).eval();
const quantized = quantizeStatic(float, rand([64, 1, 28, 28], { generator: new Generator(1) }), { method: 'mse' });
const content: ModelFileContent = {
  model: quantized, task: 'classification', labels: ['a', 'b', 'c'],
  input: { kind: 'image', channels: 1, size: [28, 28], fit: 'cover' },
};
const bytes = concat(encodeModelFile(content));

test('a quantized model saves, loads and predicts exactly as before saving', async () => {
  const path = join(dir, 'model.int8.kiln');
  await saveModel(path, content);
  const predictor = await loadModel(path);
  assert.ok(predictor.model instanceof QuantizedModel);
  assert.deepEqual(predictor.model.metadata(), quantized.metadata());
  const x = rand([7, 1, 28, 28], { generator: new Generator(2) });
  assert.deepEqual(Array.from(predictor.predictTensor(x).contiguousData()), Array.from(quantized.forward(x).contiguousData()));
  const [prediction] = await predictor.predict(new Tensor(x.contiguousData().slice(0, 784), [1, 28, 28]));
  assert.ok(prediction && 'label' in prediction && ['a', 'b', 'c'].includes(prediction.label));
  const metadata = await readModelMetadata(path);
  assert.equal(metadata.quantization?.mode, 'static');
  assert.equal(metadata.quantization?.method, 'mse');
  assert.deepEqual(metadata.architecture, float.spec, 'the float architecture is kept');
});

test('the file stores int8 weights, float32 scales and int32 biases, about 4× smaller than float', () => {
  const { tensors } = decodeSafetensors(bytes);
  assert.equal(tensors['stages.1.weight']!.dtype, 'int8');
  assert.deepEqual(tensors['stages.1.weight']!.shape, [32, 3, 3, 1]);
  assert.equal(tensors['stages.1.weightScale']!.dtype, 'float32');
  assert.equal(tensors['stages.1.bias']!.dtype, 'int32');
  const floatBytes = concat(encodeModelFile({ ...content, model: float })).length;
  assert.ok(floatBytes / bytes.length > 3.5, `size ratio ${floatBytes / bytes.length}`);
});

test('dynamic quantization round-trips too', () => {
  const mlp = buildModel(presetSpec('mlp', { input: [6], outputs: 2, hidden: [8] }), { seed: 1 });
  const dynamic = quantizeDynamic(mlp);
  const loaded = decodeModelFile(concat(encodeModelFile({ model: dynamic, task: 'regression', labels: null, input: { kind: 'tensor', shape: [6] } }))).model;
  const x = randn([4, 6], { generator: new Generator(3) });
  assert.deepEqual(Array.from(loaded.forward(x).contiguousData()), Array.from(dynamic.forward(x).contiguousData()));
});

test('work that needs the float model refuses a quantized file by name', async () => {
  const path = join(dir, 'refused.int8.kiln');
  await saveModel(path, content);
  await assert.rejects(loadFloatModelFile(path, 'pruning'), (e: Error) => e instanceof ModelFormatError && /quantized to int8, and pruning needs the float model/.test(e.message));
  assert.throws(() => encodeModelFile({ ...content, sparse: true }), /sparse storage applies to float weights/);
});

/** Re-encodes the file with its metadata and tensors changed. */
function corrupt(change: (quantization: Record<string, unknown>, tensors: Record<string, Tensor>) => void): Uint8Array {
  const { tensors, metadata } = decodeSafetensors(bytes);
  const kiln = JSON.parse(metadata['kiln']!) as Record<string, unknown>;
  change(kiln['quantization'] as Record<string, unknown>, tensors);
  return concat(encodeSafetensors({ tensors, metadata: { kiln: JSON.stringify(kiln) } }));
}

test('corrupt quantization metadata or tensors give a ModelFormatError naming the stage', () => {
  const stages = (q: Record<string, unknown>) => q['stages'] as Record<string, unknown>[];
  const cases: [string, (q: Record<string, unknown>, t: Record<string, Tensor>) => void, RegExp][] = [
    ['unknown stage', (q) => { stages(q)[2]!['type'] = 'teleport'; }, /stage 2 has unknown type "teleport"/],
    ['missing tensor', (_, t) => { delete t['stages.4.weight']; }, /stage 4: the tensor 'stages\.4\.weight' is missing/],
    ['wrong dtype', (_, t) => { t['stages.1.bias'] = new Tensor(new Float32Array(32), [32]); }, /'stages\.1\.bias' is float32, expected int32/],
    ['extra tensor', (_, t) => { t['stages.9.weight'] = new Tensor(new Int8Array(1), [1]); }, /tensors that no stage uses: stages\.9\.weight/],
    ['zero scale', (q) => { stages(q)[0]!['output'] = { scale: 0, zeroPoint: 0 }; }, /stage 0 \(quantize\): output must be/],
    ['bad zero point', (q) => { stages(q)[1]!['output'] = { scale: 0.5, zeroPoint: 300 }; }, /stage 1 \(conv2d\): output must be/],
    ['kinds out of order', (q) => { stages(q).splice(0, 1); }, /stage 0 \(conv2d\) takes uint8 values but the stage before it produces float/],
    ['ends in u8', (q) => { stages(q)[5]!['output'] = { scale: 0.5, zeroPoint: 3 }; }, /the last stage must produce float outputs/],
    ['bad fused pool', (q) => { stages(q)[1]!['maxPool'] = { kernel: [0, 2], stride: [2, 2] }; }, /stage 1 \(conv2d\): maxPool must be/],
    ['weights of another shape', (_, t) => { t['stages.2.weight'] = new Tensor(new Int8Array(64 * 9 * 16), [64, 3, 3, 16]); }, /weights take 16 channels, the input has 32/],
    ['mode', (q) => { q['mode'] = 'magic'; }, /quantization\.mode must be "static" or "dynamic"/],
    ['not a list', (q) => { q['stages'] = 'none'; }, /quantization\.stages must be a list/],
  ];
  for (const [name, change, message] of cases) {
    assert.throws(() => decodeModelFile(corrupt(change), 'model x.kiln'), (e: Error) => e instanceof ModelFormatError && message.test(e.message) && e.message.startsWith('model x.kiln: '), name);
  }
});
