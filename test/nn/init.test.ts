import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { ArgumentError, Generator, Tensor, manualSeed, matmul, transpose, zeros } from '../../src/index.js';
import { init } from '../../src/nn/index.js';
import { moments, values, f32Bound } from './util.js';

const ROWS = 256;
const COLS = 512;
const big = (): Tensor => zeros([ROWS, COLS]);
const gen = (seed = 1): { generator: Generator } => ({ generator: new Generator(seed) });

/** U(−bound, bound): within the bounds, reaching them, with the mean and standard deviation of the formula. */
function assertUniform(t: Tensor, bound: number, what: string): void {
  const m = moments(t.data);
  assert.ok(m.min >= -f32Bound(bound) && m.max <= f32Bound(bound), `${what}: values in [${m.min}, ${m.max}] must lie in ±${bound}`);
  assert.ok(m.min < -0.995 * bound && m.max > 0.995 * bound, `${what}: values in [${m.min}, ${m.max}] should nearly reach ±${bound}`);
  const std = bound / Math.sqrt(3);
  assert.ok(Math.abs(m.mean) < (5 * std) / Math.sqrt(t.size), `${what}: mean ${m.mean} should be ≈ 0`);
  // Five standard errors of a uniform sample's standard deviation (kurtosis 9/5).
  assert.ok(Math.abs(m.std / std - 1) < 5 * Math.sqrt(0.2 / t.size), `${what}: std ${m.std} should be ≈ ${std}`);
}

/** N(mean, std²): the moments, and the share within one standard deviation (68.3%, not a uniform's 57.7%). */
function assertNormal(t: Tensor, std: number, what: string, mean = 0): void {
  const m = moments(t.data);
  assert.ok(Math.abs(m.mean - mean) < (5 * std) / Math.sqrt(t.size), `${what}: mean ${m.mean} should be ≈ ${mean}`);
  // Five standard errors of a normal sample's standard deviation, and of the share within ±std.
  assert.ok(Math.abs(m.std / std - 1) < 5 * Math.sqrt(0.5 / t.size), `${what}: std ${m.std} should be ≈ ${std}`);
  let inside = 0;
  for (let i = 0; i < t.size; i++) if (Math.abs(t.data[i]! - mean) <= std) inside++;
  assert.ok(Math.abs(inside / t.size - 0.6827) < 5 * Math.sqrt((0.6827 * 0.3173) / t.size), `${what}: ${inside / t.size} of the values within one std, expected 0.683`);
}

describe('init: fans and gains', () => {
  test('computeFans: [out, in] for linear weights', () => {
    assert.deepEqual(init.computeFans(zeros([5, 3])), { fanIn: 3, fanOut: 5 });
  });

  test('computeFans: [out, in/groups, kH, kW] for conv weights multiplies by the receptive field', () => {
    assert.deepEqual(init.computeFans(zeros([8, 4, 3, 5])), { fanIn: 60, fanOut: 120 });
    assert.deepEqual(init.computeFans(zeros([6, 2, 7])), { fanIn: 14, fanOut: 42 });
  });

  test('computeFans needs at least two dimensions', () => {
    assert.throws(() => init.computeFans(zeros([5])), (error: unknown) => error instanceof ArgumentError && /at least 2 dimensions.*\[5\]/.test(error.message));
  });

  test('calculateGain matches PyTorch\'s calculate_gain', () => {
    assert.equal(init.calculateGain('linear'), 1);
    assert.equal(init.calculateGain('conv2d'), 1);
    assert.equal(init.calculateGain('sigmoid'), 1);
    assert.equal(init.calculateGain('tanh'), 5 / 3);
    assert.equal(init.calculateGain('relu'), Math.SQRT2);
    assert.equal(init.calculateGain('selu'), 0.75);
    assert.equal(init.calculateGain('leaky_relu'), Math.sqrt(2 / (1 + 0.01 ** 2)));
    assert.equal(init.calculateGain('leaky_relu', 0.2), Math.sqrt(2 / 1.04));
    assert.equal(init.calculateGain('leaky_relu', Math.sqrt(5)), Math.sqrt(1 / 3));
  });
});

describe('init: simple fills', () => {
  test('uniform_ fills U(low, high) in place and returns the tensor', () => {
    const t = big();
    assert.equal(init.uniform_(t, -2, 3, gen()), t);
    const m = moments(t.data);
    assert.ok(m.min >= -2 && m.max <= 3 && m.min < -1.99 && m.max > 2.99, `range [${m.min}, ${m.max}]`);
    assert.ok(Math.abs(m.mean - 0.5) < 0.02, `mean ${m.mean}`);
    assert.ok(Math.abs(m.std / (5 / Math.sqrt(12)) - 1) < 0.01, `std ${m.std}`);
  });

  test('normal_ fills N(mean, std²)', () => {
    const t = big();
    assert.equal(init.normal_(t, 3, 0.5, gen()), t);
    assertNormal(t, 0.5, 'normal_', 3);
  });

  test('constant_ and zeros_ fill every element', () => {
    const t = big();
    assert.equal(init.constant_(t, 0.25), t);
    assert.ok(t.data.every((v) => v === 0.25));
    assert.equal(init.zeros_(t), t);
    assert.ok(t.data.every((v) => v === 0));
  });

  test('initializers refuse a view that does not own its storage', () => {
    const view = transpose(zeros([3, 4]));
    assert.throws(() => init.uniform_(view, 0, 1), (error: unknown) => error instanceof ArgumentError && /contiguous storage/.test(error.message));
    assert.throws(() => init.constant_(view, 1), ArgumentError);
  });
});

describe('init: variance-scaling initializers on a 256×512 weight (fanIn 512, fanOut 256)', () => {
  test('kaimingUniform_ default: leaky_relu with a = 0, fanIn → bound √(6 / fanIn)', () => {
    const t = big();
    assert.equal(init.kaimingUniform_(t, gen()), t);
    assertUniform(t, Math.sqrt(6 / COLS), 'kaimingUniform_');
  });

  test('kaimingUniform_ with mode fanOut and relu → bound √(6 / fanOut)', () => {
    const t = init.kaimingUniform_(big(), { ...gen(), mode: 'fanOut', nonlinearity: 'relu' });
    assertUniform(t, Math.sqrt(6 / ROWS), 'kaimingUniform_ fanOut');
  });

  test('kaimingUniform_ with a = √5 (PyTorch\'s Linear/Conv default) → bound 1/√fanIn', () => {
    const t = init.kaimingUniform_(big(), { ...gen(), a: Math.sqrt(5) });
    assertUniform(t, 1 / Math.sqrt(COLS), 'kaimingUniform_ a=√5');
  });

  test('kaimingUniform_ with tanh → bound (5/3)·√(3 / fanIn)', () => {
    const t = init.kaimingUniform_(big(), { ...gen(), nonlinearity: 'tanh' });
    assertUniform(t, (5 / 3) * Math.sqrt(3 / COLS), 'kaimingUniform_ tanh');
  });

  test('kaimingNormal_ default → std √(2 / fanIn)', () => {
    const t = big();
    assert.equal(init.kaimingNormal_(t, gen()), t);
    assertNormal(t, Math.sqrt(2 / COLS), 'kaimingNormal_');
  });

  test('kaimingNormal_ with mode fanOut and leaky_relu a = 0.2 → std gain/√fanOut', () => {
    const t = init.kaimingNormal_(big(), { ...gen(), mode: 'fanOut', a: 0.2 });
    assertNormal(t, Math.sqrt(2 / 1.04) / Math.sqrt(ROWS), 'kaimingNormal_ fanOut');
  });

  test('kaimingNormal_ with a linear nonlinearity → std 1/√fanIn', () => {
    const t = init.kaimingNormal_(big(), { ...gen(), nonlinearity: 'linear' });
    assertNormal(t, 1 / Math.sqrt(COLS), 'kaimingNormal_ linear');
  });

  test('xavierUniform_ → bound gain·√(6 / (fanIn + fanOut))', () => {
    assertUniform(init.xavierUniform_(big(), gen()), Math.sqrt(6 / (ROWS + COLS)), 'xavierUniform_');
    assertUniform(init.xavierUniform_(big(), { ...gen(2), gain: 2 }), 2 * Math.sqrt(6 / (ROWS + COLS)), 'xavierUniform_ gain 2');
  });

  test('xavierNormal_ → std gain·√(2 / (fanIn + fanOut))', () => {
    assertNormal(init.xavierNormal_(big(), gen()), Math.sqrt(2 / (ROWS + COLS)), 'xavierNormal_');
    assertNormal(init.xavierNormal_(big(), { ...gen(2), gain: 5 / 3 }), (5 / 3) * Math.sqrt(2 / (ROWS + COLS)), 'xavierNormal_ gain');
  });

  test('lecunUniform_ → bound √(3 / fanIn); lecunNormal_ → std √(1 / fanIn)', () => {
    assertUniform(init.lecunUniform_(big(), gen()), Math.sqrt(3 / COLS), 'lecunUniform_');
    assertNormal(init.lecunNormal_(big(), gen()), Math.sqrt(1 / COLS), 'lecunNormal_');
  });

  test('conv-shaped weights use fans with the receptive field: [64, 32, 3, 3] has fanIn 288, fanOut 576', () => {
    assertUniform(init.kaimingUniform_(zeros([64, 32, 3, 3]), gen()), Math.sqrt(6 / 288), 'kaimingUniform_ conv');
    assertNormal(init.kaimingNormal_(zeros([64, 32, 3, 3]), { ...gen(), mode: 'fanOut' }), Math.sqrt(2 / 576), 'kaimingNormal_ conv fanOut');
    assertUniform(init.xavierUniform_(zeros([64, 32, 3, 3]), gen()), Math.sqrt(6 / (288 + 576)), 'xavierUniform_ conv');
  });
});

describe('init: orthogonal_', () => {
  /** Gram matrix of the weight flattened to [rows, cols]: WWᵀ (wide) or WᵀW (tall). */
  function gram(t: Tensor, side: 'rows' | 'cols'): number[] {
    const w = t.reshape([t.shape[0]!, t.size / t.shape[0]!]);
    return values(side === 'rows' ? matmul(w, transpose(w)) : matmul(transpose(w), w));
  }

  function assertScaledIdentity(g: number[], n: number, scale: number, tol: number, what: string): void {
    assert.equal(g.length, n * n, `${what}: gram size`);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        const want = i === j ? scale : 0;
        const got = g[i * n + j]!;
        if (!(Math.abs(got - want) <= tol)) assert.fail(`${what}: gram[${i}][${j}] = ${got}, expected ${want}`);
      }
    }
  }

  const cases: { shape: number[]; side: 'rows' | 'cols'; n: number }[] = [
    { shape: [64, 160], side: 'rows', n: 64 }, // wide: orthonormal rows
    { shape: [160, 64], side: 'cols', n: 64 }, // tall: orthonormal columns
    { shape: [48, 48], side: 'rows', n: 48 },
    { shape: [16, 4, 3, 3], side: 'rows', n: 16 }, // conv, flattened to 16×36
    { shape: [40, 2, 2, 2], side: 'cols', n: 8 }, // conv, flattened to 40×8
  ];
  for (const { shape, side, n } of cases) {
    test(`[${shape.join(', ')}] gets orthonormal ${side} (float64 and float32)`, () => {
      const t64 = init.orthogonal_(zeros(shape, { dtype: 'float64' }), gen());
      assertScaledIdentity(gram(t64, side), n, 1, 1e-12, `float64 ${shape}`);
      const t32 = init.orthogonal_(zeros(shape), gen());
      assertScaledIdentity(gram(t32, side), n, 1, 1e-5, `float32 ${shape}`);
    });
  }

  test('square matrices are orthogonal both ways, and gain scales the Gram matrix by gain²', () => {
    const t = init.orthogonal_(zeros([32, 32], { dtype: 'float64' }), { ...gen(), gain: 2 });
    assertScaledIdentity(gram(t, 'rows'), 32, 4, 1e-12, 'WWᵀ');
    assertScaledIdentity(gram(t, 'cols'), 32, 4, 1e-12, 'WᵀW');
  });

  test('the result is random, not a permuted identity: entries of a large matrix spread like N(0, 1/n)', () => {
    const t = init.orthogonal_(zeros([256, 256], { dtype: 'float64' }), gen());
    const m = moments(t.data);
    assert.ok(Math.abs(m.std * 16 - 1) < 0.01, `std ${m.std} should be ≈ 1/16`);
    assert.ok(Math.abs(m.mean) < 0.005, `mean ${m.mean}`);
  });

  test('needs at least two dimensions', () => {
    assert.throws(() => init.orthogonal_(zeros([4])), ArgumentError);
  });
});

describe('init: seeded determinism', () => {
  const initializers: [string, (t: Tensor, g: Generator) => Tensor][] = [
    ['uniform_', (t, g) => init.uniform_(t, -1, 1, { generator: g })],
    ['normal_', (t, g) => init.normal_(t, 0, 1, { generator: g })],
    ['kaimingUniform_', (t, g) => init.kaimingUniform_(t, { generator: g })],
    ['kaimingNormal_', (t, g) => init.kaimingNormal_(t, { generator: g })],
    ['xavierUniform_', (t, g) => init.xavierUniform_(t, { generator: g })],
    ['xavierNormal_', (t, g) => init.xavierNormal_(t, { generator: g })],
    ['lecunUniform_', (t, g) => init.lecunUniform_(t, { generator: g })],
    ['lecunNormal_', (t, g) => init.lecunNormal_(t, { generator: g })],
    ['orthogonal_', (t, g) => init.orthogonal_(t, { generator: g })],
  ];
  for (const [name, fill] of initializers) {
    test(`${name}: the same seed gives the same values, another seed other values`, () => {
      const a = values(fill(zeros([6, 10]), new Generator(7)));
      const b = values(fill(zeros([6, 10]), new Generator(7)));
      const c = values(fill(zeros([6, 10]), new Generator(8)));
      assert.deepEqual(a, b);
      assert.notDeepEqual(a, c);
    });
  }

  test('without a generator, initializers draw from the default one (manualSeed reproduces them)', () => {
    manualSeed(123);
    const a = values(init.kaimingUniform_(zeros([4, 5])));
    const next = values(init.kaimingUniform_(zeros([4, 5])));
    manualSeed(123);
    assert.deepEqual(values(init.kaimingUniform_(zeros([4, 5]))), a);
    assert.notDeepEqual(next, a);
  });
});
