import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { bake } from '../../src/compress/prune/masks.js';
import { pruneMagnitude } from '../../src/compress/prune/prune.js';
import { ModelFormatError } from '../../src/errors.js';
import { decodeModelFile, encodeModelFile, type ModelFileContent } from '../../src/io/model-file.js';
import { decodeSafetensors, encodeSafetensors } from '../../src/io/safetensors.js';
import { buildModel, type SpecModel } from '../../src/nn/spec.js';
import { noGrad } from '../../src/autograd/grad-mode.js';
import { randn } from '../../src/tensor/creation.js';
import { Generator } from '../../src/tensor/random.js';
import { Tensor } from '../../src/tensor/tensor.js';

const concat = (chunks: Uint8Array[]): Uint8Array => new Uint8Array(Buffer.concat(chunks));

/** A classifier dominated by one 512×256 Linear, pruned to 75 % and baked. */
function prunedContent(): ModelFileContent {
  const model = buildModel({ input: [512], layers: [{ type: 'linear', out: 256 }, { type: 'relu' }, { type: 'linear', out: 10 }] }, { seed: 4 });
  pruneMagnitude(model, { sparsity: 0.75 });
  bake(model);
  // A negative zero must come back as one: the encoding drops only +0.
  model.parameters()[0]!.data[1] = -0;
  return { model, task: 'classification', labels: null, input: { kind: 'tensor', shape: [512] } };
}

const content = prunedContent();
const dense = concat(encodeModelFile(content));
const sparse = concat(encodeModelFile({ ...content, sparse: true }));

type Json = Record<string, unknown>;

/** The sparse file with its metadata and tensors edited. */
function rewrite(edit: (meta: Json, tensors: Record<string, Tensor>) => void): Uint8Array {
  const { tensors, metadata } = decodeSafetensors(sparse);
  const meta = JSON.parse(metadata.kiln!) as Json;
  edit(meta, tensors);
  return concat(encodeSafetensors({ tensors, metadata: { kiln: JSON.stringify(meta) } }));
}

function refuses(bytes: Uint8Array, message: RegExp): void {
  assert.throws(() => decodeModelFile(bytes, 'model pruned.kiln'), (error: Error) => {
    assert.ok(error instanceof ModelFormatError, `${error.name}: ${error.message}`);
    assert.match(error.message, /^model pruned\.kiln: /);
    assert.match(error.message, message);
    return true;
  });
}

describe('model file: sparse weights', () => {
  test('a 75 % sparse model is stored at least 3× smaller', () => {
    assert.ok(dense.length / sparse.length >= 3, `dense ${dense.length} B, sparse ${sparse.length} B: ratio ${(dense.length / sparse.length).toFixed(2)}`);
    const { tensors, metadata } = decodeSafetensors(sparse);
    const meta = JSON.parse(metadata.kiln!) as Json;
    assert.deepEqual(meta.sparse, ['0.weight', '2.weight']);
    assert.deepEqual(Object.keys(tensors).sort(), ['0.bias', '0.weight.__mask', '0.weight.__values', '2.bias', '2.weight.__mask', '2.weight.__values']);
    assert.deepEqual(tensors['0.weight.__mask']!.shape, [512 * 256 / 8]);
    assert.equal(tensors['0.weight.__mask']!.dtype, 'uint8');
    // 25 % kept, plus the -0 written over a pruned value.
    assert.ok(Math.abs(tensors['0.weight.__values']!.size - 0.25 * 512 * 256) <= 1);
  });

  test('reloading restores every weight bit for bit and predicts exactly as before saving', () => {
    const loaded = decodeModelFile(sparse).model as SpecModel;
    for (const [name, t] of Object.entries((content.model as SpecModel).stateDict())) {
      const a = new Uint8Array(t.contiguousData().buffer.slice(0));
      const b = new Uint8Array(loaded.stateDict()[name]!.contiguousData().buffer.slice(0));
      assert.deepEqual(b, a, name);
    }
    assert.ok(Object.is(loaded.parameters()[0]!.data[1], -0));
    const x = randn([8, 512], { generator: new Generator(9) });
    content.model.eval();
    const before = noGrad(() => content.model.forward(x)).contiguousData();
    const after = noGrad(() => loaded.forward(x)).contiguousData();
    assert.deepEqual(after, before);
  });

  test('saving without sparse, or a model without zeros, writes the plain layout', () => {
    const plain = JSON.parse(decodeSafetensors(dense).metadata.kiln!) as Json;
    assert.equal('sparse' in plain, false);
    const model = buildModel({ input: [4], layers: [{ type: 'linear', out: 3 }] }, { seed: 1 });
    const bytes = concat(encodeModelFile({ model, task: 'regression', labels: null, input: { kind: 'tensor', shape: [4] }, sparse: true }));
    const { tensors, metadata } = decodeSafetensors(bytes);
    assert.equal('sparse' in (JSON.parse(metadata.kiln!) as Json), false);
    assert.deepEqual(Object.keys(tensors).sort(), ['0.bias', '0.weight']);
  });

  test('corrupt sparse tensors are refused with a ModelFormatError naming the weight', () => {
    refuses(rewrite((_, t) => { t['0.weight.__mask'] = new Tensor(new Float32Array(16384), [16384]); }), /sparse weight '0\.weight': its mask must be U8 of shape \[16384\]/);
    refuses(rewrite((_, t) => { t['0.weight.__mask'] = new Tensor(new Uint8Array(100), [100]); }), /its mask must be U8 of shape \[16384\] for 131072 values/);
    refuses(rewrite((_, t) => { t['0.weight.__values'] = new Tensor(new Float32Array(7), [7]); }), /its values must be F32 of shape \[\d+\] \(the bits set in its mask\), found float32 \[7\]/);
    refuses(rewrite((_, t) => { (t['0.weight.__mask']!.data as Uint8Array)[0] ^= 0xff; }), /its values must be F32 of shape/);
    refuses(rewrite((_, t) => { delete t['2.weight.__values']; }), /sparse weight '2\.weight' needs the tensors '2\.weight\.__mask' and '2\.weight\.__values'/);
    refuses(rewrite((meta) => { meta.sparse = ['0.weight', '2.weight', '9.weight']; }), /sparse weight '9\.weight' is not a weight of the architecture/);
    refuses(rewrite((_, t) => { t['0.weight'] = new Tensor(new Float32Array(512 * 256), [256, 512]); }), /sparse weight '0\.weight' is stored both dense and sparse/);
    refuses(rewrite((meta) => { meta.sparse = ['0.weight', '0.weight']; }), /sparse must not repeat a weight name/);
    refuses(rewrite((meta) => { meta.sparse = '0.weight'; }), /sparse must be a non-empty list of weight names/);
    refuses(rewrite((meta) => { meta.sparse = []; }), /sparse must be a non-empty list/);
    refuses(rewrite((meta) => { delete meta.sparse; }), /unexpected keys: .*0\.weight\.__mask/);
  });

  test('mask bits beyond the weight are refused', () => {
    const model = buildModel({ input: [3], layers: [{ type: 'linear', out: 3, bias: false }] }, { seed: 2 });
    model.parameters()[0]!.data.fill(0);
    model.parameters()[0]!.data[4] = 1;
    const bytes = concat(encodeModelFile({ model, task: 'regression', labels: null, input: { kind: 'tensor', shape: [3] }, sparse: true }));
    assert.equal((decodeModelFile(bytes).model as SpecModel).parameters()[0]!.data[4], 1);
    const { tensors, metadata } = decodeSafetensors(bytes);
    (tensors['0.weight.__mask']!.data as Uint8Array)[1] |= 0x80;
    tensors['0.weight.__values'] = new Tensor(new Float32Array([1, 2]), [2]);
    const corrupt = concat(encodeSafetensors({ tensors, metadata }));
    refuses(corrupt, /its mask sets bits beyond the 9 values/);
  });

  test('hundreds of random corruptions of a sparse file each load or fail with a ModelFormatError', () => {
    const generator = new Generator(77);
    const randomInt = (n: number): number => Math.floor(generator.nextDouble() * n);
    let refused = 0;
    for (let i = 0; i < 300; i++) {
      const bytes = sparse.slice();
      const kind = i % 3;
      if (kind === 0) for (let k = 0; k < 1 + randomInt(4); k++) bytes[randomInt(bytes.length)]! ^= 1 + randomInt(255);
      const length = Number(new DataView(bytes.buffer).getBigUint64(0, true));
      // Header bytes: names, offsets, the sparse list.
      if (kind === 1) bytes[8 + randomInt(length)] = '0123456789_.e-[]{},:"'.charCodeAt(randomInt(21));
      const input = kind === 2 ? bytes.subarray(0, randomInt(bytes.length)) : bytes;
      try {
        decodeModelFile(input);
      } catch (error) {
        assert.ok(error instanceof ModelFormatError, `case ${i}: ${(error as Error).name}: ${(error as Error).message}`);
        refused++;
      }
    }
    assert.ok(refused > 100, `only ${refused} of 300 corruptions were refused`);
  });
});
