import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { DataError } from '../../src/index.js';
import { loadIdxPair, parseIdx, readIdx } from '../../src/data/idx.js';

/** Encodes an IDX file: magic 00 00 type ndim, big-endian u32 dims, then big-endian elements. */
function encodeIdx(typeCode: number, dims: number[], values: number[]): Uint8Array {
  const size = ({ 0x08: 1, 0x09: 1, 0x0b: 2, 0x0c: 4, 0x0d: 4, 0x0e: 8 } as Record<number, number>)[typeCode]!;
  const header = 4 + 4 * dims.length;
  const view = new DataView(new ArrayBuffer(header + values.length * size));
  view.setUint8(2, typeCode);
  view.setUint8(3, dims.length);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  values.forEach((v, i) => {
    const o = header + i * size;
    if (typeCode === 0x08) view.setUint8(o, v);
    else if (typeCode === 0x09) view.setInt8(o, v);
    else if (typeCode === 0x0b) view.setInt16(o, v, false);
    else if (typeCode === 0x0c) view.setInt32(o, v, false);
    else if (typeCode === 0x0d) view.setFloat32(o, v, false);
    else view.setFloat64(o, v, false);
  });
  return new Uint8Array(view.buffer);
}

describe('parseIdx', () => {
  test('reads u8 images with their shape, as MNIST stores them', () => {
    const t = parseIdx(encodeIdx(0x08, [2, 2, 3], [0, 1, 2, 3, 4, 5, 250, 251, 252, 253, 254, 255]));
    assert.equal(t.dtype, 'uint8');
    assert.deepEqual(t.shape, [2, 2, 3]);
    assert.deepEqual(Array.from(t.toTypedArray()), [0, 1, 2, 3, 4, 5, 250, 251, 252, 253, 254, 255]);
  });

  test('reads every supported type code big-endian into the matching dtype', () => {
    const cases: [number, string, number[]][] = [
      [0x09, 'int8', [-128, -1, 0, 127]],
      [0x0b, 'int32', [-32768, -300, 258, 32767]],
      [0x0c, 'int32', [-2147483648, -2, 65536, 2147483647]],
      [0x0d, 'float32', [1.5, -0.25, 3e-5, 65504]],
      [0x0e, 'float64', [-0.1, 1e300, Math.PI, -0]],
    ];
    for (const [code, dtype, values] of cases) {
      const t = parseIdx(encodeIdx(code, [4], values));
      assert.equal(t.dtype, dtype, `type 0x${code.toString(16)}`);
      const expected = dtype === 'float32' ? Array.from(Float32Array.from(values)) : values;
      assert.deepEqual(Array.from(t.toTypedArray()), expected, `type 0x${code.toString(16)}`);
    }
  });

  test('gzip is detected from the magic bytes and decompressed transparently', () => {
    const raw = encodeIdx(0x08, [3], [7, 8, 9]);
    assert.deepEqual(Array.from(parseIdx(gzipSync(raw)).toTypedArray()), [7, 8, 9]);
  });

  test("the tensor owns its data: changing the caller's buffer afterwards does not change it", () => {
    const raw = encodeIdx(0x08, [3], [7, 8, 9]);
    const fromGzip = parseIdx(gzipSync(raw));
    const t = parseIdx(raw);
    raw.fill(0);
    assert.deepEqual(Array.from(t.toTypedArray()), [7, 8, 9]);
    assert.ok(!Buffer.isBuffer(fromGzip.data), 'a plain typed array, not a Node Buffer');
  });

  test('a bad magic number is a DataError naming the source and the bytes found', () => {
    const bad = encodeIdx(0x08, [1], [0]);
    bad[0] = 0x50;
    assert.throws(() => parseIdx(bad, 'weights.bin'), (e: Error) => {
      assert.ok(e instanceof DataError);
      assert.match(e.message, /weights\.bin: not an IDX file/);
      assert.match(e.message, /found 50 00 08 01/);
      return true;
    });
  });

  test('an unknown type code is a DataError listing the known ones', () => {
    const bad = encodeIdx(0x08, [1], [0]);
    bad[2] = 0x0a;
    assert.throws(() => parseIdx(bad, 'x.idx'), /x\.idx: unknown IDX type code 0x0a; known codes: 0x08 u8/);
  });

  test('truncated data is a DataError with the expected and found byte counts', () => {
    const full = encodeIdx(0x08, [10, 28, 28], new Array(7840).fill(1));
    assert.throws(() => parseIdx(full.subarray(0, 5000), 'images.idx'), (e: Error) => {
      assert.ok(e instanceof DataError);
      assert.match(e.message, /images\.idx: IDX data truncated: shape \[10,28,28\] of u8 needs 7856 bytes/);
      assert.match(e.message, /found 5000/);
      return true;
    });
  });

  test('a truncated header and trailing bytes are DataErrors too', () => {
    const full = encodeIdx(0x0c, [2, 2], [1, 2, 3, 4]);
    assert.throws(() => parseIdx(full.subarray(0, 2)), /truncated IDX header: expected at least 4 bytes, found 2/);
    assert.throws(() => parseIdx(full.subarray(0, 9)), /truncated IDX header: 2 dimensions need 12 header bytes, found 9/);
    const longer = new Uint8Array(full.length + 3);
    longer.set(full);
    assert.throws(() => parseIdx(longer), /has trailing bytes: .* needs 28 bytes .* found 31/);
  });

  test('a damaged gzip stream is a DataError', () => {
    const gz = gzipSync(encodeIdx(0x08, [100], new Array(100).fill(3)));
    assert.throws(() => parseIdx(gz.subarray(0, gz.length - 10), 'labels.gz'), (e: Error) => {
      assert.ok(e instanceof DataError);
      assert.match(e.message, /labels\.gz: cannot decompress the gzip data/);
      return true;
    });
  });
});

describe('readIdx and loadIdxPair', () => {
  let dir = '';
  const file = (name: string, bytes: Uint8Array): string => {
    const path = join(dir, name);
    writeFileSync(path, bytes);
    return path;
  };
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'kiln-idx-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('readIdx reads plain and gzipped files, and names the file in errors', () => {
    const raw = encodeIdx(0x08, [2, 2], [1, 2, 3, 4]);
    assert.deepEqual(readIdx(file('a.idx', raw)).toArray(), [[1, 2], [3, 4]]);
    assert.deepEqual(readIdx(file('a.idx.gz', gzipSync(raw))).toArray(), [[1, 2], [3, 4]]);
    const truncated = file('short.idx', raw.subarray(0, 10));
    assert.throws(() => readIdx(truncated), (e: Error) => e instanceof DataError && e.message.startsWith(truncated));
    const missing = join(dir, 'missing.idx');
    assert.throws(() => readIdx(missing), (e: Error) => e instanceof DataError && e.message.includes(missing));
  });

  test('loadIdxPair returns images and labels that belong together', () => {
    const images = file('img.gz', gzipSync(encodeIdx(0x08, [3, 2, 2], new Array(12).fill(5))));
    const labels = file('lab.gz', gzipSync(encodeIdx(0x08, [3], [0, 1, 2])));
    const pair = loadIdxPair(images, labels);
    assert.deepEqual(pair.images.shape, [3, 2, 2]);
    assert.deepEqual(Array.from(pair.labels.toTypedArray()), [0, 1, 2]);
  });

  test('a label count different from the image count is a DataError naming both files and counts', () => {
    const images = file('img3.idx', encodeIdx(0x08, [3, 2, 2], new Array(12).fill(5)));
    const labels = file('lab4.idx', encodeIdx(0x08, [4], [0, 1, 2, 3]));
    assert.throws(() => loadIdxPair(images, labels), (e: Error) => {
      assert.ok(e instanceof DataError);
      assert.ok(e.message.includes(`${labels} holds 4 labels`), e.message);
      assert.ok(e.message.includes(`${images} holds 3 images`), e.message);
      return true;
    });
  });

  test('labels that are not one-dimensional are a DataError', () => {
    const images = file('img2.idx', encodeIdx(0x08, [2, 1], [1, 2]));
    const labels = file('lab2x1.idx', encodeIdx(0x08, [2, 1], [0, 1]));
    assert.throws(() => loadIdxPair(images, labels), /labels must be one-dimensional, found shape \[2,1\]/);
  });
});
