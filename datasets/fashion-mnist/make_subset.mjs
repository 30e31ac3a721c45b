// Makes the Fashion-MNIST subset bundled with Kiln: the first TRAIN_COUNT training and the first TEST_COUNT
// test samples of the upstream IDX files, written as IDX again (count in the header updated), gzip level 9.
//
//   node datasets/fashion-mnist/make_subset.mjs [upstream-dir]
//
// upstream-dir defaults to Debian's copy (apt-get install -y dataset-fashion-mnist). Plain Node, no
// dependencies, so it runs without building Kiln. Prints the class balance and the file sizes.
// Globals come from their node: modules so that ESLint's browser-neutral defaults accept this file.
import { Buffer } from 'node:buffer';
import console from 'node:console';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import process from 'node:process';
import { URL, fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';

const TRAIN_COUNT = 10_000;
const TEST_COUNT = 2_000;
const CLASS_NAMES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];

const sourceDir = process.argv[2] ?? '/usr/share/datasets/fashion-mnist';
const outDir = fileURLToPath(new URL('.', import.meta.url));

/** Reads an upstream u8 IDX file and returns its dims and a view of its data. */
function readU8Idx(path) {
  const bytes = gunzipSync(readFileSync(path));
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0, false);
  if (magic !== 0x0801 && magic !== 0x0803) throw new Error(`${path}: not a u8 IDX file (magic 0x${magic.toString(16)})`);
  const ndim = magic & 0xff;
  const dims = Array.from({ length: ndim }, (_, i) => view.getUint32(4 + 4 * i, false));
  return { magic, dims, data: bytes.subarray(4 + 4 * ndim) };
}

/** Writes the first `count` samples of `idx` to `name` in outDir; returns the labels or images written. */
function writeFirst(idx, count, name) {
  const rowBytes = idx.dims.slice(1).reduce((a, b) => a * b, 1);
  if (idx.dims[0] < count) throw new Error(`${name}: the source has only ${idx.dims[0]} samples, ${count} wanted`);
  const header = new DataView(new ArrayBuffer(4 + 4 * idx.dims.length));
  header.setUint32(0, idx.magic, false);
  [count, ...idx.dims.slice(1)].forEach((d, i) => header.setUint32(4 + 4 * i, d, false));
  const data = idx.data.subarray(0, count * rowBytes);
  // Level 9: these files are committed, so size matters more than the second it takes.
  const gz = gzipSync(Buffer.concat([new Uint8Array(header.buffer), data]), { level: 9 });
  writeFileSync(join(outDir, name), gz);
  return data;
}

const splits = [
  ['train', TRAIN_COUNT],
  ['t10k', TEST_COUNT],
];
for (const [split, count] of splits) {
  const images = readU8Idx(join(sourceDir, `${split}-images-idx3-ubyte.gz`));
  const labels = readU8Idx(join(sourceDir, `${split}-labels-idx1-ubyte.gz`));
  if (images.dims[0] !== labels.dims[0]) throw new Error(`${split}: ${images.dims[0]} images but ${labels.dims[0]} labels`);
  writeFirst(images, count, `${split}-images-idx3-ubyte.gz`);
  const written = writeFirst(labels, count, `${split}-labels-idx1-ubyte.gz`);
  const perClass = new Array(CLASS_NAMES.length).fill(0);
  for (const label of written) perClass[label] += 1;
  console.log(`${split}: first ${count} of ${images.dims[0]} samples; per class:`);
  perClass.forEach((n, c) => console.log(`  ${c} ${CLASS_NAMES[c].padEnd(12)} ${n}`));
}
for (const split of ['train', 't10k']) {
  for (const kind of ['images-idx3', 'labels-idx1']) {
    const name = `${split}-${kind}-ubyte.gz`;
    console.log(`${name}: ${statSync(join(outDir, name)).size} bytes`);
  }
}
