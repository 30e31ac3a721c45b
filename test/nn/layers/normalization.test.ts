import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { ArgumentError, Generator, ShapeError, Tensor, fromArray, randn } from '../../../src/index.js';
import { layerNorm } from '../../../src/ops/layer-norm.js';
import { BatchNorm1d, BatchNorm2d, LayerNorm, Parameter } from '../../../src/nn/index.js';
import { gradcheck, leaf } from '../../helpers/gradcheck.js';
import { assertClose, castModule, values } from '../util.js';

const EPS = 1e-5;

/**
 * Reference batch norm over channel dimension 1 of [N, C, ...rest], computed with plain loops: returns the
 * normalized output plus each channel's mean and biased/unbiased variance.
 */
function reference(x: Tensor, stats: { mean: number[]; variance: number[] } | null, weight: number[], bias: number[]) {
  const [n, c] = x.shape as [number, number];
  const inner = x.size / (n * c);
  const data = values(x);
  const at = (i: number, ch: number, j: number): number => data[(i * c + ch) * inner + j]!;
  const mean: number[] = [];
  const biased: number[] = [];
  const unbiased: number[] = [];
  for (let ch = 0; ch < c; ch++) {
    let s = 0;
    for (let i = 0; i < n; i++) for (let j = 0; j < inner; j++) s += at(i, ch, j);
    const m = s / (n * inner);
    let q = 0;
    for (let i = 0; i < n; i++) for (let j = 0; j < inner; j++) q += (at(i, ch, j) - m) ** 2;
    mean.push(m);
    biased.push(q / (n * inner));
    unbiased.push(q / (n * inner - 1));
  }
  const useMean = stats ? stats.mean : mean;
  const useVar = stats ? stats.variance : biased;
  const out = data.map((v, k) => {
    const ch = Math.floor(k / inner) % c;
    return ((v - useMean[ch]!) / Math.sqrt(useVar[ch]! + EPS)) * weight[ch]! + bias[ch]!;
  });
  return { out, mean, unbiased };
}

function affine(layer: BatchNorm1d | BatchNorm2d, weight: number[], bias: number[]): void {
  layer.loadStateDict({ weight: fromArray(weight, { dtype: 'float64' }), bias: fromArray(bias, { dtype: 'float64' }) }, { strict: false });
}

describe('BatchNorm1d / BatchNorm2d', () => {
  test('BatchNorm1d in training normalizes [N, C] with the batch statistics (hand computed)', () => {
    const layer = castModule(new BatchNorm1d(2), 'float64');
    affine(layer, [2, 1], [0, 1]);
    const x = fromArray([[1, 2], [3, 6], [5, 4], [7, 8]], { dtype: 'float64' });
    const y = layer.forward(x);
    // Channel 0: 1,3,5,7 (mean 4, biased variance 5); channel 1: 2,6,4,8 (mean 5, variance 5).
    const s = Math.sqrt(5 + EPS);
    assertClose(y, [(2 * -3) / s, -3 / s + 1, (2 * -1) / s, 1 / s + 1, (2 * 1) / s, -1 / s + 1, (2 * 3) / s, 3 / s + 1], 1e-12);
    // Running statistics: momentum 0.1 towards the batch mean and the unbiased variance (20/3).
    assertClose(layer.runningMean, [0.4, 0.5], 1e-12, 'runningMean');
    assertClose(layer.runningVar, [0.9 + 0.1 * (20 / 3), 0.9 + 0.1 * (20 / 3)], 1e-12, 'runningVar');
  });

  test('in eval mode the running statistics are used and left unchanged', () => {
    const layer = castModule(new BatchNorm1d(2), 'float64');
    affine(layer, [2, 1], [0, 1]);
    layer.loadStateDict({ runningMean: fromArray([1, -1], { dtype: 'float64' }), runningVar: fromArray([4, 0.25], { dtype: 'float64' }) }, { strict: false });
    layer.eval();
    const y = layer.forward(fromArray([[3, 0], [1, 1]], { dtype: 'float64' }));
    assertClose(y, [(2 * 2) / Math.sqrt(4 + EPS), 1 / Math.sqrt(0.25 + EPS) + 1, 0, 2 / Math.sqrt(0.25 + EPS) + 1], 1e-12);
    assert.deepEqual(values(layer.runningMean), [1, -1]);
    assert.deepEqual(values(layer.runningVar), [4, 0.25]);
  });

  test('BatchNorm1d on [N, C, L] and BatchNorm2d on [N, C, H, W] take statistics over every dimension but C', () => {
    const generator = new Generator(2);
    for (const [layer, shape] of [[new BatchNorm1d(3), [4, 3, 5]], [new BatchNorm2d(3), [2, 3, 4, 5]]] as const) {
      castModule(layer, 'float64');
      affine(layer, [1.5, -0.5, 2], [0.1, 0.2, -0.3]);
      const x = randn(shape, { generator, dtype: 'float64' });
      const want = reference(x, null, [1.5, -0.5, 2], [0.1, 0.2, -0.3]);
      assertClose(layer.forward(x), want.out, 1e-12, `${layer.constructor.name} training output`);
      assertClose(layer.runningMean, want.mean.map((m) => 0.1 * m), 1e-12, 'runningMean');
      assertClose(layer.runningVar, want.unbiased.map((v) => 0.9 + 0.1 * v), 1e-12, 'runningVar');
      // After the update, eval mode normalizes with exactly those running statistics.
      layer.eval();
      const stats = { mean: values(layer.runningMean), variance: values(layer.runningVar) };
      assertClose(layer.forward(x), reference(x, stats, [1.5, -0.5, 2], [0.1, 0.2, -0.3]).out, 1e-12, 'eval output');
    }
  });

  test('running statistics accumulate over batches with the given momentum', () => {
    const layer = castModule(new BatchNorm1d(1, { momentum: 0.5 }), 'float64');
    layer.forward(fromArray([[2], [4]], { dtype: 'float64' })); // mean 3, unbiased variance 2
    layer.forward(fromArray([[0], [0]], { dtype: 'float64' })); // mean 0, variance 0
    assertClose(layer.runningMean, [0.75], 1e-12);
    assertClose(layer.runningVar, [0.5 * (0.5 * 1 + 0.5 * 2)], 1e-12);
  });

  test('weight and bias start at 1 and 0; affine: false has no parameters; stats are buffers', () => {
    const layer = new BatchNorm2d(4);
    assert.deepEqual(values(layer.weight!), [1, 1, 1, 1]);
    assert.deepEqual(values(layer.bias!), [0, 0, 0, 0]);
    assert.deepEqual(layer.namedParameters().map(([n]) => n), ['weight', 'bias']);
    assert.deepEqual(layer.namedBuffers().map(([n]) => n), ['runningMean', 'runningVar']);
    assert.deepEqual(values(layer.runningMean), [0, 0, 0, 0]);
    assert.deepEqual(values(layer.runningVar), [1, 1, 1, 1]);
    const plain = new BatchNorm1d(2, { affine: false });
    assert.equal(plain.weight, null);
    assert.equal(plain.parameterCount(), 0);
    assert.deepEqual(Object.keys(plain.stateDict()), ['runningMean', 'runningVar']);
    assert.equal(new BatchNorm2d(4, { eps: 1e-3, momentum: 0.2 }).describe(), 'BatchNorm2d(4, eps=0.001, momentum=0.2)');
  });

  test('a wrong rank or channel count is a ShapeError saying what is expected', () => {
    assert.throws(() => new BatchNorm2d(3).forward(randn([2, 3, 4])), (error: unknown) => {
      assert.ok(error instanceof ShapeError);
      assert.match(error.message, /BatchNorm2d\(3\): input \[2,3,4\] must be 4-D with 3 channels in dimension 1/);
      return true;
    });
    assert.throws(() => new BatchNorm1d(3).forward(randn([2, 3, 4, 4])), /must be 2-D or 3-D with 3 channels/);
    assert.throws(() => new BatchNorm1d(3).forward(randn([2, 4])), ShapeError);
    assert.throws(() => new BatchNorm1d(0), ArgumentError);
  });

  test('training needs more than one value per channel (a batch of one [1, C] is refused)', () => {
    assert.throws(() => new BatchNorm1d(3).forward(randn([1, 3])), ArgumentError);
    assert.doesNotThrow(() => new BatchNorm1d(3).eval().forward(randn([1, 3])));
  });

  test('gradients flow to the input, weight and bias (finite differences, float64)', () => {
    const layer = castModule(new BatchNorm2d(2), 'float64');
    affine(layer, [1.3, 0.7], [0.2, -0.1]);
    const x = leaf([3, 2, 2, 2], 4);
    gradcheck((input) => layer.forward(input), [x, layer.weight!, layer.bias!], { atol: 1e-6, rtol: 1e-5 });
  });
});

describe('LayerNorm', () => {
  test('normalizes each sample over the last dimension: mean 0 and (biased) variance 1', () => {
    const layer = castModule(new LayerNorm(5), 'float64');
    const x = randn([3, 4, 5], { generator: new Generator(1), dtype: 'float64' });
    const y = values(layer.forward(x));
    for (let row = 0; row < 12; row++) {
      const r = y.slice(row * 5, row * 5 + 5);
      const mean = r.reduce((a, b) => a + b, 0) / 5;
      const variance = r.reduce((a, b) => a + (b - mean) ** 2, 0) / 5;
      assert.ok(Math.abs(mean) < 1e-12, `row ${row}: mean ${mean}`);
      const input = values(x).slice(row * 5, row * 5 + 5);
      const m = input.reduce((a, b) => a + b, 0) / 5;
      const v = input.reduce((a, b) => a + (b - m) ** 2, 0) / 5;
      assert.ok(Math.abs(variance - v / (v + 1e-5)) < 1e-12, `row ${row}: variance ${variance}`);
    }
  });

  test('hand computed with weight and bias: [1, 2, 3] → (x − 2)/√(2/3 + ε) · w + b', () => {
    const layer = castModule(new LayerNorm(3), 'float64');
    layer.loadStateDict({ weight: fromArray([1, 2, 3], { dtype: 'float64' }), bias: fromArray([0, 0.5, -1], { dtype: 'float64' }) });
    const s = Math.sqrt(2 / 3 + 1e-5);
    assertClose(layer.forward(fromArray([[1, 2, 3]], { dtype: 'float64' })), [-1 / s, 0.5, 3 / s - 1], 1e-12);
  });

  test('a multi-dimensional normalizedShape normalizes over all its dimensions', () => {
    const layer = castModule(new LayerNorm([2, 3], 1e-3), 'float64');
    assert.deepEqual(layer.weight!.shape, [2, 3]);
    const x = randn([4, 2, 3], { generator: new Generator(2), dtype: 'float64' });
    const y = values(layer.forward(x));
    const input = values(x);
    for (let sample = 0; sample < 4; sample++) {
      const r = input.slice(sample * 6, sample * 6 + 6);
      const m = r.reduce((a, b) => a + b, 0) / 6;
      const v = r.reduce((a, b) => a + (b - m) ** 2, 0) / 6;
      assertClose(y.slice(sample * 6, sample * 6 + 6), r.map((e) => (e - m) / Math.sqrt(v + 1e-3)), 1e-12, `sample ${sample}`);
    }
  });

  test('gradcheck in float64 through the layerNorm op with weight and bias', () => {
    const x = leaf([3, 4], 1);
    const weight = leaf([4], 2);
    const bias = leaf([4], 3);
    gradcheck((xs, w, b) => layerNorm(xs!, [4], w!, b!, 1e-5), [x, weight, bias]);
    const x3 = leaf([2, 2, 3], 4);
    gradcheck((xs, w, b) => layerNorm(xs!, [2, 3], w!, b!, 1e-5), [x3, leaf([2, 3], 5), leaf([2, 3], 6)]);
    gradcheck((xs) => layerNorm(xs!, [3]), [leaf([2, 3], 7)]);
  });

  test('gradcheck through the LayerNorm module: input, weight and bias', () => {
    const layer = castModule(new LayerNorm(4), 'float64');
    layer.loadStateDict({ weight: leaf([4], 8), bias: leaf([4], 9) });
    assert.ok(layer.weight instanceof Parameter);
    gradcheck((x) => layer.forward(x!), [leaf([2, 3, 4], 10), layer.weight, layer.bias!]);
  });

  test('weight starts at 1 and bias at 0; elementwiseAffine false has no parameters', () => {
    const layer = new LayerNorm([2, 3]);
    assert.deepEqual(values(layer.weight!), [1, 1, 1, 1, 1, 1]);
    assert.deepEqual(values(layer.bias!), [0, 0, 0, 0, 0, 0]);
    const plain = new LayerNorm(4, 1e-5, false);
    assert.equal(plain.parameterCount(), 0);
    assert.deepEqual(values(plain.forward(fromArray([[1, 1, 3, 3]]))).map((v) => Math.round(v * 1e4) / 1e4), [-1, -1, 1, 1]);
    assert.equal(new LayerNorm(4).describe(), 'LayerNorm([4], eps=0.00001)');
  });

  test('an input that does not end in normalizedShape is a ShapeError', () => {
    assert.throws(() => new LayerNorm(4).forward(randn([2, 5])), (error: unknown) => {
      assert.ok(error instanceof ShapeError);
      assert.match(error.message, /input \[2,5\] must end in the normalized shape \[4\]/);
      return true;
    });
    assert.throws(() => new LayerNorm([2, 3]).forward(randn([3])), ShapeError);
  });

  test('the layerNorm op refuses a weight or bias that is not of the normalized shape (no silent broadcast)', () => {
    const x = randn([2, 3, 4]);
    assert.throws(() => layerNorm(x, [3, 4], randn([4])), /layerNorm: weight must have the normalized shape \[3,4\], got \[4\]/);
    assert.throws(() => layerNorm(x, [4], null, randn([1])), /layerNorm: bias must have the normalized shape \[4\], got \[1\]/);
    assert.deepEqual(layerNorm(x, [3, 4], randn([3, 4]), randn([3, 4])).shape, [2, 3, 4]);
  });
});
