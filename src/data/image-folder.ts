/**
 * Image classification data laid out as one folder per class — `root/cat/001.jpg`, `root/dog/002.png` — the
 * layout of the cat-vs-dog style datasets. Images are decoded and resized with sharp into one float32 tensor.
 */
import { readdir, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { ArgumentError, DataError } from '../errors.js';
import { Tensor } from '../tensor/tensor.js';
import { ImageResize, type ImageResizeOptions } from './preprocessing/image-resize.js';

/** File extensions read as images (compared case-insensitively). */
export const IMAGE_EXTENSIONS: readonly string[] = ['.png', '.jpg', '.jpeg', '.webp'];

/** One image file of a folder listing and its class index. */
export interface ImageFile {
  readonly file: string;
  readonly label: number;
}

/** What {@link listImageFolder} found. */
export interface ImageFolderListing {
  /** Class folder names, sorted by code point; a label is an index into it. */
  readonly classNames: readonly string[];
  /** Image files, by class and then by name. */
  readonly files: readonly ImageFile[];
  /** Files in class folders whose extension is not an image's (they are not read). */
  readonly ignored: readonly string[];
}

/** An image that could not be used, and why. */
export interface SkippedFile {
  readonly file: string;
  readonly reason: string;
}

/** Options of {@link loadImageFolder}: the target size, channels and fit of {@link ImageResize}, and more. */
export interface ImageFolderOptions extends ImageResizeOptions {
  /** Images decoded at the same time; default 8. */
  concurrency?: number;
}

/** The result of {@link loadImageFolder}. */
export interface ImageFolder {
  /** float32 `[N, C, H, W]`, pixel values in [0, 1]. */
  readonly images: Tensor;
  /** int32 `[N]`, indices into `classNames`. */
  readonly labels: Tensor;
  /** Class folder names, sorted by code point. */
  readonly classNames: readonly string[];
  /** The file of each loaded image, in tensor order. */
  readonly files: readonly string[];
  /** Images that could not be decoded, with sharp's reason. */
  readonly skipped: readonly SkippedFile[];
  /** The resize parameters used; save them with the model so inference decodes images the same way. */
  readonly resize: ImageResize;
}

const byCodePoint = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Runs `task(0 … count−1)` with at most `concurrency` tasks in flight (sharp decodes on libuv's thread pool). */
export async function forEachConcurrently(count: number, concurrency: number, task: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}

/**
 * Lists `root/<class>/<image>` files without decoding them. Subfolders of class folders and files directly
 * under `root` are not read; hidden entries (names starting with '.') are left out.
 * @throws DataError when `root` is not a readable folder or has no class folders
 */
export async function listImageFolder(root: string): Promise<ImageFolderListing> {
  let entries: string[];
  try {
    entries = await readdir(root);
  } catch (cause) {
    throw new DataError(`${root}: cannot read the image folder (${(cause as Error).message}); expected ${root}/<class>/<image>.png|jpg|jpeg|webp`);
  }
  const classNames: string[] = [];
  for (const name of entries.filter((n) => !n.startsWith('.')).sort(byCodePoint)) {
    // stat, not the entry type, so a symlinked class folder counts; a dangling link is no folder.
    const info = await stat(join(root, name)).catch(() => undefined);
    if (info?.isDirectory()) classNames.push(name);
  }
  if (classNames.length === 0) {
    throw new DataError(`${root}: no class folders found; expected one folder per class, like ${root}/cat/001.jpg and ${root}/dog/002.jpg`);
  }
  const files: ImageFile[] = [];
  const ignored: string[] = [];
  for (const [label, className] of classNames.entries()) {
    const folder = join(root, className);
    let folderEntries;
    try {
      folderEntries = await readdir(folder, { withFileTypes: true });
    } catch (cause) {
      throw new DataError(`${folder}: cannot read the class folder (${(cause as Error).message})`);
    }
    for (const entry of folderEntries.sort((a, b) => byCodePoint(a.name, b.name))) {
      if (entry.name.startsWith('.') || entry.isDirectory()) continue;
      const file = join(folder, entry.name);
      if (IMAGE_EXTENSIONS.includes(extname(entry.name).toLowerCase())) files.push({ file, label });
      else ignored.push(file);
    }
  }
  return { classNames, files, ignored };
}

/**
 * Loads an image folder (`root/<class>/*.png|jpg|jpeg|webp`) into tensors: every image decoded, converted to
 * `channels`, resized to `size` by `fit` (see {@link ImageResize}) and scaled to [0, 1]. An image that cannot
 * be read or decoded is skipped, named in `skipped` with the reason, and loading goes on.
 * @throws DataError when the folder has no class folders or no image could be loaded
 */
export async function loadImageFolder(root: string, options: ImageFolderOptions): Promise<ImageFolder> {
  const resize = new ImageResize(options);
  const concurrency = options.concurrency ?? 8;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new ArgumentError(`loadImageFolder: concurrency must be a whole number ≥ 1, got ${concurrency}`);
  }
  const { classNames, files } = await listImageFolder(root);
  const size = resize.imageSize;
  const pixels = new Float32Array(files.length * size);
  const failures: (string | undefined)[] = new Array(files.length);
  // Each image writes into its own slot, so the order stays the listing's whatever order decoding ends in.
  await forEachConcurrently(files.length, concurrency, async (i) => {
    try {
      await resize.decodeInto(files[i]!.file, pixels, i * size);
    } catch (error) {
      failures[i] = (error as Error).message;
    }
  });

  const skipped: SkippedFile[] = [];
  const kept: number[] = [];
  files.forEach(({ file }, i) => {
    const reason = failures[i];
    if (reason === undefined) kept.push(i);
    else skipped.push({ file, reason });
  });
  if (kept.length === 0) {
    const why = skipped.length === 0 ? 'it has no .png, .jpg, .jpeg or .webp files in its class folders' : `all ${skipped.length} failed to decode (first: ${skipped[0]!.file}: ${skipped[0]!.reason})`;
    throw new DataError(`${root}: no images could be loaded; ${why}`);
  }
  // Close the gaps left by skipped images, in place: kept slots only ever move towards the front.
  kept.forEach((from, to) => {
    if (from !== to) pixels.copyWithin(to * size, from * size, (from + 1) * size);
  });
  const images = new Tensor(kept.length === files.length ? pixels : pixels.slice(0, kept.length * size), [
    kept.length,
    resize.channels,
    resize.height,
    resize.width,
  ]);
  const labels = new Tensor(Int32Array.from(kept, (i) => files[i]!.label), [kept.length]);
  return { images, labels, classNames, files: kept.map((i) => files[i]!.file), skipped, resize };
}
