import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ArgumentError, DataError, Generator, Tensor, arange, fromArray } from '../../src/index.js';
import { Subset } from '../../src/data/dataset.js';
import { kFold, splitDataset, trainTestSplit } from '../../src/data/split.js';
import { TensorDataset } from '../../src/data/tensor-dataset.js';

/** Asserts that the parts are sorted, disjoint and together hold 0…n−1 exactly once. */
function assertPartition(parts: readonly Int32Array[], n: number): void {
  const seen = new Uint8Array(n);
  for (const part of parts) {
    for (let i = 0; i < part.length; i++) {
      const index = part[i]!;
      assert.ok(index >= 0 && index < n, `index ${index} in range`);
      assert.equal(seen[index], 0, `index ${index} appears once`);
      seen[index] = 1;
      if (i > 0) assert.ok(part[i - 1]! < index, 'sorted ascending');
    }
  }
  assert.equal(seen.reduce((a, b) => a + b, 0), n, 'every sample is in some part');
}

/** Labels with the given number of samples per class, shuffled so classes are interleaved. */
function labelsWith(perClass: number[], seed = 0): Tensor {
  const labels = Int32Array.from(perClass.flatMap((count, c) => new Array<number>(count).fill(c)));
  const g = new Generator(seed);
  for (let i = labels.length - 1; i > 0; i--) {
    const j = g.nextInt(0, i + 1);
    [labels[i], labels[j]] = [labels[j]!, labels[i]!];
  }
  return fromArray(labels);
}

/** How many samples of each class the part holds. */
function classCounts(part: Int32Array, labels: Tensor, classes: number): number[] {
  const values = labels.toTypedArray();
  const counts = new Array<number>(classes).fill(0);
  for (const i of part) counts[values[i]!]! += 1;
  return counts;
}

describe('splitDataset', () => {
  test('random parts are disjoint, cover every sample and have the rounded sizes', () => {
    for (const n of [0, 1, 7, 10, 101, 1000]) {
      const parts = splitDataset(n, { fractions: [0.7, 0.2, 0.1], seed: n });
      assertPartition(parts, n);
      const exact = [0.7 * n, 0.2 * n, 0.1 * n];
      parts.forEach((p, i) => assert.ok(Math.abs(p.length - exact[i]!) < 1, `n=${n} part ${i}: ${p.length} vs ${exact[i]}`));
    }
    assert.deepEqual(splitDataset(10, { fractions: [0.55, 0.45], seed: 0 }).map((p) => p.length), [6, 4]);
  });

  test('counts give exact sizes', () => {
    const parts = splitDataset(20, { counts: [12, 0, 8], seed: 1 });
    assert.deepEqual(parts.map((p) => p.length), [12, 0, 8]);
    assertPartition(parts, 20);
  });

  test('a seed reproduces the split and another seed changes it; a generator works too', () => {
    const a = splitDataset(100, { fractions: [0.5, 0.5], seed: 7 });
    assert.deepEqual(splitDataset(100, { fractions: [0.5, 0.5], seed: 7 }), a);
    assert.notDeepEqual(splitDataset(100, { fractions: [0.5, 0.5], seed: 8 }), a);
    assert.deepEqual(splitDataset(100, { fractions: [0.5, 0.5], generator: new Generator(7) }), a);
  });

  test('stratified parts hold every class in proportion (±1) and keep the overall sizes', () => {
    const perClass = [500, 300, 120, 57, 23];
    const labels = labelsWith(perClass, 3);
    const n = labels.size;
    const fractions = [0.7, 0.2, 0.1];
    const parts = splitDataset(n, { fractions, stratify: labels, seed: 5 });
    assertPartition(parts, n);
    const overall = splitDataset(n, { fractions, seed: 5 }).map((p) => p.length);
    assert.deepEqual(parts.map((p) => p.length), overall);
    parts.forEach((part, i) => {
      classCounts(part, labels, perClass.length).forEach((count, c) => {
        const exact = perClass[c]! * fractions[i]!;
        assert.ok(Math.abs(count - exact) <= 1, `part ${i} class ${c}: ${count} vs ${exact}`);
      });
    });
  });

  test('stratified counts that rounding cannot meet class by class still fill every part exactly', () => {
    // Here largest-remainder rounding per class leaves one sample of class 0 with no part short of samples
    // among its best choices; it must still land somewhere.
    const perClass = [3, 5, 9, 5];
    const labels = labelsWith(perClass, 1);
    const counts = [7, 3, 12];
    const parts = splitDataset(22, { counts, stratify: labels, seed: 0 });
    assertPartition(parts, 22);
    assert.deepEqual(parts.map((p) => p.length), counts);
    parts.forEach((part, i) => {
      classCounts(part, labels, 4).forEach((count, c) => {
        assert.ok(Math.abs(count - (perClass[c]! * counts[i]!) / 22) < 2, `part ${i} class ${c}: ${count}`);
      });
    });
  });

  test('stratified splits also reproduce from the seed', () => {
    const labels = labelsWith([40, 30, 30]);
    const split = (seed: number): Int32Array[] => splitDataset(100, { fractions: [0.8, 0.2], stratify: labels, seed });
    assert.deepEqual(split(1), split(1));
    assert.notDeepEqual(split(1), split(2));
  });

  test('a class with a single sample cannot be stratified: DataError naming the class', () => {
    const labels = labelsWith([10, 10, 10, 1]);
    assert.throws(() => splitDataset(31, { fractions: [0.8, 0.2], stratify: labels, seed: 0 }), (e: Error) => {
      assert.ok(e instanceof DataError);
      assert.match(e.message, /class 3 has 1 sample, but a stratified split into 2 non-empty parts needs at least 2 per class/);
      return true;
    });
    // Two samples are enough for two parts, and each part then gets one.
    const parts = splitDataset(31, { fractions: [0.5, 0.5], stratify: labelsWith([10, 10, 9, 2]), seed: 0 });
    assertPartition(parts, 31);
  });

  test('stratify labels of the wrong shape or with non-integer values are DataErrors', () => {
    assert.throws(() => splitDataset(4, { fractions: [0.5, 0.5], stratify: fromArray([0, 1, 0]) }), /must have shape \[4\].*found \[3\]/);
    assert.throws(() => splitDataset(2, { fractions: [0.5, 0.5], stratify: fromArray([0, 0.5]) }), /label 0\.5 of sample 1 is not an integer class/);
  });

  test('sizes that do not add up, or both / neither of fractions and counts, are ArgumentErrors', () => {
    assert.throws(() => splitDataset(10, { fractions: [0.5, 0.4] }), /fractions \[0\.5, 0\.4\] must be non-negative and sum to 1/);
    assert.throws(() => splitDataset(10, { fractions: [1.5, -0.5] }), ArgumentError);
    assert.throws(() => splitDataset(10, { counts: [5, 4] }), /counts \[5, 4\] must be non-negative integers summing to the 10 samples/);
    assert.throws(() => splitDataset(10, {}), /either fractions .* or counts/);
    assert.throws(() => splitDataset(10, { fractions: [1], counts: [10] }), ArgumentError);
    assert.throws(() => splitDataset(-1, { fractions: [1] }), /non-negative integer/);
  });

  test('a TensorDataset splits into TensorDatasets, any other dataset into Subsets', () => {
    const ds = new TensorDataset(arange(0, 20, 1, { dtype: 'float32' }).reshape([10, 2]), arange(0, 10, 1));
    const [train, test] = splitDataset(ds, { fractions: [0.6, 0.4], seed: 2 });
    assert.ok(train instanceof TensorDataset && test instanceof TensorDataset);
    const indices = splitDataset(10, { fractions: [0.6, 0.4], seed: 2 });
    assert.deepEqual(Array.from(train.targets.toTypedArray()), Array.from(indices[0]!));
    assert.deepEqual(Array.from(test.targets.toTypedArray()), Array.from(indices[1]!));

    const view = new Subset(ds, Int32Array.from([9, 8, 7, 6]));
    const parts = splitDataset(view, { counts: [3, 1], seed: 0 });
    assert.ok(parts.every((p) => p instanceof Subset));
    assert.deepEqual(parts.map((p) => p.length), [3, 1]);
  });
});

describe('trainTestSplit', () => {
  test('holds out testFraction (default 0.2) or testCount, without overlap', () => {
    const { train, test } = trainTestSplit(50, { seed: 1 });
    assert.equal(test.length, 10);
    assertPartition([train, test], 50);
    assert.equal(trainTestSplit(50, { testFraction: 0.5, seed: 1 }).test.length, 25);
    assert.equal(trainTestSplit(50, { testCount: 7, seed: 1 }).test.length, 7);
    assert.throws(() => trainTestSplit(50, { testFraction: 1.2 }), /testFraction must lie in \[0, 1\], got 1.2/);
  });

  test('is stratified on request, and refuses a single-sample class', () => {
    const labels = labelsWith([60, 40], 9);
    const { train, test } = trainTestSplit(100, { testFraction: 0.25, stratify: labels, seed: 3 });
    assert.deepEqual(classCounts(test, labels, 2), [15, 10]);
    assert.deepEqual(classCounts(train, labels, 2), [45, 30]);
    assert.throws(() => trainTestSplit(61, { stratify: labelsWith([60, 1]) }), /class 1 has 1 sample/);
  });

  test('splits datasets into datasets', () => {
    const ds = new TensorDataset(arange(0, 10, 1, { dtype: 'float32' }).reshape([10, 1]), arange(0, 10, 1));
    const { train, test } = trainTestSplit(ds, { testCount: 3, seed: 0 });
    assert.equal(train.length + test.length, 10);
    assert.equal(test.length, 3);
  });
});

describe('kFold', () => {
  test('validation folds partition the samples, sizes differ by at most one, train is the complement', () => {
    for (const [n, k] of [[10, 5], [23, 4], [7, 7]] as const) {
      const folds = kFold(n, k, { seed: 1 });
      assert.equal(folds.length, k);
      assertPartition(folds.map((f) => f.validation), n);
      const sizes = folds.map((f) => f.validation.length);
      assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1, `sizes ${sizes}`);
      for (const fold of folds) assertPartition([fold.train, fold.validation], n);
    }
  });

  test('reproduces from the seed', () => {
    assert.deepEqual(kFold(30, 3, { seed: 4 }), kFold(30, 3, { seed: 4 }));
    assert.notDeepEqual(kFold(30, 3, { seed: 4 }), kFold(30, 3, { seed: 5 }));
  });

  test('stratified folds hold every class in proportion (±1)', () => {
    const perClass = [50, 31, 12, 7];
    const labels = labelsWith(perClass, 2);
    const k = 5;
    const folds = kFold(labels.size, k, { stratify: labels, seed: 8 });
    assertPartition(folds.map((f) => f.validation), labels.size);
    for (const fold of folds) {
      classCounts(fold.validation, labels, perClass.length).forEach((count, c) => {
        assert.ok(Math.abs(count - perClass[c]! / k) < 1, `class ${c}: ${count} vs ${perClass[c]! / k}`);
      });
    }
    const sizes = folds.map((f) => f.validation.length);
    assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1);
  });

  test('a class with fewer samples than folds, or a bad k, is refused', () => {
    assert.throws(() => kFold(13, 5, { stratify: labelsWith([10, 3]) }), (e: Error) => {
      assert.ok(e instanceof DataError);
      assert.match(e.message, /class 1 has 3 samples, but a stratified split into 5 folds needs at least 5 per class/);
      return true;
    });
    assert.throws(() => kFold(10, 1), /k must be an integer from 2 to the 10 samples, got 1/);
    assert.throws(() => kFold(3, 4), ArgumentError);
  });
});
