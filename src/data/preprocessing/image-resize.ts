/**
 * Image decoding and resizing with sharp (libvips): any PNG, JPEG or WebP becomes a float32 `[C, H, W]`
 * tensor in [0, 1]. The parameters are saved with the model so inference resizes exactly as training did.
 */
import { loadSharp } from '../sharp.js';
import { ArgumentError, DataError } from '../../errors.js';
import { Tensor } from '../../tensor/tensor.js';
import { jsonChoice, jsonNumbers, jsonObject } from './step.js';

/**
 * How an image of another aspect ratio is brought to the target size: `'cover'` scales it to cover the
 * target and crops the overflow around the centre; `'contain'` scales it to fit inside and pads with black;
 * `'fill'` stretches it.
 */
export type ResizeFit = 'cover' | 'contain' | 'fill';

const FITS: readonly ResizeFit[] = ['cover', 'contain', 'fill'];

/** Options of {@link ImageResize}. */
export interface ImageResizeOptions {
  /** Target [height, width] in pixels. */
  size: readonly [number, number];
  /** 1 for grayscale, 3 for RGB; default 3. */
  channels?: 1 | 3;
  /** Default 'cover'. */
  fit?: ResizeFit;
}

/**
 * The largest image (in pixels) decoded: 64 megapixels covers any camera, while a small file that claims
 * hundreds of megapixels (a decompression bomb sent to a server) is refused before it is decoded.
 */
export const MAX_INPUT_PIXELS = 64_000_000;

/**
 * Decodes images to a fixed size and channel count. EXIF orientation is applied first (photos from phones
 * come out upright), colour is converted to sRGB or grayscale, and an alpha channel is dropped.
 */
export class ImageResize {
  readonly type = 'ImageResize';
  readonly height: number;
  readonly width: number;
  readonly channels: 1 | 3;
  readonly fit: ResizeFit;

  /** @throws ArgumentError for a size that is not two positive integers, or another channel count or fit */
  constructor(options: ImageResizeOptions) {
    const [height, width] = options.size ?? [];
    if (!Number.isInteger(height) || !Number.isInteger(width) || height! < 1 || width! < 1) {
      throw new ArgumentError(`ImageResize: size must be [height, width] in whole pixels ≥ 1, got ${JSON.stringify(options.size)}`);
    }
    this.height = height!;
    this.width = width!;
    this.channels = options.channels ?? 3;
    if (this.channels !== 1 && this.channels !== 3) throw new ArgumentError(`ImageResize: channels must be 1 or 3, got ${String(this.channels)}`);
    this.fit = options.fit ?? 'cover';
    if (!FITS.includes(this.fit)) throw new ArgumentError(`ImageResize: fit must be one of ${FITS.join(', ')}, got '${String(this.fit)}'`);
  }

  /** Floats per image: channels × height × width. */
  get imageSize(): number {
    return this.channels * this.height * this.width;
  }

  /**
   * Decodes an image file (path) or encoded bytes into `out[offset … offset + imageSize)`, channel-major
   * (`[C, H, W]`), pixel values divided by 255.
   * @throws Error from sharp for an unreadable, corrupt or unsupported image
   */
  async decodeInto(input: string | Uint8Array, out: Float32Array, offset = 0): Promise<void> {
    const sharp = await loadSharp();
    let image = sharp(input, { autoOrient: true, limitInputPixels: MAX_INPUT_PIXELS }).resize({
      width: this.width,
      height: this.height,
      fit: this.fit,
      position: 'centre',
      background: { r: 0, g: 0, b: 0, alpha: 1 },
    });
    image = this.channels === 1 ? image.grayscale() : image.toColourspace('srgb');
    const { data, info } = await image.removeAlpha().raw().toBuffer({ resolveWithObject: true });
    if (info.channels !== this.channels || info.width !== this.width || info.height !== this.height) {
      throw new DataError(
        `ImageResize: decoded ${info.width}×${info.height}×${info.channels}, expected ${this.width}×${this.height}×${this.channels}`,
      );
    }
    const plane = this.height * this.width;
    for (let c = 0; c < this.channels; c++) {
      const base = offset + c * plane;
      for (let p = 0, i = c; p < plane; p++, i += this.channels) out[base + p] = data[i]! / 255;
    }
  }

  /** Decodes one image (path or encoded bytes) into a float32 tensor `[C, H, W]` in [0, 1]. */
  async decode(input: string | Uint8Array): Promise<Tensor> {
    const out = new Float32Array(this.imageSize);
    await this.decodeInto(input, out);
    return new Tensor(out, [this.channels, this.height, this.width]);
  }

  /** The parameters as JSON. */
  toJSON(): { type: 'ImageResize'; size: [number, number]; channels: 1 | 3; fit: ResizeFit } {
    return { type: this.type, size: [this.height, this.width], channels: this.channels, fit: this.fit };
  }

  /** Restores the parameters from {@link toJSON}'s output. @throws DataError for malformed JSON */
  static fromJSON(json: unknown): ImageResize {
    const o = jsonObject(json, 'ImageResize');
    const [height, width] = jsonNumbers(o, 'size', 'ImageResize', 2) as [number, number];
    const channels = o['channels'];
    if (channels !== 1 && channels !== 3) throw new DataError(`ImageResize: field 'channels' must be 1 or 3, found ${JSON.stringify(channels)}`);
    try {
      return new ImageResize({ size: [height, width], channels, fit: jsonChoice(o, 'fit', FITS, 'ImageResize') });
    } catch (error) {
      if (error instanceof ArgumentError) throw new DataError(error.message);
      throw error;
    }
  }
}
