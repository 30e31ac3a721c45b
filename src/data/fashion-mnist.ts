/**
 * Fashion-MNIST (Zalando Research, MIT licence): 28×28 greyscale images of clothing in 10 classes. Kiln bundles
 * a subset (the first 10,000 training and 2,000 test samples) in `datasets/fashion-mnist/`; point `dir` at
 * the upstream files for the full 60,000 + 10,000.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DataError } from '../errors.js';
import { formatShape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { pixelsToFloat } from './augment.js';
import { loadIdxPair } from './idx.js';

/** The ten Fashion-MNIST classes, indexed by label. */
export const FASHION_MNIST_CLASSES: readonly string[] = Object.freeze([
  'T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot',
]);

/** The folder of the bundled subset (resolved from this module, so it works from `src/` and from `dist/`). */
export const FASHION_MNIST_SUBSET_DIR: string = fileURLToPath(new URL('../../datasets/fashion-mnist/', import.meta.url));

/** Options of {@link loadFashionMnist}. */
export interface FashionMnistOptions {
  /** `train` or `test` (the upstream `t10k` files). */
  split: 'train' | 'test';
  /**
   * A folder with the upstream files (`train-images-idx3-ubyte.gz`, `train-labels-idx1-ubyte.gz`, `t10k-…`;
   * gzipped or not), e.g. `/usr/share/datasets/fashion-mnist` from Debian's `dataset-fashion-mnist`.
   * Defaults to the bundled subset.
   */
  dir?: string;
  /**
   * Return float32 images scaled to [0, 1] (default true). False keeps the raw uint8 pixels, a quarter of the
   * memory; scale them per batch with {@link pixelsToFloat} in the loader's transform.
   */
  scale?: boolean;
}

/** A Fashion-MNIST split. */
export interface FashionMnist {
  /** `[N, 1, 28, 28]`: float32 in [0, 1], or uint8 0–255 with `scale: false`. */
  images: Tensor;
  /** `[N]` int32 class indices 0–9. */
  labels: Tensor;
  /** Name of each class, indexed by label. */
  classNames: string[];
}

/** The path of an upstream file in `dir`, gzipped or not. */
function upstreamFile(dir: string, name: string): string {
  for (const candidate of [`${name}.gz`, name]) {
    const path = join(dir, candidate);
    if (existsSync(path)) return path;
  }
  throw new DataError(
    `loadFashionMnist: ${dir} has neither ${name}.gz nor ${name}; dir must hold the upstream Fashion-MNIST files ` +
      '(e.g. /usr/share/datasets/fashion-mnist after apt-get install dataset-fashion-mnist), or be omitted for the bundled subset',
  );
}

/**
 * Loads a Fashion-MNIST split: the bundled subset by default, or the full set from `dir`.
 *
 * ```ts
 * const { images, labels, classNames } = loadFashionMnist({ split: 'train' });  // [10000,1,28,28] float32
 * ```
 * @throws DataError when files are missing, malformed, disagree in count, or hold other than 28×28 u8 images
 *   with labels 0–9
 */
export function loadFashionMnist(options: FashionMnistOptions): FashionMnist {
  const { split, dir = FASHION_MNIST_SUBSET_DIR, scale = true } = options;
  if (split !== 'train' && split !== 'test') {
    throw new DataError(`loadFashionMnist: split must be 'train' or 'test', got '${String(split)}'`);
  }
  const prefix = split === 'train' ? 'train' : 't10k';
  const imagesPath = upstreamFile(dir, `${prefix}-images-idx3-ubyte`);
  const labelsPath = upstreamFile(dir, `${prefix}-labels-idx1-ubyte`);
  const raw = loadIdxPair(imagesPath, labelsPath);
  const n = raw.images.shape[0]!;
  if (raw.images.dtype !== 'uint8' || raw.images.ndim !== 3 || raw.images.shape[1] !== 28 || raw.images.shape[2] !== 28) {
    throw new DataError(
      `${imagesPath}: Fashion-MNIST images must be u8 [N,28,28], found ${raw.images.dtype} ${formatShape(raw.images.shape)}`,
    );
  }
  const rawLabels = raw.labels.data;
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const label = rawLabels[i]!;
    if (!(label >= 0 && label < FASHION_MNIST_CLASSES.length)) {
      throw new DataError(`${labelsPath}: label ${label} of sample ${i} is not a Fashion-MNIST class (0–9)`);
    }
    labels[i] = label;
  }
  const pixels = new Tensor(raw.images.data, [n, 1, 28, 28]);
  const images = scale ? pixelsToFloat(pixels) : pixels;
  return { images, labels: new Tensor(labels, [n]), classNames: [...FASHION_MNIST_CLASSES] };
}
