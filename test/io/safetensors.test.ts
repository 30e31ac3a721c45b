import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { Generator, ModelFormatError, arange, fromArray, randn } from '../../src/index.js';
import { writeFileAtomic } from '../../src/io/atomic-write.js';
import { decodeSafetensors, encodeSafetensors, loadSafetensors, saveSafetensors } from '../../src/io/safetensors.js';

const dir = mkdtempSync(join(tmpdir(), 'kiln-safetensors-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.length;
  }
  return out;
}

const content = {
  tensors: {
    'layer.weight': randn([3, 4], { generator: new Generator(1) }),
    'layer.bias': fromArray([1.5, -2], { dtype: 'float64' }),
    counts: arange(5),
    mask: fromArray([1, 0, 1], { dtype: 'uint8' }),
    offsets: fromArray([-3, 7], { dtype: 'int8' }),
    empty: randn([0, 3]),
    view: randn([4, 5], { generator: new Generator(2) }).transpose(),
  },
  metadata: { kiln: JSON.stringify({ hello: 'world' }), note: 'π ≈ 3.14' },
};

describe('safetensors', () => {
  test('round-trips every dtype, shapes (incl. empty), views and metadata exactly', async () => {
    const path = join(dir, 'model.safetensors');
    await saveSafetensors(path, content);
    const loaded = await loadSafetensors(path);
    assert.deepEqual(loaded.metadata, content.metadata);
    for (const [name, t] of Object.entries(content.tensors)) {
      const back = loaded.tensors[name]!;
      assert.equal(back.dtype, t.dtype, name);
      assert.deepEqual(back.shape, t.shape, name);
      assert.deepEqual(Array.from(back.toTypedArray()), Array.from(t.toTypedArray()), name);
    }
  });

  test('follows the format: little-endian header length, JSON header, 8-byte aligned data', () => {
    const bytes = concat(encodeSafetensors(content));
    const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    assert.equal((8 + headerLength) % 8, 0);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength))) as Record<string, { dtype: string; shape: number[]; data_offsets: number[] }>;
    assert.deepEqual(header['layer.bias'], { dtype: 'F64', shape: [2], data_offsets: header['layer.bias']!.data_offsets });
    assert.equal(header.mask!.dtype, 'U8');
    assert.equal(header.offsets!.dtype, 'I8');
    assert.equal(header.counts!.dtype, 'I32');
    assert.equal(header['layer.weight']!.dtype, 'F32');
  });

  test('a write is atomic: no temporary files are left and a failed write keeps the old file', async () => {
    const path = join(dir, 'atomic', 'm.safetensors');
    await saveSafetensors(path, content);
    assert.deepEqual(readdirSync(join(dir, 'atomic')), ['m.safetensors']);
    // A write that fails half way (the second chunk is not bytes) must leave the old file untouched.
    await assert.rejects(writeFileAtomic(path, [new Uint8Array([1, 2, 3]), 42 as unknown as Uint8Array]));
    assert.deepEqual(readdirSync(join(dir, 'atomic')), ['m.safetensors']);
    assert.equal(Object.keys((await loadSafetensors(path)).tensors).length, Object.keys(content.tensors).length);
  });

  test('clear errors for truncated, oversized-header, non-JSON, unknown dtype and out-of-bounds files', () => {
    const good = concat(encodeSafetensors(content));
    const expectError = (bytes: Uint8Array, pattern: RegExp) =>
      assert.throws(() => decodeSafetensors(bytes, 'm.kiln'), (e) => e instanceof ModelFormatError && e.message.startsWith('m.kiln: ') && pattern.test(e.message));
    expectError(good.subarray(0, 5), /too short/);
    expectError(good.subarray(0, good.length - 3), /truncated/);
    const huge = good.slice();
    new DataView(huge.buffer).setBigUint64(0, 1n << 40n, true);
    expectError(huge, /exceeds/);
    const notJson = good.slice();
    notJson[9] = 0x7b;
    notJson[8] = 0x5b;
    expectError(notJson, /not valid UTF-8 JSON|not a JSON object/);
    const header = (h: object) => {
      const json = new TextEncoder().encode(JSON.stringify(h));
      const out = new Uint8Array(8 + json.length + 4);
      new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
      out.set(json, 8);
      return out;
    };
    expectError(header({ x: { dtype: 'BF16', shape: [2], data_offsets: [0, 4] } }), /dtype "BF16"/);
    expectError(header({ x: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }), /past the 4-byte data section/);
    expectError(header({ x: { dtype: 'F32', shape: [2], data_offsets: [0, 4] } }), /needs 8 bytes/);
    expectError(header({ x: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }), /invalid shape/);
    expectError(header({ x: { dtype: 'U8', shape: [2], data_offsets: [0, 2] }, y: { dtype: 'U8', shape: [2], data_offsets: [1, 3] } }), /overlap or leave a gap/);
    expectError(header({ __metadata__: { a: 1 } }), /must be a string/);
  });

  test('fuzz: hundreds of random corruptions end in a ModelFormatError or a valid decode, never anything else', () => {
    const good = concat(encodeSafetensors(content));
    const generator = new Generator(7);
    for (let trial = 0; trial < 400; trial++) {
      const bytes = good.slice(0, trial % 5 === 0 ? generator.nextInt(0, good.length) : good.length);
      const flips = generator.nextInt(1, 8);
      for (let f = 0; f < flips && bytes.length > 0; f++) {
        // Aim most corruptions at the length prefix and header, where parsing decisions are made.
        const limit = Math.min(bytes.length, generator.nextDouble() < 0.8 ? 400 : bytes.length);
        bytes[generator.nextInt(0, limit)] = generator.nextInt(0, 256);
      }
      try {
        decodeSafetensors(bytes, 'fuzz');
      } catch (error) {
        assert.ok(error instanceof ModelFormatError, `trial ${trial}: ${String(error)}`);
      }
    }
  });

  test('a missing file is a ModelFormatError naming it', async () => {
    await assert.rejects(loadSafetensors(join(dir, 'nope.safetensors')), (e) => e instanceof ModelFormatError && /nope\.safetensors: cannot read/.test(e.message));
    writeFileSync(join(dir, 'empty'), '');
    await assert.rejects(loadSafetensors(join(dir, 'empty')), /too short/);
  });
});
