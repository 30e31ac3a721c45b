import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ArgumentError,
  DTypeError,
  Generator,
  ShapeError,
  Tensor,
  arange,
  eye,
  fromArray,
  full,
  linspace,
  manualSeed,
  normal,
  ones,
  onesLike,
  permutation,
  rand,
  randint,
  randn,
  scalar,
  uniform,
  zeros,
  zerosLike,
} from '../../src/index.js';

const values = (t: Tensor): number[] => Array.from(t.toTypedArray());

describe('zeros, ones, full', () => {
  test('zeros is float32 zeros of the shape', () => {
    const t = zeros([2, 3]);
    assert.deepEqual(t.shape, [2, 3]);
    assert.equal(t.dtype, 'float32');
    assert.deepEqual(t.toArray(), [[0, 0, 0], [0, 0, 0]]);
  });

  test('ones and full fill the value in the requested dtype', () => {
    assert.deepEqual(ones([3]).toArray(), [1, 1, 1]);
    const f = full([2, 2], 7.5, { dtype: 'float64' });
    assert.equal(f.dtype, 'float64');
    assert.deepEqual(f.toArray(), [[7.5, 7.5], [7.5, 7.5]]);
    const i = full([2], 3, { dtype: 'int32' });
    assert.ok(i.data instanceof Int32Array);
    assert.deepEqual(i.toArray(), [3, 3]);
  });

  test('requiresGrad option makes a leaf that requires gradients', () => {
    const t = zeros([2], { requiresGrad: true });
    assert.equal(t.requiresGrad, true);
    assert.equal(t.isLeaf, true);
    assert.throws(() => zeros([2], { dtype: 'int32', requiresGrad: true }), DTypeError);
  });

  test('an extent of 0 gives an empty tensor', () => {
    const t = zeros([0, 4]);
    assert.equal(t.size, 0);
    assert.deepEqual(t.shape, [0, 4]);
  });

  test('negative or fractional extents are rejected naming the function and shape', () => {
    assert.throws(() => zeros([2, -1]), (e: unknown) => e instanceof ShapeError && /zeros: shape \[2,-1\]/.test(e.message));
    assert.throws(() => ones([1.5]), ShapeError);
    assert.throws(() => full([-3], 1), /full/);
  });

  test('zerosLike / onesLike copy shape and dtype, options override', () => {
    const src = arange(6).reshape([2, 3]);
    const z = zerosLike(src);
    assert.deepEqual(z.shape, [2, 3]);
    assert.equal(z.dtype, 'int32');
    assert.deepEqual(values(z), [0, 0, 0, 0, 0, 0]);
    const o = onesLike(src, { dtype: 'float64' });
    assert.equal(o.dtype, 'float64');
    assert.deepEqual(values(o), [1, 1, 1, 1, 1, 1]);
  });

  test('zerosLike / onesLike keep the source dtype when options.dtype is undefined', () => {
    const src = arange(3);
    const maybe: { dtype?: 'float64' } = {};
    assert.equal(zerosLike(src, { dtype: maybe.dtype }).dtype, 'int32');
    assert.equal(onesLike(src, { dtype: maybe.dtype, requiresGrad: false }).dtype, 'int32');
  });

  test('scalar is 0-dimensional', () => {
    const s = scalar(4.25);
    assert.deepEqual(s.shape, []);
    assert.equal(s.ndim, 0);
    assert.equal(s.size, 1);
    assert.equal(s.item(), 4.25);
    assert.equal(scalar(2, { dtype: 'int8' }).dtype, 'int8');
  });
});

describe('arange', () => {
  test('one argument counts from 0 and is int32', () => {
    const t = arange(5);
    assert.equal(t.dtype, 'int32');
    assert.deepEqual(t.toArray(), [0, 1, 2, 3, 4]);
  });

  test('two and three arguments', () => {
    assert.deepEqual(arange(2, 6).toArray(), [2, 3, 4, 5]);
    assert.deepEqual(arange(2, 9, 3).toArray(), [2, 5, 8]);
    assert.deepEqual(arange(1, 1).toArray(), []);
    assert.deepEqual(arange(5, 1).toArray(), []);
  });

  test('a float step gives float32 with the right count', () => {
    const t = arange(0, 1, 0.25);
    assert.equal(t.dtype, 'float32');
    assert.deepEqual(t.toArray(), [0, 0.25, 0.5, 0.75]);
    // 0.3 / 0.1 is 2.9999999999999996 in doubles: still three values, as in PyTorch.
    assert.equal(arange(0, 0.3, 0.1).size, 3);
    assert.equal(arange(0.5).dtype, 'float32');
    assert.deepEqual(arange(0.5).toArray(), [0]);
  });

  test('a negative step counts down', () => {
    assert.deepEqual(arange(5, 0, -1).toArray(), [5, 4, 3, 2, 1]);
    assert.deepEqual(arange(1, -1, -0.5).toArray(), [1, 0.5, 0, -0.5]);
    assert.deepEqual(arange(0, 5, -1).toArray(), []);
  });

  test('an explicit dtype wins over the inferred one', () => {
    const t = arange(0, 3, 1, { dtype: 'float64' });
    assert.equal(t.dtype, 'float64');
    assert.deepEqual(t.toArray(), [0, 1, 2]);
  });

  test('step 0 and non-finite arguments are ArgumentErrors', () => {
    assert.throws(() => arange(0, 5, 0), (e: unknown) => e instanceof ArgumentError && /step/.test(e.message));
    assert.throws(() => arange(0, 5, Infinity), ArgumentError);
    assert.throws(() => arange(0, 5, NaN), ArgumentError);
    assert.throws(() => arange(0, Infinity), ArgumentError);
    assert.throws(() => arange(NaN), ArgumentError);
  });
});

describe('linspace', () => {
  test('endpoints are exact and the values evenly spaced', () => {
    const t = linspace(0, 1, 5);
    assert.deepEqual(t.toArray(), [0, 0.25, 0.5, 0.75, 1]);
    const u = linspace(-1, 0.7, 7, { dtype: 'float64' });
    const v = values(u);
    assert.equal(v[0], -1);
    assert.equal(v[6], 0.7);
    for (let i = 1; i < 7; i++) assert.ok(Math.abs(v[i]! - v[i - 1]! - 1.7 / 6) < 1e-12);
  });

  test('the end is exact even when the step does not add up to it', () => {
    const v = values(linspace(0, 0.3, 4, { dtype: 'float64' }));
    assert.equal(v[3], 0.3);
  });

  test('decreasing ranges', () => {
    assert.deepEqual(linspace(3, 1, 3).toArray(), [3, 2, 1]);
  });

  test('steps 0 is empty and steps 1 is just the start', () => {
    assert.deepEqual(linspace(2, 5, 0).shape, [0]);
    assert.deepEqual(linspace(2, 5, 1).toArray(), [2]);
  });

  test('negative or fractional steps are ArgumentErrors', () => {
    assert.throws(() => linspace(0, 1, -1), ArgumentError);
    assert.throws(() => linspace(0, 1, 2.5), ArgumentError);
  });
});

describe('eye', () => {
  test('square identity', () => {
    assert.deepEqual(eye(3).toArray(), [[1, 0, 0], [0, 1, 0], [0, 0, 1]]);
  });

  test('rectangular identity, both orientations', () => {
    assert.deepEqual(eye(2, 4).toArray(), [[1, 0, 0, 0], [0, 1, 0, 0]]);
    assert.deepEqual(eye(3, 2).toArray(), [[1, 0], [0, 1], [0, 0]]);
  });

  test('dtype option and bad sizes', () => {
    assert.equal(eye(2, 2, { dtype: 'int32' }).dtype, 'int32');
    assert.throws(() => eye(-1), ShapeError);
  });
});

describe('fromArray', () => {
  test('nested arrays infer the shape', () => {
    const t = fromArray([[1, 2, 3], [4, 5, 6]]);
    assert.deepEqual(t.shape, [2, 3]);
    assert.equal(t.dtype, 'float32');
    assert.deepEqual(values(t), [1, 2, 3, 4, 5, 6]);
    assert.deepEqual(fromArray([[[1], [2]]]).shape, [1, 2, 1]);
  });

  test('a number gives a scalar and [] an empty vector', () => {
    const s = fromArray(3);
    assert.deepEqual(s.shape, []);
    assert.equal(s.item(), 3);
    assert.deepEqual(fromArray([]).shape, [0]);
    assert.deepEqual(fromArray([[], []]).shape, [2, 0]);
  });

  test('flat data with a shape', () => {
    const t = fromArray([1, 2, 3, 4, 5, 6], { shape: [3, 2], dtype: 'int32' });
    assert.deepEqual(t.toArray(), [[1, 2], [3, 4], [5, 6]]);
    assert.equal(t.dtype, 'int32');
  });

  test('plain arrays are copied', () => {
    const src = [1, 2, 3];
    const t = fromArray(src);
    src[0] = 100;
    assert.deepEqual(t.toArray(), [1, 2, 3]);
  });

  test('a typed array of the requested dtype is wrapped without a copy', () => {
    const data = new Float64Array([1, 2, 3, 4]);
    const t = fromArray(data, { shape: [2, 2] });
    assert.equal(t.data, data);
    assert.equal(t.dtype, 'float64');
    const u = fromArray(data, { dtype: 'float64' });
    assert.equal(u.data, data);
    assert.deepEqual(u.shape, [4]);
  });

  test('a typed array of another dtype is converted into new storage', () => {
    const data = new Float32Array([1.5, -2.5, 3]);
    const t = fromArray(data, { dtype: 'int32' });
    assert.notEqual(t.data, data);
    assert.ok(t.data instanceof Int32Array);
    assert.deepEqual(t.toArray(), [1, -2, 3]);
    const i = fromArray(new Int32Array([1, 2]), { dtype: 'float32' });
    assert.ok(i.data instanceof Float32Array);
    assert.deepEqual(i.toArray(), [1, 2]);
    assert.equal(fromArray(new Uint8Array([1, 0])).dtype, 'uint8');
  });

  test('ragged data is a ShapeError naming where', () => {
    assert.throws(() => fromArray([[1, 2], [3]]), (e: unknown) => e instanceof ShapeError && /at \[1\]/.test(e.message));
    assert.throws(() => fromArray([[1, 2], 3] as never), (e: unknown) => e instanceof ShapeError && /at \[1\]/.test(e.message));
    assert.throws(() => fromArray([1, [2, 3]]), (e: unknown) => e instanceof ShapeError && /at \[1\]/.test(e.message));
    assert.throws(
      () => fromArray([[[1, 2], [3, 4]], [[5, 6], [7]]]),
      (e: unknown) => e instanceof ShapeError && /at \[1\]\[1\]/.test(e.message),
    );
  });

  test('a length that does not fit the shape is a ShapeError', () => {
    assert.throws(() => fromArray([1, 2, 3], { shape: [2, 2] }), (e: unknown) => e instanceof ShapeError && /3 values/.test(e.message));
    assert.throws(() => fromArray(new Float32Array(5), { shape: [2, 3] }), ShapeError);
    assert.throws(() => fromArray([1, 2], { shape: [-2] }), ShapeError);
  });

  test('requiresGrad works for float data and is refused for integers', () => {
    assert.equal(fromArray([1, 2], { requiresGrad: true }).requiresGrad, true);
    assert.throws(() => fromArray([1, 2], { dtype: 'int32', requiresGrad: true }), DTypeError);
  });
});

describe('random creation: determinism', () => {
  test('the same seed through manualSeed gives identical values', () => {
    manualSeed(123);
    const a = [values(rand([50])), values(randn([51])), values(randint(0, 1000, [50])), values(permutation(30))];
    manualSeed(123);
    const b = [values(rand([50])), values(randn([51])), values(randint(0, 1000, [50])), values(permutation(30))];
    assert.deepEqual(a, b);
  });

  test('different seeds give different values', () => {
    manualSeed(1);
    const a = values(rand([20]));
    manualSeed(2);
    const b = values(rand([20]));
    assert.notDeepEqual(a, b);
  });

  test('successive draws from one seed differ', () => {
    manualSeed(5);
    assert.notDeepEqual(values(randn([10])), values(randn([10])));
  });

  test('an explicit generator is independent of the default one', () => {
    manualSeed(7);
    const expected = values(rand([10]));
    const reference = values(rand([10], { generator: new Generator(99) }));

    manualSeed(7);
    const g = new Generator(99);
    const fromG = values(rand([10], { generator: g }));
    // Drawing from g did not advance the default generator...
    assert.deepEqual(values(rand([10])), expected);
    // ...and g's stream depends only on its own seed.
    assert.deepEqual(fromG, reference);

    manualSeed(1000);
    assert.deepEqual(values(rand([10], { generator: new Generator(99) })), reference);
  });

  test('generator option is honoured by every random function', () => {
    const draw = (g: Generator): number[][] => [
      values(uniform([5], -1, 1, { generator: g })),
      values(normal([5], 2, 3, { generator: g })),
      values(randint(-5, 5, [5], { generator: g })),
      values(permutation(8, { generator: g })),
      values(randn([3], { generator: g })),
    ];
    assert.deepEqual(draw(new Generator(42)), draw(new Generator(42)));
    assert.notDeepEqual(draw(new Generator(42)), draw(new Generator(43)));
  });
});

describe('random creation: distributions', () => {
  const meanStd = (v: number[]): [number, number] => {
    const mean = v.reduce((a, b) => a + b, 0) / v.length;
    const variance = v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length;
    return [mean, Math.sqrt(variance)];
  };

  test('randn has mean ≈ 0 and std ≈ 1', () => {
    const [mean, std] = meanStd(values(randn([10_000], { generator: new Generator(3) })));
    assert.ok(Math.abs(mean) < 0.05, `mean ${mean}`);
    assert.ok(Math.abs(std - 1) < 0.05, `std ${std}`);
  });

  test('randn with an odd count fills the last element', () => {
    const v = values(randn([7], { generator: new Generator(11), dtype: 'float64' }));
    assert.equal(v.length, 7);
    assert.ok(v.every((x) => Number.isFinite(x) && x !== 0));
  });

  test('normal honours mean and std; std 0 is constant', () => {
    const [mean, std] = meanStd(values(normal([10_000], 5, 2, { generator: new Generator(4) })));
    assert.ok(Math.abs(mean - 5) < 0.1, `mean ${mean}`);
    assert.ok(Math.abs(std - 2) < 0.1, `std ${std}`);
    assert.deepEqual(values(normal([3], 1.5, 0)), [1.5, 1.5, 1.5]);
  });

  test('rand and uniform stay in [low, high) and cover it', () => {
    const r = values(rand([10_000], { generator: new Generator(5) }));
    assert.ok(r.every((x) => x >= 0 && x < 1));
    assert.ok(Math.abs(meanStd(r)[0] - 0.5) < 0.02);
    const u = values(uniform([10_000], -3, 2, { generator: new Generator(6), dtype: 'float64' }));
    assert.ok(u.every((x) => x >= -3 && x < 2));
    assert.ok(Math.min(...u) < -2.9 && Math.max(...u) > 1.9);
  });

  test('randint stays in [low, high), hits every value, and is int32', () => {
    const t = randint(-2, 3, [2000], { generator: new Generator(8) });
    assert.equal(t.dtype, 'int32');
    const v = values(t);
    assert.ok(v.every((x) => Number.isInteger(x) && x >= -2 && x < 3));
    assert.deepEqual([...new Set(v)].sort((a, b) => a - b), [-2, -1, 0, 1, 2]);
  });

  test('permutation is a permutation of 0…n−1', () => {
    const t = permutation(100, { generator: new Generator(9) });
    assert.equal(t.dtype, 'int32');
    const v = values(t);
    assert.deepEqual([...v].sort((a, b) => a - b), Array.from({ length: 100 }, (_, i) => i));
    assert.notDeepEqual(v, Array.from({ length: 100 }, (_, i) => i));
    assert.deepEqual(values(permutation(0)), []);
    assert.deepEqual(values(permutation(1)), [0]);
  });
});

describe('random creation: bad arguments', () => {
  test('negative shapes', () => {
    assert.throws(() => rand([-1]), ShapeError);
    assert.throws(() => randn([2, -2]), ShapeError);
    assert.throws(() => randint(0, 2, [-1]), ShapeError);
  });

  test('integer dtypes for float distributions are ArgumentErrors', () => {
    assert.throws(() => randn([2], { dtype: 'int32' }), (e: unknown) => e instanceof ArgumentError && /int32/.test(e.message));
    assert.throws(() => rand([2], { dtype: 'uint8' }), ArgumentError);
    assert.throws(() => normal([2], 0, 1, { dtype: 'int8' }), ArgumentError);
  });

  test('randint with low ≥ high is an ArgumentError, even for an empty shape', () => {
    assert.throws(() => randint(3, 3, [4]), ArgumentError);
    assert.throws(() => randint(5, 1, [4]), ArgumentError);
    assert.throws(() => randint(3, 3, [0]), ArgumentError);
    assert.throws(() => randint(0.5, 3, [2]), ArgumentError);
  });

  test('uniform with high < low, normal with negative std, bad permutation size', () => {
    assert.throws(() => uniform([2], 1, 0), ArgumentError);
    assert.throws(() => normal([2], 0, -1), ArgumentError);
    assert.throws(() => normal([2], 0, NaN), ArgumentError);
    assert.throws(() => permutation(-1), ArgumentError);
    assert.throws(() => permutation(2.5), ArgumentError);
  });
});
