/**
 * Seeded train / validation / test splits and k-fold cross-validation, random or stratified by class. Parts
 * never overlap and together cover every sample once. Index arrays come back sorted ascending: the loader
 * shuffles anyway, and sorted subsets read the parent's memory in order.
 */
import { ArgumentError, DataError } from '../errors.js';
import { defaultGenerator, Generator } from '../tensor/random.js';
import { formatShape } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { Subset, type Dataset } from './dataset.js';
import { TensorDataset } from './tensor-dataset.js';

/** How to draw: a seed, or a generator to draw from (the default generator when both are omitted). */
export interface SeedOptions {
  seed?: number;
  generator?: Generator;
}

/** Options of {@link splitDataset}: the part sizes as `fractions` or `counts` (exactly one of them). */
export interface SplitOptions extends SeedOptions {
  /** Share of the samples in each part, e.g. `[0.8, 0.1, 0.1]`; non-negative, summing to 1. */
  fractions?: readonly number[];
  /** Samples in each part; non-negative integers summing to the number of samples. */
  counts?: readonly number[];
  /**
   * Class labels `[N]` (integer values): each class is divided among the parts in the parts' proportions.
   * Every class needs at least one sample per non-empty part, else a {@link DataError} names it.
   */
  stratify?: Tensor;
}

/** Options of {@link trainTestSplit}. */
export interface TrainTestSplitOptions extends SeedOptions {
  /** Share of the samples held out for testing (default 0.2); ignored when `testCount` is given. */
  testFraction?: number;
  /** Exact number of test samples. */
  testCount?: number;
  /** Class labels `[N]` to stratify by, as in {@link SplitOptions.stratify}. */
  stratify?: Tensor;
}

/** Two parts of a dataset, or of its indices. */
export interface TrainTest<T> {
  readonly train: T;
  readonly test: T;
}

/** One fold of {@link kFold}: validate on `validation`, train on everything else. */
export interface Fold {
  readonly train: Int32Array;
  readonly validation: Int32Array;
}

/** Options of {@link kFold}. */
export interface KFoldOptions extends SeedOptions {
  /** Class labels `[N]`: every fold gets each class in proportion; each class needs at least k samples. */
  stratify?: Tensor;
}

function generatorOf(options: SeedOptions): Generator {
  if (options.seed !== undefined) return new Generator(options.seed);
  return options.generator ?? defaultGenerator;
}

function identity(n: number): Int32Array {
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  return order;
}

function shuffleInPlace(values: Int32Array, generator: Generator): void {
  for (let i = values.length - 1; i > 0; i--) {
    const j = generator.nextInt(0, i + 1);
    const tmp = values[i]!;
    values[i] = values[j]!;
    values[j] = tmp;
  }
}

function checkLength(n: number, what: string): void {
  if (!Number.isInteger(n) || n < 0) throw new ArgumentError(`${what}: the sample count must be a non-negative integer, got ${n}`);
}

/**
 * Rounds `shares` (summing to `total`) to integers with the same sum, by largest remainder (ties to the
 * earlier part), so no part is off by more than one from its exact share.
 */
function roundShares(shares: readonly number[], total: number): number[] {
  const sizes = shares.map(Math.floor);
  let left = total - sizes.reduce((a, b) => a + b, 0);
  const byRemainder = shares.map((s, i) => ({ i, r: s - Math.floor(s) })).sort((a, b) => b.r - a.r || a.i - b.i);
  for (const { i } of byRemainder) {
    if (left <= 0) break;
    sizes[i]! += 1;
    left--;
  }
  return sizes;
}

/** The size of each part, from fractions or counts. */
function partSizes(n: number, options: SplitOptions, what: string): number[] {
  const { fractions, counts } = options;
  if ((fractions === undefined) === (counts === undefined)) {
    throw new ArgumentError(`${what}: give the part sizes as either fractions (e.g. [0.8, 0.2]) or counts, exactly one of them`);
  }
  if (counts !== undefined) {
    const sum = counts.reduce((a, b) => a + b, 0);
    if (counts.length === 0 || !counts.every((c) => Number.isInteger(c) && c >= 0) || sum !== n) {
      throw new ArgumentError(`${what}: counts [${counts.join(', ')}] must be non-negative integers summing to the ${n} samples`);
    }
    return [...counts];
  }
  const shares = fractions!;
  const sum = shares.reduce((a, b) => a + b, 0);
  if (shares.length === 0 || !shares.every((f) => Number.isFinite(f) && f >= 0) || Math.abs(sum - 1) > 1e-9) {
    throw new ArgumentError(`${what}: fractions [${shares.join(', ')}] must be non-negative and sum to 1 (they sum to ${sum})`);
  }
  return roundShares(shares.map((f) => f * n), n);
}

/** The sample indices of each class, in class order, from integer labels `[n]`. */
function classMembers(labels: Tensor, n: number, what: string): { label: number; members: Int32Array }[] {
  if (labels.ndim !== 1 || labels.shape[0] !== n) {
    throw new DataError(`${what}: stratify labels must have shape [${n}] (one per sample), found ${formatShape(labels.shape)}`);
  }
  const values = labels.contiguousData();
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const label = values[i]!;
    if (!Number.isInteger(label)) throw new DataError(`${what}: stratify label ${label} of sample ${i} is not an integer class`);
    let members = byClass.get(label);
    if (members === undefined) byClass.set(label, (members = []));
    members.push(i);
  }
  return [...byClass.entries()].sort((a, b) => a[0] - b[0]).map(([label, members]) => ({ label, members: Int32Array.from(members) }));
}

/**
 * Per class × part counts whose row sums are the class sizes and whose column sums are the part sizes, each
 * as close to the class's proportional share as rounding allows.
 */
function allocateClasses(classSizes: readonly number[], sizes: readonly number[], n: number): number[][] {
  const quota = classSizes.map((m) => sizes.map((s) => (m * s) / n));
  const counts = quota.map((row) => row.map(Math.floor));
  const classLeft = classSizes.map((m, c) => m - counts[c]!.reduce((a, b) => a + b, 0));
  const partLeft = sizes.map((s, p) => s - counts.reduce((a, row) => a + row[p]!, 0));
  const cells = quota.flatMap((row, c) => row.map((q, p) => ({ c, p, r: q - Math.floor(q) })));
  cells.sort((a, b) => b.r - a.r || a.c - b.c || a.p - b.p);
  for (const { c, p } of cells) {
    if (classLeft[c]! > 0 && partLeft[p]! > 0) {
      counts[c]![p]! += 1;
      classLeft[c]!--;
      partLeft[p]!--;
    }
  }
  // Rounding can leave a class's last units where only full parts had remainders; both sides hold the same
  // total, so handing them to any part still short always completes the table.
  for (let c = 0; c < classSizes.length; c++) {
    for (let p = 0; p < sizes.length && classLeft[c]! > 0; p++) {
      const give = Math.min(classLeft[c]!, partLeft[p]!);
      counts[c]![p]! += give;
      classLeft[c]! -= give;
      partLeft[p]! -= give;
    }
  }
  return counts;
}

/** Throws a {@link DataError} naming the first class with fewer than `needed` samples. */
function checkClassSizes(classes: readonly { label: number; members: Int32Array }[], needed: number, parts: string, what: string): void {
  for (const { label, members } of classes) {
    if (members.length < needed) {
      throw new DataError(
        `${what}: class ${label} has ${members.length} sample${members.length === 1 ? '' : 's'}, but a stratified ` +
          `split into ${parts} needs at least ${needed} per class (one in each); remove or merge that class, or split without stratify`,
      );
    }
  }
}

function splitIndices(n: number, options: SplitOptions, what: string): Int32Array[] {
  checkLength(n, what);
  const sizes = partSizes(n, options, what);
  const generator = generatorOf(options);
  const parts = sizes.map((size) => new Int32Array(size));
  if (options.stratify === undefined) {
    const order = identity(n);
    shuffleInPlace(order, generator);
    let start = 0;
    parts.forEach((part) => {
      part.set(order.subarray(start, start + part.length));
      start += part.length;
    });
  } else {
    const classes = classMembers(options.stratify, n, what);
    const nonEmpty = sizes.filter((s) => s > 0).length;
    checkClassSizes(classes, nonEmpty, `${nonEmpty} non-empty parts`, what);
    const table = allocateClasses(classes.map((c) => c.members.length), sizes, n);
    const filled = sizes.map(() => 0);
    classes.forEach(({ members }, c) => {
      shuffleInPlace(members, generator);
      let start = 0;
      table[c]!.forEach((count, p) => {
        parts[p]!.set(members.subarray(start, start + count), filled[p]);
        filled[p]! += count;
        start += count;
      });
    });
  }
  return parts.map((part) => part.sort());
}

function partsOf(data: number | Dataset, parts: Int32Array[]): (Int32Array | TensorDataset | Subset)[] {
  if (typeof data === 'number') return parts;
  if (data instanceof TensorDataset) return parts.map((indices) => data.subset(indices));
  return parts.map((indices) => new Subset(data, indices));
}

/**
 * Splits `data` — a sample count, or a dataset — into parts of the given fractions or counts, at random
 * (seeded) or stratified by class. A count gives sorted index arrays, a {@link TensorDataset} gives
 * TensorDatasets (copies), any other dataset gives {@link Subset} views.
 *
 * ```ts
 * const [train, val, test] = splitDataset(dataset, { fractions: [0.8, 0.1, 0.1], stratify: labels, seed: 1 });
 * ```
 * @throws ArgumentError for sizes that do not add up; DataError for a class too small to stratify
 */
export function splitDataset(data: number, options: SplitOptions): Int32Array[];
export function splitDataset(data: TensorDataset, options: SplitOptions): TensorDataset[];
export function splitDataset(data: Dataset, options: SplitOptions): Subset[];
export function splitDataset(data: number | Dataset, options: SplitOptions): (Int32Array | TensorDataset | Subset)[] {
  const n = typeof data === 'number' ? data : data.length;
  return partsOf(data, splitIndices(n, options, 'splitDataset'));
}

/**
 * Holds out a test part: {@link splitDataset} with two parts, `testFraction` (default 0.2) or `testCount`
 * of the samples going to `test`.
 */
export function trainTestSplit(data: number, options: TrainTestSplitOptions): TrainTest<Int32Array>;
export function trainTestSplit(data: TensorDataset, options: TrainTestSplitOptions): TrainTest<TensorDataset>;
export function trainTestSplit(data: Dataset, options: TrainTestSplitOptions): TrainTest<Subset>;
export function trainTestSplit(data: number | Dataset, options: TrainTestSplitOptions): TrainTest<Int32Array | TensorDataset | Subset> {
  const n = typeof data === 'number' ? data : data.length;
  const { testCount, testFraction = 0.2 } = options;
  if (testCount === undefined && !(testFraction >= 0 && testFraction <= 1)) {
    throw new ArgumentError(`trainTestSplit: testFraction must lie in [0, 1], got ${testFraction}`);
  }
  const sizes = testCount === undefined ? { fractions: [1 - testFraction, testFraction] } : { counts: [n - testCount, testCount] };
  const [train, test] = partsOf(data, splitIndices(n, { ...options, ...sizes }, 'trainTestSplit'));
  return { train: train!, test: test! };
}

/**
 * K-fold cross-validation indices: the samples are shuffled (seeded) and dealt into `k` folds whose sizes
 * differ by at most one; fold `i` validates on its own samples and trains on the rest. Stratified, each
 * class is dealt round the folds in turn, so every fold holds each class in proportion (±1).
 * @throws ArgumentError unless 2 ≤ k ≤ n; DataError for a class with fewer than k samples when stratifying
 */
export function kFold(n: number, k: number, options: KFoldOptions = {}): Fold[] {
  checkLength(n, 'kFold');
  if (!Number.isInteger(k) || k < 2 || k > n) {
    throw new ArgumentError(`kFold: k must be an integer from 2 to the ${n} samples, got ${k}`);
  }
  const generator = generatorOf(options);
  let order: Int32Array;
  if (options.stratify === undefined) {
    order = identity(n);
    shuffleInPlace(order, generator);
  } else {
    const classes = classMembers(options.stratify, n, 'kFold');
    checkClassSizes(classes, k, `${k} folds`, 'kFold');
    // Class after class, each shuffled: dealing position j to fold j mod k spreads every class evenly.
    order = new Int32Array(n);
    let j = 0;
    for (const { members } of classes) {
      shuffleInPlace(members, generator);
      order.set(members, j);
      j += members.length;
    }
  }
  const foldOf = new Int32Array(n);
  for (let j = 0; j < n; j++) foldOf[order[j]!] = j % k;
  return Array.from({ length: k }, (_, f) => {
    const held = Math.floor(n / k) + (f < n % k ? 1 : 0);
    const validation = new Int32Array(held);
    const train = new Int32Array(n - held);
    let v = 0;
    let t = 0;
    // Scanning samples in index order leaves both lists sorted without a sort.
    for (let i = 0; i < n; i++) {
      if (foldOf[i] === f) validation[v++] = i;
      else train[t++] = i;
    }
    return { train, validation };
  });
}
