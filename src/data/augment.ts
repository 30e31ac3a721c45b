/**
 * Random image augmentations for NCHW float batches, applied per sample (all channels of a sample move
 * together), and {@link pixelsToFloat} to scale byte images per batch. Each augmentation is a
 * {@link BatchTransform} that draws only from the generator it is given, so a seeded `DataLoader` reproduces
 * every augmented batch. Inputs are never modified.
 */
import type { FloatArray } from '../backend/backend.js';
import { ArgumentError, DTypeError, ShapeError } from '../errors.js';
import { allocate, assertFloat, isFloat } from '../tensor/dtype.js';
import type { Generator } from '../tensor/random.js';
import { formatShape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import type { BatchTransform } from './data-loader.js';

interface ImageBatch {
  readonly input: FloatArray;
  readonly output: FloatArray;
  readonly n: number;
  readonly channels: number;
  readonly height: number;
  readonly width: number;
}

/** The dimensions [N, C, H, W] of `images`, after checking that it is a float NCHW batch. */
function imageDims(images: Tensor, what: string): [number, number, number, number] {
  if (images.ndim !== 4) {
    throw new ShapeError(`${what}: expected an NCHW batch [N, C, H, W], got shape ${formatShape(images.shape)}`);
  }
  assertFloat(images.dtype, `${what}: images`);
  return images.shape as [number, number, number, number];
}

/** Checks `images` and returns its data and a zeroed output of the same type. */
function imageBatch(images: Tensor, what: string): ImageBatch {
  const [n, channels, height, width] = imageDims(images, what);
  const input = images.contiguousData() as FloatArray;
  return { input, output: allocate(images.dtype, input.length) as FloatArray, n, channels, height, width };
}

const result = (images: Tensor, batch: ImageBatch): Tensor => new Tensor(batch.output, images.shape);

/** A uniform draw in [−range, range]. */
const symmetric = (generator: Generator, range: number): number => (2 * generator.nextDouble() - 1) * range;

/** A uniform factor in [max(0, 1 − amount), 1 + amount]. */
function factor(generator: Generator, amount: number): number {
  const low = Math.max(0, 1 - amount);
  return low + generator.nextDouble() * (1 + amount - low);
}

function checkRange(value: number, low: number, high: number, name: string, what: string): void {
  if (!(value >= low && value <= high)) throw new ArgumentError(`${what}: ${name} must lie in [${low}, ${high}], got ${value}`);
}

/** Options of {@link randomHorizontalFlip}. */
export interface HorizontalFlipOptions {
  /** Probability that a sample is mirrored left–right (default 0.5). */
  p?: number;
}

/** Mirrors each sample left–right with probability `p`. */
export function randomHorizontalFlip(options: HorizontalFlipOptions = {}): BatchTransform {
  const { p = 0.5 } = options;
  checkRange(p, 0, 1, 'p', 'randomHorizontalFlip');
  return (images, generator) => {
    const batch = imageBatch(images, 'randomHorizontalFlip');
    const { input, output, width } = batch;
    const sampleSize = batch.channels * batch.height * width;
    for (let s = 0; s < batch.n; s++) {
      const start = s * sampleSize;
      if (generator.nextDouble() >= p) {
        output.set(input.subarray(start, start + sampleSize), start);
        continue;
      }
      for (let row = start; row < start + sampleSize; row += width) {
        for (let x = 0; x < width; x++) output[row + x] = input[row + width - 1 - x]!;
      }
    }
    return result(images, batch);
  };
}

/** Options of {@link randomCrop}. */
export interface RandomCropOptions {
  /** Zero pixels added on every side before cropping back to the original size. */
  padding: number;
}

/**
 * Pads each sample with `padding` zeros on every side and crops a window of the original size at a random
 * position: a random shift of up to `padding` pixels each way, the uncovered border filled with zeros.
 */
export function randomCrop(options: RandomCropOptions): BatchTransform {
  const { padding } = options;
  if (!Number.isInteger(padding) || padding < 0) {
    throw new ArgumentError(`randomCrop: padding must be a non-negative integer, got ${padding}`);
  }
  return (images, generator) => {
    const batch = imageBatch(images, 'randomCrop');
    const { input, output, height, width } = batch;
    const plane = height * width;
    for (let s = 0; s < batch.n; s++) {
      const dy = generator.nextInt(0, 2 * padding + 1) - padding;
      const dx = generator.nextInt(0, 2 * padding + 1) - padding;
      // Output (y, x) reads input (y + dy, x + dx): copy the overlapping span of each row in one block.
      const x0 = Math.max(0, -dx);
      const x1 = Math.min(width, width - dx);
      if (x1 <= x0) continue;
      for (let c = 0; c < batch.channels; c++) {
        const base = (s * batch.channels + c) * plane;
        for (let y = Math.max(0, -dy); y < Math.min(height, height - dy); y++) {
          const from = base + (y + dy) * width + dx;
          output.set(input.subarray(from + x0, from + x1), base + y * width + x0);
        }
      }
    }
    return result(images, batch);
  };
}

/** One sample's geometric transform for {@link affineTransform}. */
export interface AffineParams {
  /** Rotation about the image centre, counter-clockwise as displayed (rows top to bottom). */
  readonly degrees: number;
  /** Shift right, in pixels (fractions allowed). */
  readonly translateX: number;
  /** Shift down, in pixels (fractions allowed). */
  readonly translateY: number;
}

/**
 * Rotates and shifts each sample of an NCHW float batch by its own parameters, sampling bilinearly with zeros
 * outside the image. {@link randomAffine} draws the parameters; this is the deterministic core.
 * @throws ArgumentError unless there is one parameter set per sample
 */
export function affineTransform(images: Tensor, params: readonly AffineParams[]): Tensor {
  const batch = imageBatch(images, 'affineTransform');
  const { input, output, channels, height, width } = batch;
  if (params.length !== batch.n) {
    throw new ArgumentError(`affineTransform: got ${params.length} parameter sets for a batch of ${batch.n} samples`);
  }
  const plane = height * width;
  const cx = (width - 1) / 2;
  const cy = (height - 1) / 2;
  for (let s = 0; s < batch.n; s++) {
    const { degrees, translateX, translateY } = params[s]!;
    const cos = Math.cos((degrees * Math.PI) / 180);
    const sin = Math.sin((degrees * Math.PI) / 180);
    const base = s * channels * plane;
    for (let y = 0; y < height; y++) {
      // Inverse map: output (x, y) comes from the input point rotated back by −θ and shifted back. Along a
      // row that point moves by (cos, sin) per pixel, so it is stepped rather than recomputed.
      const u = -cx - translateX;
      const v = y - cy - translateY;
      let sx = cos * u - sin * v + cx;
      let sy = sin * u + cos * v + cy;
      for (let x = 0; x < width; x++, sx += cos, sy += sin) {
        const x0 = Math.floor(sx);
        const y0 = Math.floor(sy);
        if (x0 < -1 || x0 >= width || y0 < -1 || y0 >= height) continue;
        const fx = sx - x0;
        const fy = sy - y0;
        const at = y0 * width + x0;
        const to = y * width + x;
        if (x0 >= 0 && y0 >= 0 && x0 + 1 < width && y0 + 1 < height) {
          for (let p = base; p < base + channels * plane; p += plane) {
            const top = input[p + at]! + fx * (input[p + at + 1]! - input[p + at]!);
            const bottom = input[p + at + width]! + fx * (input[p + at + width + 1]! - input[p + at + width]!);
            output[p + to] = top + fy * (bottom - top);
          }
          continue;
        }
        // At the border, neighbours outside the image count as zeros and are never read.
        const w00 = y0 >= 0 && x0 >= 0 ? (1 - fx) * (1 - fy) : 0;
        const w01 = y0 >= 0 && x0 + 1 < width ? fx * (1 - fy) : 0;
        const w10 = y0 + 1 < height && x0 >= 0 ? (1 - fx) * fy : 0;
        const w11 = y0 + 1 < height && x0 + 1 < width ? fx * fy : 0;
        for (let p = base; p < base + channels * plane; p += plane) {
          let value = 0;
          if (w00 !== 0) value += w00 * input[p + at]!;
          if (w01 !== 0) value += w01 * input[p + at + 1]!;
          if (w10 !== 0) value += w10 * input[p + at + width]!;
          if (w11 !== 0) value += w11 * input[p + at + width + 1]!;
          output[p + to] = value;
        }
      }
    }
  }
  return result(images, batch);
}

/** Options of {@link randomAffine}. */
export interface RandomAffineOptions {
  /** Rotation drawn uniformly from [−degrees, degrees] (default 0). */
  degrees?: number;
  /** Shift drawn uniformly from [−translate, translate] × the width (and height), per axis (default 0). */
  translate?: number;
}

/** Rotates each sample by a small random angle and shifts it by a random fraction of its size (bilinear). */
export function randomAffine(options: RandomAffineOptions): BatchTransform {
  const { degrees = 0, translate = 0 } = options;
  checkRange(degrees, 0, 180, 'degrees', 'randomAffine');
  checkRange(translate, 0, 1, 'translate', 'randomAffine');
  return (images, generator) => {
    const [n, , height, width] = imageDims(images, 'randomAffine');
    const params = Array.from({ length: n }, (): AffineParams => ({
      degrees: symmetric(generator, degrees),
      translateX: symmetric(generator, translate * width),
      translateY: symmetric(generator, translate * height),
    }));
    return affineTransform(images, params);
  };
}

/** Options of {@link colorJitter}. */
export interface ColorJitterOptions {
  /** Each sample is multiplied by a factor from [max(0, 1 − brightness), 1 + brightness] (default 0). */
  brightness?: number;
  /** Each sample's deviation from its mean is scaled by a factor from [max(0, 1 − contrast), 1 + contrast] (default 0). */
  contrast?: number;
  /**
   * The range results are clamped to; `[0, 1]` by default, for images scaled to [0, 1]. Pass `null` for
   * standardized inputs that must not be clamped.
   */
  clamp?: readonly [number, number] | null;
}

/** Random brightness then contrast change per sample, as in torchvision's ColorJitter (in that fixed order). */
export function colorJitter(options: ColorJitterOptions): BatchTransform {
  const { brightness = 0, contrast = 0, clamp = [0, 1] } = options;
  checkRange(brightness, 0, Infinity, 'brightness', 'colorJitter');
  checkRange(contrast, 0, Infinity, 'contrast', 'colorJitter');
  const [low, high] = clamp ?? [-Infinity, Infinity];
  return (images, generator) => {
    const batch = imageBatch(images, 'colorJitter');
    const { input, output } = batch;
    const sampleSize = batch.channels * batch.height * batch.width;
    for (let s = 0; s < batch.n; s++) {
      const scale = factor(generator, brightness);
      const stretch = factor(generator, contrast);
      const start = s * sampleSize;
      let sum = 0;
      for (let i = start; i < start + sampleSize; i++) sum += input[i]! * scale;
      const mean = sum / sampleSize;
      // (x·b − m)·c + m, folded into one multiply-add per element.
      const offset = mean * (1 - stretch);
      const gain = scale * stretch;
      for (let i = start; i < start + sampleSize; i++) {
        output[i] = Math.min(high, Math.max(low, input[i]! * gain + offset));
      }
    }
    return result(images, batch);
  };
}

/** 1/255 for each byte value, so scaling a pixel is a lookup rather than a division. */
const PIXEL_SCALE = Float32Array.from({ length: 256 }, (_, v) => v / 255);

/**
 * Converts uint8 pixels (0–255) to float32 in [0, 1]; float tensors are returned unchanged. It is itself a
 * {@link BatchTransform}: put it first in a loader's transform to keep a dataset stored as bytes — a quarter
 * of the memory of float32 (the full Fashion-MNIST training set: 47 MB instead of 188 MB) — and scale each
 * batch as it is drawn: `transform: composeAugmentations([pixelsToFloat, randomCrop({ padding: 2 })])`.
 * @throws DTypeError for integer types other than uint8
 */
export function pixelsToFloat(images: Tensor): Tensor {
  if (isFloat(images.dtype)) return images;
  if (images.dtype !== 'uint8') {
    throw new DTypeError(`pixelsToFloat: images must be uint8 pixels (0–255) or already float, got ${images.dtype}`);
  }
  const pixels = images.contiguousData();
  const out = new Float32Array(pixels.length);
  for (let i = 0; i < pixels.length; i++) out[i] = PIXEL_SCALE[pixels[i]!]!;
  return new Tensor(out, images.shape);
}

/** Applies `augmentations` in order, all drawing from the same generator. */
export function composeAugmentations(augmentations: readonly BatchTransform[]): BatchTransform {
  return (images, generator) => augmentations.reduce((batch, augment) => augment(batch, generator), images);
}
