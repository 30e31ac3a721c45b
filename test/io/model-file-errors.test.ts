import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { LabelEncoder } from '../../src/data/preprocessing/label-encoder.js';
import { Pipeline } from '../../src/data/preprocessing/pipeline.js';
import { Table } from '../../src/data/table.js';
import { ModelFormatError } from '../../src/errors.js';
import { decodeModelFile, encodeModelFile, loadModelFile, readModelMetadata } from '../../src/io/model-file.js';
import { decodeSafetensors, encodeSafetensors } from '../../src/io/safetensors.js';
import { buildModel } from '../../src/nn/spec.js';
import { zeros } from '../../src/tensor/creation.js';
import { Generator } from '../../src/tensor/random.js';
import type { Tensor } from '../../src/tensor/tensor.js';

const dir = mkdtempSync(join(tmpdir(), 'kiln-model-errors-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const concat = (chunks: Uint8Array[]): Uint8Array => new Uint8Array(Buffer.concat(chunks));

/** A small image classifier with normalization. */
const imageModel = concat(encodeModelFile({
  model: buildModel({
    input: [1, 8, 8],
    layers: [{ type: 'conv2d', out: 4, kernel: 3 }, { type: 'relu' }, { type: 'maxPool2d', kernel: 2 }, { type: 'flatten' }, { type: 'linear', out: 3 }],
  }, { seed: 1 }),
  task: 'classification', labels: ['a', 'b', 'c'],
  input: { kind: 'image', channels: 1, size: [8, 8], fit: 'cover', normalize: { type: 'ImageNormalizer', mean: [0.5], std: [0.25] } },
  metrics: { accuracy: 0.5 }, provenance: { seed: 1, dataHash: '0'.repeat(64), epochs: 2 },
}));

/** A tabular classifier with a fitted pipeline. */
const tabularModel = (() => {
  const table = Table.fromRecords([{ x: 1, c: 'u', y: 'p' }, { x: 2, c: 'v', y: 'q' }, { x: null, c: 'u', y: 'p' }], { target: 'y' });
  const pipeline = new Pipeline().fit(table);
  return concat(encodeModelFile({
    model: buildModel({ input: [pipeline.featureNames().length], layers: [{ type: 'linear', out: 6 }, { type: 'relu' }, { type: 'linear', out: 2 }] }, { seed: 2 }),
    task: 'classification', labels: new LabelEncoder().fit(['p', 'q']).classes, input: { kind: 'tabular', pipeline: pipeline.toJSON() },
  }));
})();

type Json = Record<string, unknown>;

/** The model file with its Kiln metadata (and optionally its tensors) edited. */
function rewrite(bytes: Uint8Array, edit: (meta: Json) => void, editTensors?: (tensors: Record<string, Tensor>) => void): Uint8Array {
  const { tensors, metadata } = decodeSafetensors(bytes);
  const meta = JSON.parse(metadata.kiln!) as Json;
  edit(meta);
  editTensors?.(tensors);
  return concat(encodeSafetensors({ tensors, metadata: { kiln: JSON.stringify(meta) } }));
}

function headerLength(bytes: Uint8Array): number {
  return Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
}

/** Asserts that decoding fails with a ModelFormatError whose message matches. */
function refuses(bytes: Uint8Array, message: RegExp): void {
  assert.throws(() => decodeModelFile(bytes, 'model bad.kiln'), (error: Error) => {
    assert.ok(error instanceof ModelFormatError, `expected a ModelFormatError, got ${error.name}: ${error.message}`);
    assert.match(error.message, /^model bad\.kiln: /);
    assert.match(error.message, message);
    return true;
  });
}

describe('model file: corrupt and foreign files are refused with a ModelFormatError', () => {
  test('the good files load', () => {
    assert.equal(decodeModelFile(imageModel).metadata.labels!.length, 3);
    assert.equal(decodeModelFile(tabularModel).metadata.input.kind, 'tabular');
  });

  test('truncated at several points', () => {
    const length = headerLength(imageModel);
    for (const at of [0, 3, 7, 8, 9, 8 + Math.floor(length / 2), 8 + length, 8 + length + 1, imageModel.length - 4, imageModel.length - 1]) {
      refuses(imageModel.subarray(0, at), /too short|truncated|past the end|cover/);
    }
  });

  test('a huge header length', () => {
    const bytes = imageModel.slice();
    new DataView(bytes.buffer).setBigUint64(0, 2n ** 62n, true);
    refuses(bytes, /header length \d+ exceeds the 100000000-byte limit/);
  });

  test('a header that is not JSON', () => {
    const bytes = imageModel.slice();
    bytes.fill(0x41, 8, 8 + 20);
    refuses(bytes, /header is not valid UTF-8 JSON/);
  });

  test('a safetensors file without Kiln metadata, or with metadata that is not JSON', () => {
    const { tensors } = decodeSafetensors(imageModel);
    refuses(concat(encodeSafetensors({ tensors, metadata: {} })), /not a Kiln model: .*no "kiln" entry/);
    refuses(concat(encodeSafetensors({ tensors, metadata: { kiln: '{"format":' } })), /"kiln" metadata is not valid JSON/);
    refuses(concat(encodeSafetensors({ tensors, metadata: { kiln: '[1]' } })), /Kiln metadata must be a JSON object/);
  });

  test('a training checkpoint, another format, an unknown version', () => {
    refuses(rewrite(imageModel, (m) => void (m.format = 'kiln-checkpoint')), /training checkpoint, not a model file/);
    refuses(rewrite(imageModel, (m) => void (m.format = 'onnx')), /not a Kiln model: metadata "format" is "onnx"/);
    refuses(rewrite(imageModel, (m) => void (m.version = 99)), /model format version 99 is not supported; Kiln .* reads version 1/);
  });

  test('an architecture that does not build', () => {
    const layers = (m: Json): Json[] => (m.architecture as { layers: Json[] }).layers;
    refuses(rewrite(imageModel, (m) => void (layers(m)[1] = { type: 'swish' })), /architecture does not describe a buildable model: layers\[1\]: unknown layer type "swish"/);
    refuses(rewrite(imageModel, (m) => void (layers(m)[2] = { type: 'maxPool2d', kernel: 20 })), /architecture does not describe a buildable model: layers\[2\]/);
    refuses(rewrite(imageModel, (m) => void (m.architecture = { input: [1, 8, 8] })), /architecture.layers must be a list/);
    refuses(rewrite(imageModel, (m) => void ((m.architecture as Json).input = [0, 8])), /architecture.input must be the shape of one sample/);
    refuses(rewrite(imageModel, (m) => void ((m.architecture as Json).input = [1e6, 1e6])), /more than 16777216 values per sample/);
  });

  test('weights that do not match the architecture', () => {
    refuses(rewrite(imageModel, () => undefined, (t) => void (t['4.weight'] = zeros([3, 37]))), /weights do not match the architecture: .*4\.weight: expected \[3, ?36\], got \[3, ?37\]/);
    refuses(rewrite(imageModel, () => undefined, (t) => void delete t['0.bias']), /weights do not match the architecture: missing keys: 0\.bias/);
    refuses(rewrite(imageModel, () => undefined, (t) => void (t['9.weight'] = zeros([2]))), /unexpected keys: 9\.weight/);
    refuses(rewrite(imageModel, () => undefined, (t) => void (t['4.bias'] = zeros([3], { dtype: 'int32' }))), /'4\.bias' is int32, the model's is float32/);
  });

  test('an architecture asking for far more weights than the file holds is refused before they are filled', () => {
    const started = Date.now();
    refuses(rewrite(tabularModel, (m) => void ((m.architecture as { layers: Json[] }).layers[0]!.out = 50_000_000)), /far more weights than the \d+ values stored in the file/);
    assert.ok(Date.now() - started < 2000, 'refused without initializing 150M weights');
    refuses(rewrite(imageModel, (m) => void ((m.architecture as { layers: Json[] }).layers[4]!.out = 1e12)), /architecture/);
  });

  test('a header claiming huge shapes is refused before anything is allocated', () => {
    const length = headerLength(imageModel);
    const header = JSON.parse(Buffer.from(imageModel.subarray(8, 8 + length)).toString('utf8')) as Record<string, { shape: number[]; data_offsets: number[] }>;
    const withEntry = (shape: number[], offsets: number[]): Uint8Array => {
      const json = Buffer.from(JSON.stringify({ ...header, '0.weight': { ...header['0.weight'], shape, data_offsets: offsets } }));
      const prefix = Buffer.alloc(8);
      prefix.writeBigUInt64LE(BigInt(json.length));
      return new Uint8Array(Buffer.concat([prefix, json, imageModel.subarray(8 + length)]));
    };
    const [begin] = header['0.weight']!.data_offsets as [number, number];
    refuses(withEntry([1e12], [begin, begin + 4e12]), /ends at byte \d+, past the \d+-byte data section/);
    refuses(withEntry([1e12], header['0.weight']!.data_offsets), /needs 4000000000000 bytes but its offsets span 144/);
    refuses(withEntry([2 ** 53 - 1, 2 ** 53 - 1], header['0.weight']!.data_offsets), /needs .* bytes but its offsets span 144/);
    refuses(withEntry([4, -1, 3, 3], header['0.weight']!.data_offsets), /invalid shape/);
  });

  test('a dtype Kiln does not know', () => {
    const bytes = imageModel.slice();
    const header = Buffer.from(bytes.subarray(8, 8 + headerLength(bytes)));
    const at = header.indexOf('"F32"');
    header.write('"BF6"', at);
    bytes.set(header, 8);
    refuses(bytes, /dtype "BF6"; Kiln reads F32, F64, I32, I8, U8/);
  });

  test('metadata fields of the wrong type', () => {
    const cases: [(m: Json) => void, RegExp][] = [
      [(m) => void (m.task = 3), /task must be "classification" or "regression", found 3/],
      [(m) => void (m.labels = ['a', 'b']), /2 labels for a model with 3 output\(s\); expected 3/],
      [(m) => void (m.labels = ['a', 'b', 7]), /labels must be a list of class names or null/],
      [(m) => void (m.labels = 'abc'), /labels must be a list of class names or null/],
      [(m) => void delete m.labels, /labels must be a list of class names or null, found undefined/],
      [(m) => void (m.input = { kind: 'image', channels: 2, size: [8, 8], fit: 'cover' }), /input.channels must be 1 or 3, found 2/],
      [(m) => void (m.input = { kind: 'image', channels: 1, size: [8], fit: 'cover' }), /input.size must be \[height, width\]/],
      [(m) => void (m.input = { kind: 'image', channels: 1, size: [8, 8], fit: 'stretch' }), /input.fit must be one of cover, contain, fill/],
      [(m) => void (m.input = { kind: 'image', channels: 1, size: [9, 8], fit: 'cover' }), /gives samples of shape \[1, ?9, ?8\] but the architecture takes \[1, ?8, ?8\]/],
      [(m) => void ((m.input as Json).normalize = { mean: [0.5, 0.5], std: [1, 1] }), /statistics for 2 channel\(s\), the images have 1/],
      [(m) => void ((m.input as Json).normalize = { mean: 'x' }), /input.normalize: /],
      [(m) => void (m.input = { kind: 'tabular', pipeline: { type: 'Pipeline', version: 2 } }), /input.pipeline: Pipeline: format version 2/],
      [(m) => void (m.input = { kind: 'tensor', shape: [1, 8] }), /gives samples of shape \[1, ?8\] but the architecture takes/],
      [(m) => void (m.input = null), /input must be a JSON object, found null/],
      [(m) => void (m.metrics = { accuracy: 'high' }), /metrics.accuracy must be a finite number/],
      [(m) => void (m.metrics = []), /metrics must be a JSON object/],
      [(m) => void (m.provenance = { kiln: '0.1.0', created: 'yesterday', seed: null, dataHash: null }), /provenance.created must be an ISO 8601 date/],
      [(m) => void ((m.provenance as Json).seed = '1'), /provenance.seed must be a number or null/],
      [(m) => void ((m.provenance as Json).dataHash = 'XYZ'), /provenance.dataHash must be a sha256/],
      [(m) => void ((m.provenance as Json).epochs = -1), /provenance.epochs must be a whole number/],
      [(m) => void (m.quantization = { scheme: 'int8' }), /quantization.stages must be a list of stages/],
      [(m) => void (m.quantization = 'int8'), /quantization must be a JSON object/],
    ];
    for (const [edit, message] of cases) refuses(rewrite(imageModel, edit), message);
    refuses(rewrite(tabularModel, (m) => void ((m.input as { pipeline: Json }).pipeline.steps = [{ type: 'Eval', code: 'x' }])), /input.pipeline: /);
    refuses(rewrite(tabularModel, (m) => void (m.task = 'regression')), /labels must be null for a regression model/);
  });

  test('a tensor named __proto__ is refused, not silently dropped', () => {
    const bytes = Buffer.from(imageModel);
    const length = headerLength(bytes);
    const header = bytes.subarray(8, 8 + length).toString('utf8');
    const renamed = header.replace('"0.bias"', '"__proto__"');
    assert.equal(renamed.length, header.length + 3);
    const padded = Buffer.from(renamed.trimEnd().padEnd(Math.ceil((renamed.trimEnd().length + 8) / 8) * 8 - 8));
    const prefix = Buffer.alloc(8);
    prefix.writeBigUInt64LE(BigInt(padded.length));
    refuses(new Uint8Array(Buffer.concat([prefix, padded, bytes.subarray(8 + length)])), /__proto__/);
  });

  test('files on disk: loadModelFile and readModelMetadata refuse them with the path', async () => {
    const path = join(dir, 'checkpoint.kiln');
    writeFileSync(path, rewrite(imageModel, (m) => void (m.format = 'kiln-checkpoint')));
    for (const load of [loadModelFile, readModelMetadata]) {
      await assert.rejects(load(path), (e: Error) => e instanceof ModelFormatError && e.message.startsWith(`model ${path}: `) && /training checkpoint/.test(e.message));
    }
    const truncated = join(dir, 'truncated.kiln');
    writeFileSync(truncated, imageModel.subarray(0, 100));
    for (const load of [loadModelFile, readModelMetadata]) {
      await assert.rejects(load(truncated), (e: Error) => e instanceof ModelFormatError && /truncated/.test(e.message));
    }
    const tiny = join(dir, 'tiny.kiln');
    writeFileSync(tiny, imageModel.subarray(0, 5));
    await assert.rejects(readModelMetadata(tiny), (e: Error) => e instanceof ModelFormatError && /too short/.test(e.message));
    const huge = join(dir, 'huge.kiln');
    const bytes = imageModel.slice();
    new DataView(bytes.buffer).setBigUint64(0, 2n ** 40n, true);
    writeFileSync(huge, bytes);
    await assert.rejects(readModelMetadata(huge), (e: Error) => e instanceof ModelFormatError && /exceeds/.test(e.message));
  });
});

describe('model file: fuzzing', () => {
  const generator = new Generator(2024);
  const randomInt = (n: number): number => Math.floor(generator.nextDouble() * n);

  /** A random corruption of a model file and what it was. */
  function corrupt(source: Uint8Array, other: Uint8Array): { bytes: Uint8Array; what: string } {
    const bytes = source.slice();
    const length = headerLength(bytes);
    const header = Buffer.from(bytes.subarray(8, 8 + length)).toString('latin1');
    const metaStart = header.indexOf('"kiln":"') + 8;
    const metaEnd = header.indexOf('"}', metaStart);
    switch (randomInt(7)) {
      case 0: {
        const count = 1 + randomInt(4);
        for (let i = 0; i < count; i++) bytes[8 + randomInt(length)]! ^= 1 + randomInt(255);
        return { bytes, what: `${count} byte(s) flipped in the header` };
      }
      case 1: {
        const at = 8 + metaStart + randomInt(metaEnd - metaStart);
        bytes[at]! ^= 1 + randomInt(255);
        return { bytes, what: `byte ${at} flipped in the metadata JSON` };
      }
      case 2: {
        // A printable character keeps the header valid JSON more often, so the validation behind it runs.
        const at = 8 + metaStart + randomInt(metaEnd - metaStart);
        bytes[at] = '0123456789e-[]{},.:'.charCodeAt(randomInt(19));
        return { bytes, what: `byte ${at} replaced in the metadata JSON` };
      }
      case 3: {
        const at = randomInt(bytes.length);
        return { bytes: bytes.subarray(0, at), what: `truncated at ${at}` };
      }
      case 4: {
        const at = randomInt(bytes.length);
        const from = randomInt(other.length);
        return { bytes: concat([bytes.subarray(0, at), other.subarray(from)]), what: `spliced at ${at} with the other file from ${from}` };
      }
      case 5: {
        const from = randomInt(bytes.length);
        const size = 1 + randomInt(64);
        const to = randomInt(bytes.length);
        bytes.copyWithin(to, from, from + size);
        return { bytes, what: `${size} bytes copied from ${from} to ${to}` };
      }
      default: {
        const view = new DataView(bytes.buffer);
        const value = [BigInt(randomInt(2 ** 31)), 2n ** 64n - 1n, BigInt(length + randomInt(16) - 8)][randomInt(3)]!;
        view.setBigUint64(0, value, true);
        return { bytes, what: `header length set to ${value}` };
      }
    }
  }

  test('hundreds of corrupted files each load cleanly or fail with a ModelFormatError, never anything else', () => {
    let refused = 0;
    const total = 600;
    for (let i = 0; i < total; i++) {
      const [source, other] = i % 2 === 0 ? [imageModel, tabularModel] : [tabularModel, imageModel];
      const { bytes, what } = corrupt(source, other);
      try {
        decodeModelFile(bytes);
      } catch (error) {
        assert.ok(error instanceof ModelFormatError, `case ${i} (${what}): ${(error as Error).name}: ${(error as Error).message}`);
        refused++;
      }
    }
    assert.ok(refused > total * 0.8, `only ${refused} of ${total} corruptions were refused`);
  });

  test('structure-aware fuzzing: any metadata field set to an odd value is loaded or refused with a ModelFormatError', () => {
    const odd: unknown[] = [null, -1, 0, 0.5, 3, 1e9, 1e300, 2 ** 53, 'x', '', true, [], [1, 2], {}, { type: 'linear' }];
    const paths = (value: unknown, prefix: (string | number)[] = []): (string | number)[][] => {
      if (typeof value !== 'object' || value === null) return [prefix];
      const entries = Array.isArray(value) ? value.map((v, i) => [i, v] as const) : Object.entries(value);
      return [prefix, ...entries.flatMap(([k, v]) => paths(v, [...prefix, k]))];
    };
    for (const source of [imageModel, tabularModel]) {
      const meta = JSON.parse(decodeSafetensors(source).metadata.kiln!) as Json;
      const all = paths(meta).filter((p) => p.length > 0);
      for (let i = 0; i < 150; i++) {
        const path = all[randomInt(all.length)]!;
        const value = odd[randomInt(odd.length)];
        const bytes = rewrite(source, (m) => {
          let target = m as Record<string | number, unknown>;
          for (const key of path.slice(0, -1)) target = target[key] as Record<string | number, unknown>;
          target[path.at(-1)!] = value;
        });
        try {
          decodeModelFile(bytes);
        } catch (error) {
          assert.ok(error instanceof ModelFormatError, `${path.join('.')} = ${JSON.stringify(value)}: ${(error as Error).name}: ${(error as Error).message}`);
        }
      }
    }
  });
});
