import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  Adam,
  ArgumentError,
  DataError,
  Generator,
  MovingAverageMinMaxObserver,
  QatModel,
  TensorDataset,
  argmax,
  backward,
  buildModel,
  convertQat,
  fit,
  fromArray,
  mul,
  noGrad,
  prepareQat,
  quantizeStatic,
  randint,
  randn,
  type ModelSpec,
  type SpecModel,
  type Tensor,
} from '../../../src/index.js';
import { assertThrows } from '../../ops/util.js';

/** A small CNN with batch norm after both convolutions and after the hidden linear layer. */
const BN_CNN: ModelSpec = {
  input: [1, 10, 10],
  layers: [
    { type: 'conv2d', out: 6, kernel: 3, bias: false },
    { type: 'batchNorm2d' },
    { type: 'relu' },
    { type: 'maxPool2d', kernel: 2 },
    { type: 'conv2d', out: 8, kernel: 3, padding: 1 },
    { type: 'batchNorm2d' },
    { type: 'relu' },
    { type: 'flatten' },
    { type: 'linear', out: 12 },
    { type: 'batchNorm1d' },
    { type: 'relu' },
    { type: 'linear', out: 3 },
  ],
};

/** The same architecture without batch norm. */
const PLAIN_CNN: ModelSpec = { input: BN_CNN.input, layers: BN_CNN.layers.filter((l) => !l.type.startsWith('batchNorm')) };

function images(n: number, seed: number): Tensor {
  return randn([n, 1, 10, 10], { generator: new Generator(seed) });
}

function data(n: number, seed: number): TensorDataset {
  return new TensorDataset(images(n, seed), randint(0, 3, [n], { generator: new Generator(seed + 100) }));
}

/** A model of `spec` trained for one epoch, so batch norm has running statistics of its own. */
async function trained(spec: ModelSpec, seed = 1): Promise<SpecModel> {
  const model = buildModel(spec, { seed });
  await fit(model, { train: data(64, seed), loss: 'cross-entropy', optimizer: new Adam(model.parameters(), { lr: 1e-2 }), epochs: 1, verbose: false, seed });
  return model.eval();
}

function maxAbsDiff(a: Tensor, b: Tensor): number {
  const x = a.contiguousData();
  const y = b.contiguousData();
  assert.equal(x.length, y.length);
  let max = 0;
  for (let i = 0; i < x.length; i++) max = Math.max(max, Math.abs(x[i]! - y[i]!));
  return max;
}

function maxAbs(a: Tensor): number {
  return Math.max(...Array.from(a.contiguousData(), Math.abs));
}

function snapshot(model: { stateDict(): Record<string, Tensor> }): Record<string, number[]> {
  return Object.fromEntries(Object.entries(model.stateDict()).map(([k, t]) => [k, Array.from(t.contiguousData())]));
}

describe('MovingAverageMinMaxObserver', () => {
  test('the first batch sets the range; later ones move it by the averaging constant; eval mode freezes it', () => {
    const observer = new MovingAverageMinMaxObserver('a test activation', 0.01);
    assert.equal(observer.observed(), null);
    observer.forward(fromArray([[-1, 0.5], [2, 0]]));
    assert.deepEqual(observer.observed(), { min: -1, max: 2 });
    observer.forward(fromArray([[-3, 4]]));
    assert.deepEqual(observer.observed(), { min: -1 + 0.01 * (-3 - -1), max: 2 + 0.01 * (4 - 2) });
    assert.equal(observer.samples.data[0], 3);
    observer.eval();
    observer.forward(fromArray([[-100, 100]]));
    assert.deepEqual(observer.observed(), { min: -1.02, max: 2.02 });
    assert.equal(observer.samples.data[0], 3);
  });

  test('fake-quantizes with the updated range, and its gradient is the straight-through mask', () => {
    const observer = new MovingAverageMinMaxObserver('a test activation', 0.01);
    observer.setRange({ min: 0, max: 2.55 }, 10);
    observer.eval();
    // Scale 0.01, zero point 0: −0.5 and 3 are clamped to 0 and 2.55; the others round to the grid.
    const x = fromArray([-0.5, 0.004, 1.236, 3], { dtype: 'float64' }).setRequiresGrad();
    const y = observer.forward(x);
    assert.deepEqual(Array.from(y.contiguousData()), [0, 0, 1.24, 2.55].map((v) => Math.fround(Math.round(v / Math.fround(0.01)) * Math.fround(0.01))));
    backward(y, fromArray([1, 2, 3, 4], { dtype: 'float64' }));
    assert.deepEqual(Array.from(x.grad!.contiguousData()), [0, 2, 3, 0]);
  });

  test('a batch with NaN, or evaluating before any observation, names the activation', () => {
    const observer = new MovingAverageMinMaxObserver('the output of layer 2 (relu)', 0.01);
    assertThrows(() => observer.eval().forward(fromArray([1])), DataError, 'the output of layer 2 (relu)', 'not been observed', 'calibration');
    assertThrows(() => observer.train().forward(fromArray([1, NaN])), DataError, 'the output of layer 2 (relu)', 'NaN');
  });

  test('an all-zero activation trains on (PyTorch’s epsilon scale) but cannot be converted', () => {
    const observer = new MovingAverageMinMaxObserver('the output of layer 2 (relu)', 0.01);
    assert.deepEqual(Array.from(observer.forward(fromArray([0, 0])).contiguousData()), [0, 0]);
    assert.deepEqual(observer.qparams(), { scale: 2 ** -23, zeroPoint: 0 });
  });
});

describe('prepareQat', () => {
  test('folds batch norm: the folded model equals the original in eval mode', async () => {
    const model = await trained(BN_CNN);
    const qat = prepareQat(model);
    assert.deepEqual(qat.model.spec.layers.map((l) => l.type), PLAIN_CNN.layers.map((l) => l.type));
    // The first convolution had no bias; folding gives it one.
    assert.deepEqual(qat.model.spec.layers[0], { type: 'conv2d', out: 6, kernel: 3 });
    const x = images(32, 7);
    const expected = noGrad(() => model.forward(x));
    const folded = noGrad(() => qat.model.eval().forward(x));
    assert.ok(maxAbsDiff(folded, expected) <= 1e-5 * Math.max(1, maxAbs(expected)), `folded differs by ${maxAbsDiff(folded, expected)}`);
  });

  test('weights of integer layers and activations at the range points are fake-quantized', async () => {
    const model = await trained(PLAIN_CNN);
    const qat = prepareQat(model, { calibration: images(32, 3) });
    assert.deepEqual(qat.plan.rangePoints, [-1, 1, 4, 7]);
    assert.equal(qat.observers.length, 4);
    assert.match(qat.describe(), /4 fake-quantized weights, 4 activation observers/);
    const x = images(8, 4);
    const float = noGrad(() => model.forward(x));
    const fake = noGrad(() => qat.eval().forward(x));
    const difference = maxAbsDiff(float, fake);
    assert.ok(difference > 0 && difference < 0.05 * maxAbs(float), `fake quantization changed the outputs by ${difference}`);
  });

  test('calibration initializes the ranges with their min and max; without it the first training batch does', async () => {
    const model = await trained(PLAIN_CNN);
    const calibration = images(16, 3);
    const calibrated = prepareQat(model, { calibration });
    const input = calibrated.observers[0]!;
    const values = Array.from(calibration.contiguousData());
    assert.deepEqual(input.observed(), { min: Math.min(...values), max: Math.max(...values) });
    assert.equal(input.samples.data[0], 16);

    const fresh = prepareQat(model);
    assert.equal(fresh.training, true);
    assert.ok(fresh.observers.every((o) => o.observed() === null));
    const batch = images(4, 5);
    fresh.forward(batch);
    const batchValues = Array.from(batch.contiguousData());
    assert.deepEqual(fresh.observers[0]!.observed(), { min: Math.min(...batchValues), max: Math.max(...batchValues) });
    assert.ok(fresh.observers.every((o) => o.observed() !== null));
  });

  test('a few fit() steps run, change the weights and move the ranges; the original model is untouched', async () => {
    const model = await trained(BN_CNN);
    const before = snapshot(model);
    const qat = prepareQat(model, { calibration: images(32, 3) });
    const start = snapshot(qat);
    const history = await fit(qat, { train: data(48, 8), loss: 'cross-entropy', optimizer: new Adam(qat.parameters(), { lr: 1e-3 }), epochs: 2, batchSize: 16, verbose: false, seed: 3 });
    assert.equal(history.epochs.length, 2);
    assert.ok(history.epochs.every((e) => Number.isFinite(e.logs.loss)));
    const after = snapshot(qat);
    for (const name of ['model.0.weight', 'model.3.weight', 'model.6.weight', 'model.8.bias', 'observers.1.range']) {
      assert.notDeepEqual(after[name], start[name], `${name} did not change`);
    }
    assert.equal(after['observers.0.samples']![0], 32 + 2 * 48);
    assert.deepEqual(snapshot(model), before);
  });

  test('the state (weights and ranges) loads into a freshly prepared model', async () => {
    const model = await trained(PLAIN_CNN);
    const qat = prepareQat(model, { calibration: images(32, 3) });
    await fit(qat, { train: data(32, 8), loss: 'cross-entropy', optimizer: new Adam(qat.parameters(), { lr: 1e-3 }), epochs: 1, verbose: false });
    const restored = prepareQat(model);
    restored.loadStateDict(qat.stateDict());
    const x = images(8, 9);
    assert.deepEqual(Array.from(noGrad(() => restored.eval().forward(x)).contiguousData()), Array.from(noGrad(() => qat.eval().forward(x)).contiguousData()));
  });

  test('errors name the problem and the fix', async () => {
    const model = await trained(PLAIN_CNN);
    assertThrows(() => prepareQat({} as SpecModel), ArgumentError, 'SpecModel');
    assertThrows(() => prepareQat(model, { averagingConstant: 0 }), ArgumentError, 'averagingConstant', '(0, 1]');
    const floatOnly = buildModel({ input: [4], layers: [{ type: 'tanh' }] });
    assertThrows(() => prepareQat(floatOnly), ArgumentError, 'nothing to train');
    assertThrows(() => prepareQat(model, { calibration: mul(images(4, 1), 0) }), ArgumentError, 'constant');
    assertThrows(() => convertQat(prepareQat(model)), DataError, 'the model input', 'not been observed');
    assertThrows(() => convertQat(model as unknown as QatModel), ArgumentError, 'prepareQat');
  });
});

describe('convertQat', () => {
  test('without training, equals post-training quantization with minmax calibration', async () => {
    const model = await trained(PLAIN_CNN);
    const calibration = images(32, 3);
    const fromQat = convertQat(prepareQat(model, { calibration }));
    const ptq = quantizeStatic(model, calibration, { method: 'minmax' });
    assert.deepEqual(fromQat.info, { mode: 'static', method: 'qat', calibrationSamples: 32 });
    assert.deepEqual(fromQat.metadata().stages, ptq.metadata().stages);
    const ours = fromQat.tensors();
    for (const [name, t] of Object.entries(ptq.tensors())) assert.deepEqual(Array.from(ours[name]!.contiguousData()), Array.from(t.contiguousData()), name);
  });

  test('after training, the integer model matches the QAT model in eval mode', async () => {
    const model = await trained(BN_CNN);
    const qat = prepareQat(model, { calibration: images(32, 3) });
    await fit(qat, { train: data(64, 8), loss: 'cross-entropy', optimizer: new Adam(qat.parameters(), { lr: 1e-3 }), epochs: 2, verbose: false, seed: 4 });
    const quantized = convertQat(qat);
    assert.equal(quantized.info.method, 'qat');
    assert.equal(quantized.info.calibrationSamples, 32 + 2 * 64);
    const x = images(256, 11);
    const fake = noGrad(() => qat.eval().forward(x));
    const integer = quantized.forward(x);
    // Integer biases and float32 requantization move an output code now and then: a few steps of the last
    // layer's input grid, far below the outputs' spread (observed: 0.3–0.6% of the largest output over
    // five seeds, with 0.1–2% of the u8 codes one step apart).
    const difference = maxAbsDiff(fake, integer);
    assert.ok(difference <= 0.02 * maxAbs(fake), `outputs differ by ${difference} (largest ${maxAbs(fake)})`);
    const integerClasses = argmax(integer, 1).contiguousData();
    const agree = Array.from(argmax(fake, 1).contiguousData()).filter((c, i) => c === integerClasses[i]).length;
    assert.ok(agree >= 0.97 * 256, `${agree} of 256 predictions agree`);
  });
});
