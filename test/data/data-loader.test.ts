import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ArgumentError, DataError, Generator, Tensor, fromArray } from '../../src/index.js';
import { DataLoader, type BatchTransform } from '../../src/data/data-loader.js';
import { TensorDataset } from '../../src/data/tensor-dataset.js';

/** n samples whose input row is [i, i] and whose target is i, so a batch shows which samples it holds. */
function numbered(n: number): TensorDataset {
  const inputs = new Float32Array(2 * n);
  for (let i = 0; i < n; i++) inputs.fill(i, 2 * i, 2 * i + 2);
  return new TensorDataset(new Tensor(inputs, [n, 2]), fromArray(Int32Array.from({ length: n }, (_, i) => i)));
}

/** The targets of every batch of one epoch. */
const epoch = (loader: DataLoader): number[][] => Array.from(loader, (b) => Array.from(b.targets.toTypedArray()));

/** Adds a random offset per batch, so the augmentation stream is visible in the inputs. */
const noise: BatchTransform = (inputs, generator) => {
  const out = new Float32Array(inputs.toTypedArray());
  const offset = generator.nextDouble();
  for (let i = 0; i < out.length; i++) out[i]! += offset;
  return new Tensor(out, inputs.shape);
};

describe('DataLoader', () => {
  test('without shuffling, batches follow index order and the last one is smaller', () => {
    const loader = new DataLoader(numbered(7), { batchSize: 3 });
    assert.equal(loader.length, 3);
    assert.deepEqual(epoch(loader), [[0, 1, 2], [3, 4, 5], [6]]);
    const first = loader[Symbol.iterator]().next().value!;
    assert.deepEqual(first.inputs.toArray(), [[0, 0], [1, 1], [2, 2]]);
  });

  test('dropLast drops the incomplete batch and length counts only full ones', () => {
    const loader = new DataLoader(numbered(7), { batchSize: 3, dropLast: true });
    assert.equal(loader.length, 2);
    assert.deepEqual(epoch(loader), [[0, 1, 2], [3, 4, 5]]);
    assert.equal(new DataLoader(numbered(6), { batchSize: 3, dropLast: true }).length, 2);
    assert.equal(new DataLoader(numbered(2), { batchSize: 3, dropLast: true }).length, 0);
  });

  test('shuffling visits every sample exactly once per epoch, in a new order each epoch', () => {
    const loader = new DataLoader(numbered(50), { batchSize: 8, shuffle: true, seed: 3 });
    const e0 = epoch(loader).flat();
    const e1 = epoch(loader).flat();
    for (const order of [e0, e1]) assert.deepEqual([...order].sort((a, b) => a - b), Array.from({ length: 50 }, (_, i) => i));
    assert.notDeepEqual(e0, e1);
    assert.notDeepEqual(e0, Array.from({ length: 50 }, (_, i) => i));
  });

  test('the same seed gives the same epochs; another seed gives others', () => {
    const run = (seed: number): number[][][] => {
      const loader = new DataLoader(numbered(20), { batchSize: 4, shuffle: true, seed });
      return [epoch(loader), epoch(loader), epoch(loader)];
    };
    assert.deepEqual(run(11), run(11));
    assert.notDeepEqual(run(11), run(12));
  });

  test('without a seed, the seed is drawn from the given generator', () => {
    const a = new DataLoader(numbered(5), { batchSize: 2, generator: new Generator(9) });
    const b = new DataLoader(numbered(5), { batchSize: 2, generator: new Generator(9) });
    assert.equal(a.seed, b.seed);
    assert.equal(a.seed, new Generator(9).nextUint32());
  });

  test('the transform changes inputs only, and reproduces from the seed', () => {
    const make = (seed: number): DataLoader => new DataLoader(numbered(10), { batchSize: 4, shuffle: true, seed, transform: noise });
    const batches = Array.from(make(5));
    for (const b of batches) {
      const inputs = b.inputs.toTypedArray();
      const offset = inputs[0]! - b.targets.toTypedArray()[0]!;
      assert.ok(offset > 0 && offset < 1, 'an offset in [0, 1) was added');
      b.targets.toTypedArray().forEach((t, i) => assert.ok(Math.abs(inputs[2 * i]! - t - offset) < 1e-5));
    }
    const again = Array.from(make(5));
    assert.deepEqual(again.map((b) => b.inputs.toArray()), batches.map((b) => b.inputs.toArray()));
    assert.notDeepEqual(Array.from(make(6)).map((b) => b.inputs.toArray()), batches.map((b) => b.inputs.toArray()));
  });

  test('getState/setState resume mid-epoch with exactly the batches (and augmentations) an unbroken run sees', () => {
    const options = { batchSize: 3, shuffle: true, transform: noise };
    const reference = new DataLoader(numbered(10), { ...options, seed: 21 });
    const unbroken = [...Array.from(reference), ...Array.from(reference)].map((b) => b.inputs.toArray());

    const first = new DataLoader(numbered(10), { ...options, seed: 21 });
    const seen: unknown[] = Array.from(first).map((b) => b.inputs.toArray());
    let state = first.getState();
    for (const b of first) {
      seen.push(b.inputs.toArray());
      if (seen.length === 6) {
        state = first.getState();
        break;
      }
    }
    assert.deepEqual(state, { seed: 21, epoch: 1, position: 2 });
    const state2 = JSON.parse(JSON.stringify(state)) as typeof state;

    const resumed = new DataLoader(numbered(10), { ...options, seed: 999 });
    resumed.setState(state2);
    assert.equal(resumed.seed, 21);
    for (const b of resumed) seen.push(b.inputs.toArray());
    assert.deepEqual(seen, unbroken);
    assert.deepEqual(resumed.getState(), { seed: 21, epoch: 2, position: 0 });
  });

  test('a state taken during the last batch points at the next epoch', () => {
    const loader = new DataLoader(numbered(4), { batchSize: 2 });
    const states = Array.from(loader, () => loader.getState());
    assert.deepEqual(states, [{ seed: loader.seed, epoch: 0, position: 1 }, { seed: loader.seed, epoch: 1, position: 0 }]);
  });

  test('iterating again after a break starts the next epoch', () => {
    const loader = new DataLoader(numbered(12), { batchSize: 3, shuffle: true, seed: 4 });
    const reference = new DataLoader(numbered(12), { batchSize: 3, shuffle: true, seed: 4 });
    epoch(reference);
    const abandoned = loader[Symbol.iterator]();
    abandoned.next();
    abandoned.return?.();
    assert.deepEqual(epoch(loader), epoch(reference));
  });

  test('two iterations at once are refused rather than interleaved', () => {
    const loader = new DataLoader(numbered(6), { batchSize: 2 });
    const outer = loader[Symbol.iterator]();
    outer.next();
    Array.from(loader);
    assert.throws(() => outer.next(), (e: Error) => e instanceof DataError && /one at a time/.test(e.message));
  });

  test('bad options and states are rejected clearly', () => {
    assert.throws(() => new DataLoader(numbered(3), { batchSize: 0 }), ArgumentError);
    assert.throws(() => new DataLoader(numbered(3), { batchSize: 1.5 }), /batchSize must be a positive integer, got 1.5/);
    assert.throws(() => new DataLoader(numbered(3), { batchSize: 1, seed: 0.5 }), /seed must be an integer/);
    const loader = new DataLoader(numbered(3), { batchSize: 2, seed: 1 });
    assert.throws(() => loader.setState({ seed: 1, epoch: 0, position: 3 }), (e: Error) => e instanceof DataError && /position 0\.\.2/.test(e.message));
    assert.throws(() => loader.setState({ seed: 1, epoch: -1, position: 0 }), DataError);
    loader.setState({ seed: 1, epoch: 4, position: 2 });
    assert.deepEqual(loader.getState(), { seed: 1, epoch: 5, position: 0 }, 'the end of an epoch is the start of the next');
    assert.equal(epoch(loader).length, 2);
  });
});
