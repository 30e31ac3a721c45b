import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { DataError } from '../../src/index.js';
import { pixelsToFloat } from '../../src/data/augment.js';
import { DataLoader } from '../../src/data/data-loader.js';
import { FASHION_MNIST_CLASSES, FASHION_MNIST_SUBSET_DIR, loadFashionMnist } from '../../src/data/fashion-mnist.js';
import { TensorDataset } from '../../src/data/tensor-dataset.js';

/** Samples per class in the bundled subset, as datasets/fashion-mnist/README.md states. */
const TRAIN_BALANCE = [942, 1027, 1016, 1019, 974, 989, 1021, 1022, 990, 1000];
const TEST_BALANCE = [200, 203, 214, 190, 219, 195, 197, 200, 194, 188];

function balance(labels: ArrayLike<number>): number[] {
  const counts = new Array<number>(10).fill(0);
  for (let i = 0; i < labels.length; i++) counts[labels[i]!]! += 1;
  return counts;
}

describe('loadFashionMnist (bundled subset)', () => {
  const train = loadFashionMnist({ split: 'train' });

  test('the training split is 10,000 float images in [0, 1] with int32 labels and the class names', () => {
    assert.equal(train.images.dtype, 'float32');
    assert.deepEqual(train.images.shape, [10000, 1, 28, 28]);
    assert.equal(train.labels.dtype, 'int32');
    assert.deepEqual(train.labels.shape, [10000]);
    assert.deepEqual(train.classNames, [...FASHION_MNIST_CLASSES]);
    assert.equal(train.classNames[9], 'Ankle boot');
    const pixels = train.images.data;
    let min = Infinity;
    let max = -Infinity;
    for (const v of pixels) {
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
    assert.equal(min, 0);
    assert.equal(max, 1);
    // Upstream's first training sample is an ankle boot.
    assert.equal(train.labels.data[0], 9);
  });

  test('the subset holds the class balance its README states', () => {
    assert.deepEqual(balance(train.labels.data), TRAIN_BALANCE);
    assert.deepEqual(balance(loadFashionMnist({ split: 'test' }).labels.data), TEST_BALANCE);
  });

  test('scale: false keeps the raw uint8 pixels, equal to the scaled ones × 255', () => {
    const raw = loadFashionMnist({ split: 'test', scale: false });
    const scaled = loadFashionMnist({ split: 'test' });
    assert.equal(raw.images.dtype, 'uint8');
    assert.deepEqual(raw.images.shape, [2000, 1, 28, 28]);
    for (let i = 0; i < raw.images.size; i += 97) {
      assert.equal(raw.images.data[i], Math.round(scaled.images.data[i]! * 255));
    }
  });

  test('byte images scaled per batch by the loader give the same batches as pre-scaled images', () => {
    const raw = loadFashionMnist({ split: 'test', scale: false });
    const scaled = loadFashionMnist({ split: 'test' });
    const options = { batchSize: 64, shuffle: true, seed: 3 };
    const fromBytes = new DataLoader(new TensorDataset(raw.images, raw.labels), { ...options, transform: pixelsToFloat });
    const fromFloats = new DataLoader(new TensorDataset(scaled.images, scaled.labels), options);
    const a = Array.from(fromBytes).slice(0, 3);
    const b = Array.from(fromFloats).slice(0, 3);
    assert.deepEqual(a.map((x) => x.inputs.shape), [[64, 1, 28, 28], [64, 1, 28, 28], [64, 1, 28, 28]]);
    a.forEach((batch, i) => {
      assert.equal(batch.inputs.dtype, 'float32');
      assert.deepEqual(batch.inputs.data, b[i]!.inputs.data);
      assert.deepEqual(batch.targets.data, b[i]!.targets.data);
    });
  });

  test('a split other than train or test is a DataError', () => {
    assert.throws(() => loadFashionMnist({ split: 'validation' as 'train' }), /split must be 'train' or 'test', got 'validation'/);
  });
});

describe('loadFashionMnist (dir)', () => {
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'kiln-fmnist-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('reads upstream-named files from dir, gzipped or not', () => {
    // The test split stands in for the full files: same names and format, only fewer samples.
    copyFileSync(join(FASHION_MNIST_SUBSET_DIR, 't10k-images-idx3-ubyte.gz'), join(dir, 't10k-images-idx3-ubyte.gz'));
    const labels = gunzipSync(readFileSync(join(FASHION_MNIST_SUBSET_DIR, 't10k-labels-idx1-ubyte.gz')));
    writeFileSync(join(dir, 't10k-labels-idx1-ubyte'), labels);
    const loaded = loadFashionMnist({ split: 'test', dir });
    assert.deepEqual(loaded.images.shape, [2000, 1, 28, 28]);
    assert.deepEqual(Array.from(loaded.labels.data), Array.from(labels.subarray(8)));
  });

  test('missing files are a DataError that says what dir must hold', () => {
    assert.throws(() => loadFashionMnist({ split: 'train', dir }), (e: Error) => {
      assert.ok(e instanceof DataError);
      assert.match(e.message, /has neither train-images-idx3-ubyte\.gz nor train-images-idx3-ubyte/);
      assert.match(e.message, /dataset-fashion-mnist/);
      return true;
    });
  });

  test('files of another shape or with labels outside 0–9 are DataErrors', () => {
    const idx = (typeCode: number, dims: number[], data: number[]): Buffer => {
      const header = Buffer.alloc(4 + 4 * dims.length);
      header[2] = typeCode;
      header[3] = dims.length;
      dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
      return Buffer.concat([header, Buffer.from(data)]);
    };
    writeFileSync(join(dir, 'train-images-idx3-ubyte'), idx(0x08, [2, 2, 2], new Array(8).fill(0)));
    writeFileSync(join(dir, 'train-labels-idx1-ubyte'), idx(0x08, [2], [0, 1]));
    assert.throws(() => loadFashionMnist({ split: 'train', dir }), /must be u8 \[N,28,28\], found uint8 \[2,2,2\]/);
    writeFileSync(join(dir, 'train-images-idx3-ubyte'), idx(0x08, [2, 28, 28], new Array(2 * 784).fill(0)));
    writeFileSync(join(dir, 'train-labels-idx1-ubyte'), idx(0x08, [2], [0, 10]));
    assert.throws(() => loadFashionMnist({ split: 'train', dir }), /label 10 of sample 1 is not a Fashion-MNIST class/);
  });
});
