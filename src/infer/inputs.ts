/**
 * Decoding prediction inputs: image files and encoded bytes, records and tensors become one batch tensor
 * the model takes, through the preprocessing saved in its model file, exactly as in training.
 */
import type { NumericArray } from '../backend/backend.js';
import { forEachConcurrently } from '../data/image-folder.js';
import { ImageNormalizer } from '../data/preprocessing/image-normalizer.js';
import { ImageResize } from '../data/preprocessing/image-resize.js';
import { Pipeline } from '../data/preprocessing/pipeline.js';
import { DataError, DTypeError, ShapeError } from '../errors.js';
import type { InputSpec } from '../io/model-file.js';
import { fromArray } from '../tensor/creation.js';
import { allocate, isFloat, type DType } from '../tensor/dtype.js';
import { formatShape, sameShape, sizeOf } from '../tensor/shape.js';
import { Tensor, type NestedArray } from '../tensor/tensor.js';

/**
 * One input to predict on:
 * - image models: a file path, encoded image bytes (PNG, JPEG, WebP), or a float tensor of pixels in [0, 1]
 *   at the model's size, `[C, H, W]` (or `[N, C, H, W]` for N images);
 * - tabular models: a record `{ field: value }`, or a tensor of already preprocessed features `[F]` / `[N, F]`;
 * - tensor models: a tensor (or nested number arrays) of one sample's shape, or with a leading batch dimension.
 * Nested number arrays are accepted wherever a tensor is.
 */
export type PredictInput = string | Uint8Array | Tensor | Readonly<Record<string, unknown>> | NestedArray;

/** Images decoded at the same time (sharp decodes on libuv's thread pool). */
const DECODE_CONCURRENCY = 8;

/** An input turned into rows of the batch: values ready to copy, or an image to decode in place. */
type Part = { rows: number; values: NumericArray } | { rows: 1; image: string | Uint8Array };

/**
 * Turns the inputs of one predict call into one batch `[N, ...sampleShape]` of the model's input dtype.
 * Errors name the input's index in the call.
 */
export class InputDecoder {
  /** What the model takes: images, records or tensors. */
  readonly kind: InputSpec['kind'];
  private readonly resize: ImageResize | null = null;
  private readonly normalizer: ImageNormalizer | null = null;
  private readonly pipeline: Pipeline | null = null;

  /**
   * @param spec the input spec of the model file
   * @param sampleShape the shape of one sample the model takes (its architecture's input)
   * @param dtype the element type the model takes
   */
  constructor(
    spec: InputSpec,
    readonly sampleShape: readonly number[],
    readonly dtype: DType,
  ) {
    this.kind = spec.kind;
    if (spec.kind === 'image') {
      this.resize = new ImageResize({ size: spec.size, channels: spec.channels, fit: spec.fit });
      if (spec.normalize) this.normalizer = ImageNormalizer.fromJSON(spec.normalize);
    } else if (spec.kind === 'tabular') {
      this.pipeline = Pipeline.fromJSON(spec.pipeline);
    }
  }

  /**
   * The batch for `inputs`: one row per sample (an input with a batch dimension gives several).
   * @throws ShapeError, DTypeError or DataError naming the index of the input at fault
   */
  async decode(inputs: readonly PredictInput[]): Promise<Tensor> {
    const parts = inputs.map((input, index) => {
      try {
        return this.part(input);
      } catch (error) {
        throw atInput(index, error);
      }
    });
    const sampleSize = sizeOf(this.sampleShape);
    const rows = parts.reduce((n, p) => n + p.rows, 0);
    const data = allocate(this.dtype, rows * sampleSize);
    const images: { index: number; image: string | Uint8Array; offset: number }[] = [];
    let offset = 0;
    parts.forEach((part, index) => {
      if ('image' in part) images.push({ index, image: part.image, offset });
      else data.set(part.values, offset);
      offset += part.rows * sampleSize;
    });
    await forEachConcurrently(images.length, DECODE_CONCURRENCY, async (i) => {
      const { index, image, offset: at } = images[i]!;
      try {
        await this.resize!.decodeInto(image, data as Float32Array, at);
      } catch (error) {
        throw atInput(index, error, 'cannot decode the image: ');
      }
    });
    const batch = new Tensor(data, [rows, ...this.sampleShape]);
    return this.normalizer ? this.normalizer.transform(batch) : batch;
  }

  private part(input: PredictInput): Part {
    if (input instanceof Tensor || Array.isArray(input) || typeof input === 'number') return this.numeric(input);
    switch (this.kind) {
      case 'image':
        if (typeof input === 'string' || input instanceof Uint8Array) return { rows: 1, image: input };
        throw new DataError(`an image model takes a file path, encoded image bytes or a [C, H, W] tensor; got ${describe(input)}`);
      case 'tabular':
        if (isRecord(input)) return { rows: 1, values: this.pipeline!.transformRecord(input).contiguousData() };
        throw new DataError(`a tabular model takes a record { field: value } or a tensor of features; got ${describe(input)}`);
      case 'tensor':
        throw new DataError(`a tensor model takes a tensor or nested number arrays of shape ${formatShape(this.sampleShape)}; got ${describe(input)}`);
    }
  }

  /** A tensor or number arrays: one sample, or a batch of them along a leading dimension. */
  private numeric(input: Tensor | NestedArray): Part {
    const isTensor = input instanceof Tensor;
    // Arrays are read as float64 so no value is rounded before the dtype checks below.
    const tensor = isTensor ? input : fromArray(input, { dtype: 'float64' });
    const shape = tensor.shape;
    const sample = this.sampleShape;
    const batched = shape.length === sample.length + 1 && sameShape(shape.slice(1), sample);
    if (!batched && !sameShape(shape, sample)) {
      throw new ShapeError(`expected one sample of shape ${formatShape(sample)} or a batch [N,${sample.join(',')}], got shape ${formatShape(shape)}`);
    }
    const values = tensor.contiguousData();
    const rows = batched ? shape[0]! : 1;
    if (tensor.dtype === this.dtype) return { rows, values };
    if (isTensor && isFloat(tensor.dtype) !== isFloat(this.dtype)) {
      const hint = this.kind === 'image' ? ' (pixels are floats in [0, 1]: divide 8-bit values by 255)' : '';
      throw new DTypeError(`the model takes ${this.dtype} values, got a ${tensor.dtype} tensor${hint}; convert it with toType`);
    }
    if (!isFloat(this.dtype) && !values.every((v) => Number.isInteger(v) && v >= -(2 ** 31) && v < 2 ** 31)) {
      throw new DTypeError(`the model takes ${this.dtype} values (indices), got a value that is not a whole number in range`);
    }
    const converted = allocate(this.dtype, values.length);
    converted.set(values);
    return { rows, values: converted };
  }
}

function isRecord(input: unknown): input is Readonly<Record<string, unknown>> {
  return typeof input === 'object' && input !== null && !Array.isArray(input) && !ArrayBuffer.isView(input) && !(input instanceof Tensor);
}

function describe(input: unknown): string {
  if (input === null) return 'null';
  if (typeof input === 'string') return 'a string';
  if (ArrayBuffer.isView(input)) return 'bytes';
  if (typeof input === 'object') return 'an object';
  return `a ${typeof input}`;
}

/** The error of input `index`: same kind, its message prefixed with the index. */
function atInput(index: number, error: unknown, context = ''): Error {
  const message = `Predictor.predict: input ${index}: ${context}${error instanceof Error ? error.message : String(error)}`;
  if (error instanceof ShapeError) return new ShapeError(message);
  if (error instanceof DTypeError) return new DTypeError(message);
  return new DataError(message);
}
