import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { ArgumentError, DataError, ShapeError } from '../../../src/errors.js';
import { ImageNormalizer } from '../../../src/data/preprocessing/image-normalizer.js';
import { ImageResize } from '../../../src/data/preprocessing/image-resize.js';
import { Tensor } from '../../../src/tensor/tensor.js';
import { viaText } from './helpers.js';

// Two 2-channel 1×2 images: channel 0 holds 0, 1, 2, 3; channel 1 holds 5 everywhere.
const images = new Tensor(Float32Array.from([0, 1, 5, 5, 2, 3, 5, 5]), [2, 2, 1, 2]);

describe('ImageNormalizer', () => {
  test('fits per-channel mean and std over every pixel of every image', () => {
    const normalizer = new ImageNormalizer().fit(images);
    assert.deepEqual(normalizer.mean, [1.5, 5]);
    assert.deepEqual(normalizer.std, [Math.sqrt(1.25), 0]);
    const out = normalizer.transform(images);
    assert.equal(out.dtype, 'float32');
    assert.deepEqual(out.shape, [2, 2, 1, 2]);
    const s = Math.sqrt(1.25);
    // A channel with std 0 is only centred.
    assert.deepEqual(Array.from(out.toTypedArray()), [-1.5 / s, -0.5 / s, 0, 0, 0.5 / s, 1.5 / s, 0, 0].map(Math.fround));
  });

  test('given statistics are used as they are, on batches or single images', () => {
    const normalizer = new ImageNormalizer({ mean: [1, 2], std: [2, 4] });
    const one = new Tensor(Float32Array.from([3, 5, 6, 10]), [2, 1, 2]);
    assert.deepEqual(Array.from(normalizer.transform(one).toTypedArray()), [1, 2, 1, 2]);
    assert.throws(() => normalizer.fit(images), /already set/);
  });

  test('statistics come from the training images only and survive JSON', () => {
    const normalizer = new ImageNormalizer().fit(images);
    const other = new Tensor(Float32Array.from([10, 20, 30, 40]), [1, 2, 1, 2]);
    const out = normalizer.transform(other);
    assert.deepEqual(normalizer.mean, [1.5, 5]);
    const restored = ImageNormalizer.fromJSON(viaText(normalizer.toJSON()));
    assert.deepEqual(restored.transform(other).toTypedArray(), out.toTypedArray());
  });

  test('errors: wrong channels, wrong rank, integer pixels, half the statistics, bad JSON', () => {
    const normalizer = new ImageNormalizer({ mean: [0.5, 0.5, 0.5], std: [0.2, 0.2, 0.2] });
    assert.throws(() => normalizer.transform(images), (e: Error) => e instanceof ShapeError && /2 channels .* statistics are for 3/.test(e.message));
    assert.throws(() => normalizer.transform(new Tensor(new Float32Array(4), [2, 2])), /must be \[N, C, H, W\] or \[C, H, W\]/);
    assert.throws(() => new ImageNormalizer().fit(new Tensor(new Uint8Array(4), [1, 1, 2, 2])), /float32 or float64/);
    assert.throws(() => new ImageNormalizer({ mean: [0.5] }), ArgumentError);
    assert.throws(() => new ImageNormalizer().mean, /before fit/);
    assert.throws(() => ImageNormalizer.fromJSON({ type: 'ImageNormalizer', mean: [0], std: [-1] }), DataError);
  });
});

describe('ImageResize', () => {
  test('decodes to [C, H, W] in [0, 1], channel-major', async () => {
    // 2 × 2 RGBA: red, green / blue, white; alpha is dropped.
    const raw = Buffer.from([255, 0, 0, 255, 0, 255, 0, 128, 0, 0, 255, 255, 255, 255, 255, 0]);
    const png = await sharp(raw, { raw: { width: 2, height: 2, channels: 4 } }).png().toBuffer();
    const t = await new ImageResize({ size: [2, 2], fit: 'fill' }).decode(png);
    assert.deepEqual(t.shape, [3, 2, 2]);
    assert.deepEqual(Array.from(t.toTypedArray()), [1, 0, 0, 1, 0, 1, 0, 1, 0, 0, 1, 1]);
    const gray = await new ImageResize({ size: [2, 2], channels: 1 }).decode(png);
    assert.deepEqual(gray.shape, [1, 2, 2]);
    assert.equal(gray.toTypedArray()[3], 1);
  });

  test('a corrupt image rejects', async () => {
    await assert.rejects(new ImageResize({ size: [2, 2] }).decode(Buffer.from('not an image')), /unsupported image format/);
  });

  test('parameters validate and round-trip through JSON', () => {
    const resize = new ImageResize({ size: [32, 48], channels: 1, fit: 'contain' });
    assert.equal(resize.imageSize, 32 * 48);
    assert.deepEqual(ImageResize.fromJSON(viaText(resize.toJSON())), resize);
    assert.throws(() => new ImageResize({ size: [2.5, 4] }), /whole pixels/);
    assert.throws(() => new ImageResize({ size: [2, 2], fit: 'inside' as never }), /fit must be one of cover, contain, fill/);
    assert.throws(() => ImageResize.fromJSON({ type: 'ImageResize', size: [0, 2], channels: 3, fit: 'cover' }), DataError);
    assert.throws(() => ImageResize.fromJSON({ type: 'ImageResize', size: [2, 2], channels: 4, fit: 'cover' }), /'channels' must be 1 or 3/);
  });
});
