import { ArgumentError, DataError } from '../errors.js';
import { defaultGenerator, Generator } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Batch, Dataset } from './dataset.js';

/**
 * A per-batch transformation of the inputs (augmentation), drawing its randomness from `generator` only, so
 * that a seed reproduces it.
 */
export type BatchTransform = (inputs: Tensor, generator: Generator) => Tensor;

/** Options of {@link DataLoader}. */
export interface DataLoaderOptions {
  /** Samples per batch; the last batch of an epoch may be smaller unless `dropLast`. */
  batchSize: number;
  /** Visit the samples in a new random order every epoch (default false: in index order). */
  shuffle?: boolean;
  /** Skip the last batch of an epoch when it is smaller than `batchSize` (default false). */
  dropLast?: boolean;
  /** The loader's seed. When omitted, one is drawn from `generator` (itself the default generator when omitted). */
  seed?: number;
  /** Where to draw the seed from when `seed` is omitted. */
  generator?: Generator;
  /** Applied to each batch's inputs (targets pass unchanged), e.g. {@link composeAugmentations}. */
  transform?: BatchTransform;
}

/** Where a {@link DataLoader} stands, for checkpoints; plain numbers, JSON-safe. */
export interface DataLoaderState {
  readonly seed: number;
  /** The epoch to continue (0-based). */
  readonly epoch: number;
  /** Batches of that epoch already delivered. */
  readonly position: number;
}

/** Domain tags so the order of an epoch and the augmentation of its batches come from unrelated streams. */
const ORDER_STREAM = 0x6f726472;
const TRANSFORM_STREAM = 0x61756731;

/** A 32-bit hash of the parts (murmur3's finalizer applied per part), used to derive a generator's seed. */
function deriveSeed(...parts: number[]): number {
  let h = 0x2545f491;
  for (const part of parts) {
    h = Math.imul(h ^ (part >>> 0), 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
  }
  return h >>> 0;
}

/**
 * Iterates over a dataset in batches: `for (const { inputs, targets } of loader) …`, one epoch per `for` loop.
 *
 * Every random choice is a function of the seed and the position: the order of epoch `e` comes from
 * (seed, e) and the augmentation of its batch `b` from (seed, e, b). So a run is reproducible given the seed,
 * and {@link DataLoader.getState} / {@link DataLoader.setState} resume it exactly, even mid-epoch. Iterating
 * again after a `break` starts the next epoch, unless a state was set in between.
 */
export class DataLoader implements Iterable<Batch> {
  readonly dataset: Dataset;
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly dropLast: boolean;
  private seedValue: number;
  private readonly transform: BatchTransform | undefined;
  private epoch = 0;
  private position = 0;
  private resumePending = false;
  /** Identifies the live iteration: starting a new one ends the previous one. */
  private iteration = 0;
  private cachedOrder: { epoch: number; order: Int32Array } | null = null;

  /** @throws ArgumentError for a batch size that is not a positive integer or a non-integer seed */
  constructor(dataset: Dataset, options: DataLoaderOptions) {
    const { batchSize, seed } = options;
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new ArgumentError(`DataLoader: batchSize must be a positive integer, got ${batchSize}`);
    }
    if (seed !== undefined && !Number.isInteger(seed)) {
      throw new ArgumentError(`DataLoader: seed must be an integer, got ${seed}`);
    }
    this.dataset = dataset;
    this.batchSize = batchSize;
    this.shuffle = options.shuffle ?? false;
    this.dropLast = options.dropLast ?? false;
    this.seedValue = seed ?? (options.generator ?? defaultGenerator).nextUint32();
    this.transform = options.transform;
  }

  /** Batches per epoch. */
  get length(): number {
    const n = this.dataset.length;
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  /** The seed every order and augmentation derives from (replaced by {@link DataLoader.setState}). */
  get seed(): number {
    return this.seedValue;
  }

  /** The sample order of `epoch`: a seeded permutation when shuffling, else 0…N−1. */
  private orderOf(epoch: number): Int32Array {
    if (this.cachedOrder?.epoch === epoch) return this.cachedOrder.order;
    const n = this.dataset.length;
    const order = new Int32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    if (this.shuffle) {
      const generator = new Generator(deriveSeed(this.seed, ORDER_STREAM, epoch));
      for (let i = n - 1; i > 0; i--) {
        const j = generator.nextInt(0, i + 1);
        const tmp = order[i]!;
        order[i] = order[j]!;
        order[j] = tmp;
      }
    }
    this.cachedOrder = { epoch, order };
    return order;
  }

  /** Where the loader stands: resuming from it continues with the next batch not yet delivered. */
  getState(): DataLoaderState {
    // A finished epoch (or an empty one) is the same place as the start of the next.
    if (this.position >= this.length) return { seed: this.seed, epoch: this.epoch + 1, position: 0 };
    return { seed: this.seed, epoch: this.epoch, position: this.position };
  }

  /**
   * Makes the next iteration continue from `state`, taking its seed too. The state must come from
   * {@link DataLoader.getState} of a loader over the same dataset with the same batch size, shuffle and drop
   * rule; a resumed run then sees exactly the batches the original would have.
   * @throws DataError when the state lies outside this loader's epochs
   */
  setState(state: DataLoaderState): void {
    const { seed, epoch, position } = state;
    const valid = [seed, epoch, position].every(Number.isInteger) && epoch >= 0 && position >= 0 && position <= this.length;
    if (!valid) {
      throw new DataError(
        `DataLoader.setState: seed ${seed}, epoch ${epoch}, position ${position} is not a place in this loader ` +
          `(integers; epoch ≥ 0; position 0..${this.length} batches)`,
      );
    }
    if (seed !== this.seedValue) this.cachedOrder = null;
    this.seedValue = seed;
    // The end of an epoch is the start of the next, as getState reports it.
    const finished = position === this.length;
    this.epoch = finished ? epoch + 1 : epoch;
    this.position = finished ? 0 : position;
    this.resumePending = true;
  }

  /** One epoch of batches: the next epoch, or the rest of the one a {@link DataLoader.setState} points into. */
  *[Symbol.iterator](): Iterator<Batch> {
    if (!this.resumePending && this.position > 0) {
      this.epoch++;
      this.position = 0;
    }
    this.resumePending = false;
    const iteration = ++this.iteration;
    const epoch = this.epoch;
    const order = this.orderOf(epoch);
    while (true) {
      if (this.iteration !== iteration) {
        throw new DataError('DataLoader: a new iteration over this loader started while this one was still running; use one at a time');
      }
      if (this.position >= this.length) break;
      const batchIndex = this.position;
      const start = batchIndex * this.batchSize;
      const batch = this.dataset.take(order.subarray(start, Math.min(start + this.batchSize, order.length)));
      // Counted before the yield, so getState() inside the loop body already points past this batch.
      this.position++;
      if (this.transform === undefined) {
        yield batch;
      } else {
        const generator = new Generator(deriveSeed(this.seed, TRANSFORM_STREAM, epoch, batchIndex));
        yield { inputs: this.transform(batch.inputs, generator), targets: batch.targets };
      }
    }
    this.epoch++;
    this.position = 0;
  }
}
