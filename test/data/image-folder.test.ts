import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import sharp from 'sharp';
import { ArgumentError, DataError } from '../../src/errors.js';
import { listImageFolder, loadImageFolder } from '../../src/data/image-folder.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));

/** A width × height RGB image, left half `left`, right half `right`. */
async function halves(width: number, height: number, left: number[], right: number[], format: 'png' | 'jpeg' | 'webp'): Promise<Buffer> {
  const raw = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) raw.set(x < width / 2 ? left : right, (y * width + x) * 3);
  }
  const image = sharp(raw, { raw: { width, height, channels: 3 } });
  return format === 'png' ? image.png().toBuffer() : format === 'jpeg' ? image.jpeg({ quality: 100 }).toBuffer() : image.webp({ lossless: true }).toBuffer();
}

const RED = [255, 0, 0];
const BLUE = [0, 0, 255];
const WHITE = [255, 255, 255];

let root: string;
before(async () => {
  root = mkdtempSync(join(tmpdir(), 'kiln-images-'));
  mkdirSync(join(root, 'dog'));
  mkdirSync(join(root, 'cat'));
  mkdirSync(join(root, '.cache'));
  writeFileSync(join(root, 'cat', 'a.png'), await halves(40, 20, RED, BLUE, 'png'));
  writeFileSync(join(root, 'cat', 'b.JPG'), await halves(40, 20, RED, BLUE, 'jpeg'));
  writeFileSync(join(root, 'cat', 'c.webp'), await halves(40, 20, WHITE, WHITE, 'webp'));
  writeFileSync(join(root, 'dog', 'd.png'), await halves(20, 40, BLUE, BLUE, 'png'));
  // Not images: random bytes, and a JPEG cut in half.
  writeFileSync(join(root, 'dog', 'broken.png'), Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 37 + 11) % 256)));
  const jpeg = await halves(40, 20, RED, BLUE, 'jpeg');
  writeFileSync(join(root, 'dog', 'truncated.jpg'), jpeg.subarray(0, jpeg.length >> 1));
  writeFileSync(join(root, 'dog', 'notes.txt'), 'not an image');
  writeFileSync(join(root, 'dog', '.DS_Store'), 'junk');
  writeFileSync(join(root, 'README.md'), 'root files are not classes');
});
after(() => rmSync(root, { recursive: true, force: true }));

/** Pixel (c, y, x) of image n of an [N, C, H, W] array. */
const pixel = (data: Float32Array | ArrayLike<number>, shape: readonly number[], n: number, c: number, y: number, x: number): number => {
  const [, C, H, W] = shape as [number, number, number, number];
  return data[((n * C + c) * H + y) * W + x]!;
};

describe('loadImageFolder', () => {
  test('loads every decodable image; corrupt ones are skipped, counted and named', async () => {
    const folder = await loadImageFolder(root, { size: [10, 10], channels: 3 });
    assert.deepEqual(folder.classNames, ['cat', 'dog']);
    assert.deepEqual(folder.images.shape, [4, 3, 10, 10]);
    assert.equal(folder.images.dtype, 'float32');
    assert.deepEqual(Array.from(folder.labels.toTypedArray()), [0, 0, 0, 1]);
    assert.equal(folder.labels.dtype, 'int32');
    assert.deepEqual(folder.files, ['cat/a.png', 'cat/b.JPG', 'cat/c.webp', 'dog/d.png'].map((f) => join(root, f)));
    assert.equal(folder.skipped.length, 2);
    assert.deepEqual(folder.skipped.map((s) => s.file), [join(root, 'dog', 'broken.png'), join(root, 'dog', 'truncated.jpg')]);
    for (const { reason } of folder.skipped) assert.ok(reason.length > 0);
    const data = folder.images.toTypedArray();
    assert.ok(data.every((v) => v >= 0 && v <= 1));
    // Image 3 (the dog) is all blue; image 2 all white.
    assert.deepEqual([0, 1, 2].map((c) => pixel(data, folder.images.shape, 3, c, 5, 5)), [0, 0, 1]);
    assert.deepEqual([0, 1, 2].map((c) => pixel(data, folder.images.shape, 2, c, 9, 0)), [1, 1, 1]);
    assert.deepEqual(folder.resize.toJSON(), { type: 'ImageResize', size: [10, 10], channels: 3, fit: 'cover' });
  });

  test("fit 'cover' crops the centre, 'contain' pads with black, 'fill' stretches", async () => {
    const at = async (fit: 'cover' | 'contain' | 'fill', y: number, x: number): Promise<number[]> => {
      const { images } = await loadImageFolder(root, { size: [10, 10], fit });
      const data = images.toTypedArray();
      return [0, 1, 2].map((c) => Math.round(pixel(data, images.shape, 0, c, y, x) * 10) / 10);
    };
    // a.png is 40 × 20, red left half, blue right half.
    assert.deepEqual(await at('cover', 0, 0), [1, 0, 0]);
    assert.deepEqual(await at('cover', 9, 9), [0, 0, 1]);
    assert.deepEqual(await at('contain', 0, 5), [0, 0, 0]);
    assert.deepEqual(await at('contain', 9, 5), [0, 0, 0]);
    assert.deepEqual(await at('contain', 5, 0), [1, 0, 0]);
    assert.deepEqual(await at('fill', 0, 0), [1, 0, 0]);
    assert.deepEqual(await at('fill', 9, 9), [0, 0, 1]);
  });

  test('channels: 1 gives grayscale [N, 1, H, W]', async () => {
    const { images } = await loadImageFolder(root, { size: [4, 6], channels: 1, fit: 'fill' });
    assert.deepEqual(images.shape, [4, 1, 4, 6]);
    assert.equal(pixel(images.toTypedArray(), images.shape, 2, 0, 1, 1), 1);
  });

  test('lists without decoding; ignores hidden entries, other extensions and root files', async () => {
    const listing = await listImageFolder(root);
    assert.deepEqual(listing.classNames, ['cat', 'dog']);
    assert.equal(listing.files.length, 6);
    assert.deepEqual(listing.ignored, [join(root, 'dog', 'notes.txt')]);
  });

  test('errors: a missing folder, no class folders, nothing decodable, bad options', async () => {
    await assert.rejects(loadImageFolder(join(root, 'nope'), { size: [4, 4] }), (e: Error) => e instanceof DataError && /cannot read the image folder/.test(e.message));
    await assert.rejects(loadImageFolder(join(root, '.cache'), { size: [4, 4] }), /no class folders found/);
    const bad = mkdtempSync(join(tmpdir(), 'kiln-bad-images-'));
    try {
      mkdirSync(join(bad, 'x'));
      writeFileSync(join(bad, 'x', 'one.png'), 'nope');
      await assert.rejects(loadImageFolder(bad, { size: [4, 4] }), /no images could be loaded; all 1 failed to decode \(first: .*one\.png/);
    } finally {
      rmSync(bad, { recursive: true, force: true });
    }
    await assert.rejects(loadImageFolder(root, { size: [0, 4] }), ArgumentError);
    await assert.rejects(loadImageFolder(root, { size: [4, 4], channels: 2 as never }), /channels must be 1 or 3/);
    await assert.rejects(loadImageFolder(root, { size: [4, 4], concurrency: 0 }), /concurrency/);
  });
});

describe('datasets/sneaker-vs-sandal', () => {
  test('holds 100 + 100 Fashion-MNIST images, pixel for pixel', async () => {
    const folder = await loadImageFolder(join(REPO, 'datasets/sneaker-vs-sandal'), { size: [28, 28], channels: 1 });
    assert.deepEqual(folder.classNames, ['sandal', 'sneaker']);
    assert.deepEqual(folder.images.shape, [200, 1, 28, 28]);
    assert.deepEqual(folder.skipped, []);
    const labels = Array.from(folder.labels.toTypedArray());
    assert.deepEqual([labels.filter((l) => l === 0).length, labels.filter((l) => l === 1).length], [100, 100]);
    // train-00006.png is image 6 of the Fashion-MNIST training set (bundled subset), a sneaker (label 7).
    const idx = gunzipSync(readFileSync(join(REPO, 'datasets/fashion-mnist/train-images-idx3-ubyte.gz')));
    const labelsIdx = gunzipSync(readFileSync(join(REPO, 'datasets/fashion-mnist/train-labels-idx1-ubyte.gz')));
    assert.equal(labelsIdx[8 + 6], 7);
    const n = folder.files.indexOf(join(REPO, 'datasets/sneaker-vs-sandal/sneaker/train-00006.png'));
    assert.equal(labels[n], 1);
    const expected = Array.from(idx.subarray(16 + 6 * 784, 16 + 7 * 784), (v) => Math.fround(v / 255));
    assert.deepEqual(Array.from(folder.images.toTypedArray().subarray(n * 784, (n + 1) * 784)), expected);
  });
});
