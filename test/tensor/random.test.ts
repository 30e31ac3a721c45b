import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ArgumentError, Generator, defaultGenerator, manualSeed, rand } from '../../src/index.js';

const draws = (g: Generator, n: number): number[] => Array.from({ length: n }, () => g.nextUint32());

describe('Generator', () => {
  test('the same seed gives the same stream, different seeds differ', () => {
    assert.deepEqual(draws(new Generator(17), 20), draws(new Generator(17), 20));
    assert.notDeepEqual(draws(new Generator(17), 20), draws(new Generator(18), 20));
  });

  test('nextUint32 gives unsigned 32-bit integers that vary', () => {
    const v = draws(new Generator(1), 1000);
    assert.ok(v.every((x) => Number.isInteger(x) && x >= 0 && x <= 0xffffffff));
    assert.ok(new Set(v).size > 990);
    // Both halves of the range show up (the sign bit is not lost).
    assert.ok(v.some((x) => x >= 0x80000000) && v.some((x) => x < 0x80000000));
  });

  test('nextUint32 follows the xoshiro128** reference stream', () => {
    // Reference outputs for the state [1, 2, 3, 4] (as in the rand_xoshiro test vectors).
    const g = new Generator();
    g.setState({ seed: 0, s: [1, 2, 3, 4] });
    assert.deepEqual(draws(g, 10), [
      11520, 0, 5927040, 70819200, 2031721883, 1637235492, 1287239034, 3734860849, 3729100597, 4258142804,
    ]);
  });

  test('seeds are taken modulo 2^32', () => {
    assert.deepEqual(draws(new Generator(-1), 5), draws(new Generator(0xffffffff), 5));
    assert.deepEqual(draws(new Generator(2 ** 32 + 5), 5), draws(new Generator(5), 5));
  });

  test('seed reports the last seed and non-finite seeds are rejected', () => {
    const g = new Generator(3);
    assert.equal(g.seed, 3);
    g.manualSeed(11);
    assert.equal(g.seed, 11);
    assert.throws(() => g.manualSeed(NaN), ArgumentError);
    assert.throws(() => new Generator(Infinity), ArgumentError);
  });

  test('manualSeed restarts the stream', () => {
    const g = new Generator(5);
    const first = draws(g, 10);
    assert.notDeepEqual(draws(g, 10), first);
    assert.equal(g.manualSeed(5), g);
    assert.deepEqual(draws(g, 10), first);
  });

  test('getState / setState resume the exact stream', () => {
    const g = new Generator(2024);
    draws(g, 7);
    g.nextDouble();
    const state = g.getState();
    const expected = [...draws(g, 10), g.nextDouble(), g.nextInt(0, 7)];

    // Resuming the same generator after it moved on.
    draws(g, 50);
    g.setState(state);
    assert.deepEqual([...draws(g, 10), g.nextDouble(), g.nextInt(0, 7)], expected);

    // A fresh generator with another seed, via a JSON round trip (as in a checkpoint).
    const h = new Generator(1);
    h.setState(JSON.parse(JSON.stringify(state)));
    assert.equal(h.seed, 2024);
    assert.deepEqual([...draws(h, 10), h.nextDouble(), h.nextInt(0, 7)], expected);
  });

  test('getState returns a snapshot, not live state', () => {
    const g = new Generator(9);
    const state = g.getState();
    const copy = JSON.stringify(state);
    draws(g, 5);
    assert.equal(JSON.stringify(state), copy);
  });

  test('setState rejects malformed states', () => {
    const g = new Generator(0);
    assert.throws(() => g.setState({ seed: 0, s: [1, 2, 3] as unknown as [number, number, number, number] }), ArgumentError);
    assert.throws(() => g.setState({ seed: 0, s: [1, 2, 3, 0.5] }), ArgumentError);
    assert.throws(() => g.setState({ seed: 0 } as never), ArgumentError);
  });

  test('nextDouble is in [0, 1) with mean ≈ 0.5', () => {
    const g = new Generator(12);
    let sum = 0;
    for (let i = 0; i < 10_000; i++) {
      const x = g.nextDouble();
      assert.ok(x >= 0 && x < 1, `${x}`);
      sum += x;
    }
    assert.ok(Math.abs(sum / 10_000 - 0.5) < 0.02);
  });

  test('nextInt is in [low, high) and covers it', () => {
    const g = new Generator(13);
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) {
      const x = g.nextInt(-3, 4);
      assert.ok(Number.isInteger(x) && x >= -3 && x < 4, `${x}`);
      seen.add(x);
    }
    assert.equal(seen.size, 7);
    assert.equal(g.nextInt(5, 6), 5);
  });

  test('nextInt handles spans of 2^32 and beyond', () => {
    const g = new Generator(14);
    for (let i = 0; i < 100; i++) {
      const a = g.nextInt(0, 2 ** 32);
      assert.ok(Number.isInteger(a) && a >= 0 && a < 2 ** 32);
      const b = g.nextInt(-(2 ** 40), 2 ** 40);
      assert.ok(Number.isInteger(b) && b >= -(2 ** 40) && b < 2 ** 40);
    }
  });

  test('nextInt with high ≤ low is an ArgumentError', () => {
    const g = new Generator(0);
    assert.throws(() => g.nextInt(3, 3), ArgumentError);
    assert.throws(() => g.nextInt(3, 1), ArgumentError);
  });

  test('fillUniform and fillNormal write every element', () => {
    const g = new Generator(15);
    const u = new Float64Array(9);
    g.fillUniform(u, 2, 3);
    assert.ok(u.every((x) => x >= 2 && x < 3));
    const n = new Float64Array(9).fill(NaN);
    g.fillNormal(n, 0, 1);
    assert.ok(n.every((x) => Number.isFinite(x)));
  });
});

describe('default generator', () => {
  test('manualSeed seeds the default generator and returns it', () => {
    assert.equal(manualSeed(77), defaultGenerator);
    assert.equal(defaultGenerator.seed, 77);
    const a = Array.from(rand([8]).toTypedArray());
    manualSeed(77);
    assert.deepEqual(Array.from(rand([8]).toTypedArray()), a);
  });

  test('manualSeed gives the same stream as a fresh Generator with that seed', () => {
    manualSeed(31);
    const fromDefault = draws(defaultGenerator, 5);
    assert.deepEqual(fromDefault, draws(new Generator(31), 5));
  });
});
