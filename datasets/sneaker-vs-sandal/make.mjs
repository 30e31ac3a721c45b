// Writes sneaker/*.png and sandal/*.png: the first 100 Sneaker (label 7) and the first 100 Sandal (label 5)
// images of the Fashion-MNIST training set, as 28×28 grayscale PNGs named after their index in that set.
//
//   node datasets/sneaker-vs-sandal/make.mjs [directory holding train-images-idx3-ubyte.gz and train-labels-idx1-ubyte.gz]
//
// The directory defaults to Debian's copy, /usr/share/datasets/fashion-mnist. Running it again gives the
// same files (given the same sharp version, which encodes the PNGs).
import console from 'node:console';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import sharp from 'sharp';

const PER_CLASS = 100;
const CLASSES = { sandal: 5, sneaker: 7 };
const source = process.argv[2] ?? '/usr/share/datasets/fashion-mnist';
const here = dirname(fileURLToPath(import.meta.url));

// IDX: big-endian u32 magic (0x00000803 for u8 images, 0x00000801 for u8 labels), one u32 per dimension,
// then the u8 elements row-major.
function readIdx(path, magic) {
  const bytes = gunzipSync(readFileSync(path));
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const found = view.getUint32(0, false);
  if (found !== magic) throw new Error(`${path}: magic 0x${found.toString(16)}, expected 0x${magic.toString(16)}`);
  const ndim = magic & 0xff;
  const shape = Array.from({ length: ndim }, (_, d) => view.getUint32(4 + 4 * d, false));
  const start = 4 + 4 * ndim;
  const data = bytes.subarray(start);
  if (data.length !== shape.reduce((a, b) => a * b, 1)) throw new Error(`${path}: ${data.length} bytes of data for shape ${shape}`);
  return { shape, data };
}

const images = readIdx(join(source, 'train-images-idx3-ubyte.gz'), 0x803);
const labels = readIdx(join(source, 'train-labels-idx1-ubyte.gz'), 0x801);
const [count, rows, cols] = images.shape;
if (labels.shape[0] !== count) throw new Error(`${count} images but ${labels.shape[0]} labels`);

for (const [name, label] of Object.entries(CLASSES)) {
  const folder = join(here, name);
  rmSync(folder, { recursive: true, force: true });
  mkdirSync(folder);
  let written = 0;
  for (let i = 0; i < count && written < PER_CLASS; i++) {
    if (labels.data[i] !== label) continue;
    const pixels = images.data.subarray(i * rows * cols, (i + 1) * rows * cols);
    const file = join(folder, `train-${String(i).padStart(5, '0')}.png`);
    await sharp(pixels, { raw: { width: cols, height: rows, channels: 1 } }).toColourspace('b-w').png({ compressionLevel: 9 }).toFile(file);
    written++;
  }
  console.log(`${folder}: ${written} images of label ${label}`);
}
