import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ArgumentError, DTypeError, Generator, ShapeError, Tensor, zeros } from '../../src/index.js';
import {
  affineTransform,
  colorJitter,
  composeAugmentations,
  randomAffine,
  randomCrop,
  pixelsToFloat,
  randomHorizontalFlip,
} from '../../src/data/augment.js';
import type { BatchTransform } from '../../src/data/data-loader.js';
import { assertClose } from '../helpers/arrays.js';

/** A random NCHW float32 batch with values in [0, 1). */
function images(shape: [number, number, number, number], seed = 0): Tensor {
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
  new Generator(seed).fillUniform(data);
  return new Tensor(data, shape);
}

/** Sample s, channel c as rows. */
function plane(t: Tensor, s: number, c: number): number[][] {
  const [, channels, h, w] = t.shape as [number, number, number, number];
  const data = t.toTypedArray();
  const start = (s * channels + c) * h * w;
  return Array.from({ length: h }, (_, y) => Array.from(data.subarray(start + y * w, start + (y + 1) * w)));
}

const values = (t: Tensor): number[] => Array.from(t.toTypedArray());

/** Every augmentation: same seed ⇒ same output, another seed ⇒ another, the input left untouched. */
function assertSeeded(augment: BatchTransform): void {
  const x = images([6, 2, 9, 9]);
  const before = values(x);
  const a = augment(x, new Generator(1));
  assert.deepEqual(values(augment(x, new Generator(1))), values(a));
  assert.notDeepEqual(values(augment(x, new Generator(2))), values(a));
  assert.deepEqual(values(x), before, 'the input is not modified');
  assert.deepEqual(a.shape, x.shape);
  assert.equal(a.dtype, x.dtype);
}

describe('randomHorizontalFlip', () => {
  test('mirrors the chosen samples; flipping twice with the same draws is the identity', () => {
    const x = images([40, 2, 3, 5]);
    const flip = randomHorizontalFlip({ p: 0.5 });
    const once = flip(x, new Generator(3));
    let flipped = 0;
    for (let s = 0; s < 40; s++) {
      const mirrored = plane(x, s, 0).map((row) => [...row].reverse());
      const isFlipped = JSON.stringify(plane(once, s, 0)) === JSON.stringify(mirrored);
      if (isFlipped) flipped++;
      else assert.deepEqual(plane(once, s, 0), plane(x, s, 0), `sample ${s} is either mirrored or unchanged`);
      const mirroredC1 = plane(x, s, 1).map((row) => [...row].reverse());
      assert.deepEqual(plane(once, s, 1), isFlipped ? mirroredC1 : plane(x, s, 1), `both channels of sample ${s} move together`);
    }
    assert.ok(flipped > 8 && flipped < 32, `about half flipped: ${flipped}/40`);
    assert.deepEqual(values(flip(once, new Generator(3))), values(x));
  });

  test('p = 1 mirrors every sample, p = 0 none', () => {
    const x = images([3, 1, 2, 4]);
    assert.deepEqual(plane(randomHorizontalFlip({ p: 1 })(x, new Generator(0)), 2, 0), plane(x, 2, 0).map((r) => r.reverse()));
    assert.deepEqual(values(randomHorizontalFlip({ p: 0 })(x, new Generator(0))), values(x));
    assert.throws(() => randomHorizontalFlip({ p: 1.5 }), /p must lie in \[0, 1\], got 1.5/);
  });

  test('is seeded', () => assertSeeded(randomHorizontalFlip()));
});

describe('randomCrop', () => {
  test('padding 0 is the identity', () => {
    const x = images([4, 3, 7, 6]);
    assert.deepEqual(values(randomCrop({ padding: 0 })(x, new Generator(5))), values(x));
  });

  test('each sample is its input shifted by at most `padding` pixels, with zeros shifted in', () => {
    const x = images([30, 2, 6, 7], 4);
    const out = randomCrop({ padding: 2 })(x, new Generator(8));
    const shifts = new Set<string>();
    for (let s = 0; s < 30; s++) {
      const found: string[] = [];
      for (let dy = -2; dy <= 2; dy++) {
        for (let dx = -2; dx <= 2; dx++) {
          const matches = [0, 1].every((c) => {
            const src = plane(x, s, c);
            const expected = src.map((row, y) => row.map((_, xx) => src[y + dy]?.[xx + dx] ?? 0));
            return JSON.stringify(plane(out, s, c)) === JSON.stringify(expected);
          });
          if (matches) found.push(`${dy},${dx}`);
        }
      }
      assert.equal(found.length, 1, `sample ${s} matches exactly one shift`);
      shifts.add(found[0]!);
    }
    assert.ok(shifts.size > 8, `many different shifts are drawn (${shifts.size})`);
  });

  test('is seeded, and rejects a bad padding', () => {
    assertSeeded(randomCrop({ padding: 3 }));
    assert.throws(() => randomCrop({ padding: -1 }), ArgumentError);
    assert.throws(() => randomCrop({ padding: 1.5 }), /padding must be a non-negative integer/);
  });
});

describe('affineTransform and randomAffine', () => {
  test('zero rotation and translation is the identity', () => {
    const x = images([5, 2, 8, 9]);
    assert.deepEqual(values(randomAffine({})(x, new Generator(1))), values(x));
    assert.deepEqual(values(randomAffine({ degrees: 0, translate: 0 })(x, new Generator(1))), values(x));
  });

  test('90° turns the image counter-clockwise as displayed', () => {
    const x = images([1, 1, 5, 5]);
    const out = affineTransform(x, [{ degrees: 90, translateX: 0, translateY: 0 }]);
    const src = plane(x, 0, 0);
    // Counter-clockwise: the right column becomes the top row.
    const expected = src.map((_, y) => src.map((row) => row[4 - y]!));
    assertClose(plane(out, 0, 0).flat(), expected.flat(), 1e-6, 'rotated');
  });

  test('whole-pixel shifts move the image exactly; half a pixel averages neighbours (bilinear)', () => {
    const x = images([1, 1, 4, 6]);
    const src = plane(x, 0, 0);
    const shifted = affineTransform(x, [{ degrees: 0, translateX: 2, translateY: -1 }]);
    const expected = src.map((row, y) => row.map((_, xx) => src[y + 1]?.[xx - 2] ?? 0));
    assert.deepEqual(plane(shifted, 0, 0), expected);
    const half = affineTransform(x, [{ degrees: 0, translateX: 0.5, translateY: 0 }]);
    const averaged = src.map((row) => row.map((v, xx) => 0.5 * v + 0.5 * (row[xx - 1] ?? 0)));
    assertClose(plane(half, 0, 0).flat(), averaged.flat(), 1e-6, 'half-pixel shift');
  });

  test('randomAffine draws angles and shifts within range, per sample', () => {
    const x = images([20, 1, 11, 11]);
    const out = randomAffine({ degrees: 15, translate: 0.1 })(x, new Generator(6));
    assert.notDeepEqual(plane(out, 0, 0), plane(out, 1, 0));
    // A constant image keeps its value near the centre under any small rotation and shift.
    const flat = new Tensor(new Float32Array(20 * 121).fill(0.5), [20, 1, 11, 11]);
    const moved = randomAffine({ degrees: 15, translate: 0.1 })(flat, new Generator(6));
    for (let s = 0; s < 20; s++) assert.ok(Math.abs(plane(moved, s, 0)[5]![5]! - 0.5) < 1e-6);
  });

  test('is seeded, and checks its arguments', () => {
    assertSeeded(randomAffine({ degrees: 10, translate: 0.1 }));
    assert.throws(() => randomAffine({ degrees: -1 }), ArgumentError);
    assert.throws(() => randomAffine({ translate: 2 }), /translate must lie in \[0, 1\]/);
    assert.throws(() => affineTransform(images([2, 1, 3, 3]), []), /got 0 parameter sets for a batch of 2 samples/);
  });
});

describe('colorJitter', () => {
  test('zero jitter is the identity for images in [0, 1]', () => {
    const x = images([4, 1, 5, 5]);
    assertClose(values(colorJitter({})(x, new Generator(2))), values(x), 1e-6, 'identity');
  });

  test('brightness scales each sample by one factor in [1 − b, 1 + b]', () => {
    const x = new Tensor(new Float32Array(8 * 4).fill(0.5), [8, 1, 2, 2]);
    const out = colorJitter({ brightness: 0.4 })(x, new Generator(3));
    const factors = new Set<number>();
    for (let s = 0; s < 8; s++) {
      const sample = plane(out, s, 0).flat();
      assert.ok(sample.every((v) => v === sample[0]), 'one factor per sample');
      assert.ok(sample[0]! >= 0.5 * 0.6 - 1e-6 && sample[0]! <= 0.5 * 1.4 + 1e-6);
      factors.add(sample[0]!);
    }
    assert.ok(factors.size > 4);
  });

  test('contrast keeps each sample mean (without clamping) and clamping keeps [0, 1]', () => {
    const x = images([6, 2, 4, 4]);
    const out = colorJitter({ contrast: 0.5, clamp: null })(x, new Generator(4));
    for (let s = 0; s < 6; s++) {
      const mean = (t: Tensor): number => [0, 1].flatMap((c) => plane(t, s, c).flat()).reduce((a, b) => a + b, 0) / 32;
      assert.ok(Math.abs(mean(out) - mean(x)) < 1e-5);
    }
    const strong = colorJitter({ brightness: 2, contrast: 2 })(x, new Generator(4));
    assert.ok(values(strong).every((v) => v >= 0 && v <= 1));
  });

  test('is seeded', () => assertSeeded(colorJitter({ brightness: 0.2, contrast: 0.2 })));
});

describe('composeAugmentations', () => {
  test('applies the augmentations in order from one generator, reproducibly', () => {
    const x = images([5, 1, 6, 6]);
    const flip = randomHorizontalFlip({ p: 1 });
    const crop = randomCrop({ padding: 1 });
    const composed = composeAugmentations([flip, crop]);
    const g = new Generator(9);
    const manual = crop(flip(x, g), g);
    assert.deepEqual(values(composed(x, new Generator(9))), values(manual));
    assertSeeded(composeAugmentations([randomHorizontalFlip(), randomAffine({ degrees: 10 }), colorJitter({ contrast: 0.3 })]));
    assert.deepEqual(values(composeAugmentations([])(x, g)), values(x));
  });
});

describe('pixelsToFloat', () => {
  test('maps uint8 0–255 to float32 0–1, passes floats through, and serves as a transform', () => {
    const bytes = new Tensor(Uint8Array.from([0, 1, 128, 255]), [1, 1, 2, 2]);
    const scaled = pixelsToFloat(bytes);
    assert.equal(scaled.dtype, 'float32');
    assert.deepEqual(scaled.shape, [1, 1, 2, 2]);
    assertClose(values(scaled), [0, 1 / 255, 128 / 255, 1], 1e-7, 'scaled');
    const floats = images([1, 1, 2, 2]);
    assert.equal(pixelsToFloat(floats), floats);
    const pipeline = composeAugmentations([pixelsToFloat, randomHorizontalFlip({ p: 1 })]);
    assertClose(values(pipeline(bytes, new Generator(0))), [1 / 255, 0, 1, 128 / 255], 1e-7, 'then flipped');
    assert.throws(() => pixelsToFloat(zeros([1], { dtype: 'int32' })), /must be uint8 pixels .* got int32/);
  });
});

describe('input checks', () => {
  test('a batch that is not 4-D float is refused', () => {
    const flip = randomHorizontalFlip();
    assert.throws(() => flip(zeros([2, 3, 4]), new Generator(0)), (e: Error) => e instanceof ShapeError && /\[N, C, H, W\], got shape \[2,3,4\]/.test(e.message));
    assert.throws(() => randomAffine({ degrees: 5 })(zeros([2, 3]), new Generator(0)), /randomAffine: expected an NCHW batch/);
    assert.throws(() => colorJitter({})(zeros([1, 1, 2, 2], { dtype: 'uint8' }), new Generator(0)), DTypeError);
  });
});
