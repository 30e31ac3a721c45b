/** Per-channel normalization of image batches: `(x − mean[c]) / std[c]`. */
import { ArgumentError, DataError, ShapeError } from '../../errors.js';
import { isFloat } from '../../tensor/dtype.js';
import { formatShape } from '../../tensor/shape.js';
import { Tensor } from '../../tensor/tensor.js';
import { jsonNumbers, jsonObject, notFitted } from './step.js';

/** Options of {@link ImageNormalizer}: both statistics, or neither (then they are fitted). */
export interface ImageNormalizerOptions {
  /** Per-channel mean, e.g. ImageNet's [0.485, 0.456, 0.406]. */
  mean?: readonly number[];
  /** Per-channel standard deviation, e.g. ImageNet's [0.229, 0.224, 0.225]. */
  std?: readonly number[];
}

/** The channel count and pixels per channel of `[N, C, H, W]` or `[C, H, W]` images. */
function layout(images: Tensor, what: string): { channels: number; plane: number } {
  if (images.ndim !== 3 && images.ndim !== 4) {
    throw new ShapeError(`${what}: images must be [N, C, H, W] or [C, H, W], got shape ${formatShape(images.shape)}`);
  }
  if (!isFloat(images.dtype)) throw new DataError(`${what}: images must be float32 or float64 (pixels in [0, 1]), got ${images.dtype}`);
  const s = images.shape;
  return { channels: s[s.length - 3]!, plane: s[s.length - 2]! * s[s.length - 1]! };
}

/**
 * Normalizes each channel of images with a mean and standard deviation that are either given (ImageNet's,
 * say) or fitted on the training images (population statistics over every pixel of every image). A channel
 * with a standard deviation of 0 is only centred.
 */
export class ImageNormalizer {
  readonly type = 'ImageNormalizer';
  private stats: { mean: readonly number[]; std: readonly number[] } | undefined;

  /** @throws ArgumentError when only one of mean and std is given, or they differ in length, or a std is negative */
  constructor(options: ImageNormalizerOptions = {}) {
    const { mean, std } = options;
    if ((mean === undefined) !== (std === undefined)) throw new ArgumentError('ImageNormalizer: give both mean and std, or neither to fit them');
    if (mean !== undefined && std !== undefined) {
      if (mean.length !== std.length || mean.length === 0) {
        throw new ArgumentError(`ImageNormalizer: mean and std need one entry per channel, got ${mean.length} and ${std.length}`);
      }
      if (![...mean, ...std].every(Number.isFinite) || std.some((s) => s < 0)) {
        throw new ArgumentError('ImageNormalizer: mean and std must be finite numbers, std ≥ 0');
      }
      this.stats = { mean: [...mean], std: [...std] };
    }
  }

  get isFitted(): boolean {
    return this.stats !== undefined;
  }

  /** Per-channel mean. */
  get mean(): readonly number[] {
    if (this.stats === undefined) throw notFitted('ImageNormalizer', 'read the mean');
    return this.stats.mean;
  }

  /** Per-channel standard deviation. */
  get std(): readonly number[] {
    if (this.stats === undefined) throw notFitted('ImageNormalizer', 'read the std');
    return this.stats.std;
  }

  /**
   * Computes the per-channel statistics of training images `[N, C, H, W]` (pixel values, typically in [0, 1]).
   * @throws ArgumentError when the statistics were given to the constructor, so they are never silently replaced
   */
  fit(images: Tensor): this {
    if (this.stats !== undefined) throw new ArgumentError('ImageNormalizer: the statistics are already set; create a new ImageNormalizer() without mean/std to fit them');
    const { channels, plane } = layout(images, 'ImageNormalizer.fit');
    const data = images.contiguousData();
    const batches = data.length / (channels * plane);
    if (!(batches * plane > 0)) throw new DataError('ImageNormalizer.fit: there are no pixels to fit on');
    const mean: number[] = [];
    const std: number[] = [];
    for (let c = 0; c < channels; c++) {
      let sum = 0;
      for (let n = 0; n < batches; n++) {
        const start = (n * channels + c) * plane;
        for (let p = start; p < start + plane; p++) sum += data[p]!;
      }
      const m = sum / (batches * plane);
      let squares = 0;
      for (let n = 0; n < batches; n++) {
        const start = (n * channels + c) * plane;
        for (let p = start; p < start + plane; p++) squares += (data[p]! - m) ** 2;
      }
      mean.push(m);
      std.push(Math.sqrt(squares / (batches * plane)));
    }
    this.stats = { mean, std };
    return this;
  }

  /** Normalized float32 copy of `[N, C, H, W]` or `[C, H, W]` images. @throws ShapeError for a channel count other than the fitted one */
  transform(images: Tensor): Tensor {
    const { mean, std } = this;
    const { channels, plane } = layout(images, 'ImageNormalizer.transform');
    if (channels !== mean.length) {
      throw new ShapeError(`ImageNormalizer: images have ${channels} channels (shape ${formatShape(images.shape)}) but the statistics are for ${mean.length}`);
    }
    const data = images.contiguousData();
    const out = new Float32Array(data.length);
    for (let i = 0; i < data.length; i++) {
      const c = Math.floor(i / plane) % channels;
      out[i] = (data[i]! - mean[c]!) / (std[c]! === 0 ? 1 : std[c]!);
    }
    return new Tensor(out, images.shape);
  }

  /** The statistics as JSON. */
  toJSON(): { type: 'ImageNormalizer'; mean: number[]; std: number[] } {
    return { type: this.type, mean: [...this.mean], std: [...this.std] };
  }

  /** Restores a normalizer from {@link toJSON}'s output. @throws DataError for malformed JSON */
  static fromJSON(json: unknown): ImageNormalizer {
    const o = jsonObject(json, 'ImageNormalizer');
    const mean = jsonNumbers(o, 'mean', 'ImageNormalizer');
    const std = jsonNumbers(o, 'std', 'ImageNormalizer', mean.length);
    if (mean.length === 0 || std.some((s) => s < 0)) throw new DataError('ImageNormalizer: mean and std need at least one channel, and std ≥ 0');
    return new ImageNormalizer({ mean, std });
  }
}
