import { test } from 'node:test';
import assert from 'node:assert/strict';
import { noGrad } from '../../../src/autograd/grad-mode.js';
import { calibrate } from '../../../src/compress/quantize/calibrate.js';
import { foldBatchNorm } from '../../../src/compress/quantize/fold.js';
import { planQuantization } from '../../../src/compress/quantize/plan.js';
import { affineQParams, quantizeWeights, symmetricScales } from '../../../src/compress/quantize/qparams.js';
import { quantizeDynamic, quantizeStatic } from '../../../src/compress/quantize/quantize.js';
import { ArgumentError } from '../../../src/errors.js';
import type { BatchNorm2d } from '../../../src/nn/layers/normalization.js';
import type { Conv2d } from '../../../src/nn/layers/conv2d.js';
import { presetSpec } from '../../../src/nn/presets.js';
import { buildQuantizedModel } from '../../../src/nn/quantized/quantized-model.js';
import type { QuantizedStageSpec } from '../../../src/nn/quantized/stage.js';
import { buildModel, type ModelSpec, type SpecModel } from '../../../src/nn/spec.js';
import { conv2d } from '../../../src/ops/conv.js';
import { full, rand, randn, zeros } from '../../../src/tensor/creation.js';
import { Generator } from '../../../src/tensor/random.js';
import { Tensor } from '../../../src/tensor/tensor.js';

const cnn = (): SpecModel => buildModel(presetSpec('cnn-small', { outputs: 10 }), { seed: 3 }).eval();

/** max |a − b| relative to the largest |a|. */
function relativeError(a: Tensor, b: Tensor): number {
  const x = a.contiguousData(), y = b.contiguousData();
  let diff = 0, scale = 0;
  for (let i = 0; i < x.length; i++) {
    diff = Math.max(diff, Math.abs(x[i]! - y[i]!));
    scale = Math.max(scale, Math.abs(x[i]!));
  }
  return diff / scale;
}

function forward(model: SpecModel, x: Tensor): Tensor {
  return noGrad(() => model.forward(x));
}

test('affine parameters include zero, round the zero point and refuse an empty range', () => {
  assert.deepEqual(affineQParams(0, 2.55, 'x'), { scale: Math.fround(0.01), zeroPoint: 0 });
  const { scale, zeroPoint } = affineQParams(-1, 3, 'x');
  assert.equal(scale, Math.fround(4 / 255));
  assert.equal(zeroPoint, 64);
  assert.deepEqual(affineQParams(2, 5, 'x').zeroPoint, 0, 'a positive range is widened down to 0');
  assert.throws(() => affineQParams(0, 0, 'layer 3'), (e: Error) => e instanceof ArgumentError && /layer 3: every observed value is 0/.test(e.message));
  assert.throws(() => affineQParams(NaN, 1, 'x'), /not a finite interval/);
});

test('per-channel symmetric weights: max |w| maps to ±127, an all-zero channel keeps zeros', () => {
  const w = Float32Array.of(0.5, -1, 0.25, 0, 0, 0, 2, 1, -2);
  const scales = symmetricScales(w, 3);
  assert.deepEqual(Array.from(scales), [Math.fround(1 / 127), 1, Math.fround(2 / 127)]);
  assert.deepEqual(Array.from(quantizeWeights(w, scales)), [64, -127, 32, 0, 0, 0, 127, 64, -127]);
});

test('the plan of the reference CNN: conv+ReLU, pool, conv+ReLU, pool, flatten, linear+ReLU, linear; ranges at the input and after each fused ReLU', () => {
  const plan = planQuantization(cnn());
  assert.deepEqual(plan.stages.map((s) => s.kind), ['conv2d', 'maxPool2d', 'conv2d', 'maxPool2d', 'flatten', 'linear', 'linear']);
  assert.deepEqual(plan.rangePoints, [-1, 1, 4, 8]);
});

test('a mixed model: batch norm folded, a sigmoid as a lookup table, layer norm and softmax in float islands', () => {
  const spec: ModelSpec = {
    input: [3, 12, 12],
    layers: [
      { type: 'conv2d', out: 8, kernel: 3, padding: 'same' }, { type: 'batchNorm2d' }, { type: 'sigmoid' },
      { type: 'conv2d', out: 6, kernel: 3, stride: 2 }, { type: 'relu' }, { type: 'avgPool2d', kernel: 2 },
      { type: 'flatten' }, { type: 'layerNorm' }, { type: 'linear', out: 16 }, { type: 'relu' }, { type: 'dropout' },
      { type: 'linear', out: 4 }, { type: 'softmax' },
    ],
  };
  const model = buildModel(spec, { seed: 5 });
  // Trained-looking batch-norm statistics, so folding has something to fold.
  const norm = model.layers[1] as BatchNorm2d;
  norm.runningMean.contiguousData().set(Array.from({ length: 8 }, (_, i) => 0.1 * i - 0.3));
  norm.runningVar.contiguousData().set(Array.from({ length: 8 }, (_, i) => 0.5 + 0.2 * i));
  norm.weight!.contiguousData().set(Array.from({ length: 8 }, (_, i) => 1 + 0.1 * i));
  model.eval();
  const plan = planQuantization(model);
  // Pooling and flattening right before a float layer gain nothing in integers: they join the float island.
  assert.deepEqual(plan.stages.map((s) => s.kind), ['conv2d', 'lookup', 'conv2d', 'float', 'linear', 'identity', 'linear', 'float']);
  assert.deepEqual(plan.stages[3]!.layers, [5, 6, 7]);
  const x = randn([32, 3, 12, 12], { generator: new Generator(1) });
  const q = quantizeStatic(model, x, { method: 'minmax' });
  assert.match(q.summary(), /QuantizedLookup\(sigmoid\)/);
  assert.match(q.summary(), /Float\(avgPool2d, flatten, layerNorm\)/);
  assert.match(q.summary(), /Float\(softmax\)/);
  const err = relativeError(forward(model, x), q.forward(x));
  assert.ok(err < 0.05, `relative error ${err}`);
});

test('folding batch norm into a convolution leaves its evaluation-mode output unchanged', () => {
  const model = buildModel({ input: [2, 6, 6], layers: [{ type: 'conv2d', out: 3, kernel: 3 }, { type: 'batchNorm2d' }] }, { seed: 2 });
  const conv = model.layers[0] as Conv2d;
  const norm = model.layers[1] as BatchNorm2d;
  norm.runningMean.contiguousData().set([0.5, -1, 2]);
  norm.runningVar.contiguousData().set([4, 0.25, 1]);
  norm.weight!.contiguousData().set([2, -1, 0.5]);
  norm.bias!.contiguousData().set([0.1, 0.2, -0.3]);
  model.eval();
  const folded = foldBatchNorm(conv.weight.contiguousData() as Float32Array, conv.bias!.contiguousData() as Float32Array, 3, norm);
  const x = randn([2, 2, 6, 6], { generator: new Generator(4) });
  const want = forward(model, x);
  const got = noGrad(() => conv2d(x, new Tensor(folded.weight, conv.weight.shape), new Tensor(folded.bias, [3])));
  assert.ok(relativeError(want, got) < 1e-6);
});

test('the quantized reference CNN follows the float model closely and agrees on the predicted classes', () => {
  const model = cnn();
  const calibration = rand([128, 1, 28, 28], { generator: new Generator(7) });
  const x = rand([64, 1, 28, 28], { generator: new Generator(8) });
  const want = forward(model, x);
  for (const method of ['minmax', 'percentile', 'mse'] as const) {
    const q = quantizeStatic(model, calibration, { method });
    assert.equal(q.info.method, method);
    assert.equal(q.info.calibrationSamples, 128);
    const got = q.forward(x);
    assert.ok(relativeError(want, got) < 0.05, `${method}: relative error ${relativeError(want, got)}`);
  }
});

test('quantizing is deterministic and leaves the float model untouched', () => {
  const model = cnn();
  const before = model.stateDict()['0.weight']!.contiguousData().slice();
  const calibration = rand([64, 1, 28, 28], { generator: new Generator(1) });
  const a = quantizeStatic(model, calibration);
  const b = quantizeStatic(model, calibration);
  assert.deepEqual(a.metadata(), b.metadata());
  const x = rand([5, 1, 28, 28], { generator: new Generator(2) });
  assert.deepEqual(Array.from(a.forward(x).contiguousData()), Array.from(b.forward(x).contiguousData()));
  assert.deepEqual(model.stateDict()['0.weight']!.contiguousData(), before);
});

test('percentile and MSE ranges ignore a rare outlier that min-max keeps', () => {
  const model = buildModel({ input: [4], layers: [{ type: 'linear', out: 3 }] }, { seed: 1 });
  const data = randn([10000, 4], { generator: new Generator(3) });
  data.contiguousData()[5] = 1000;
  const plan = planQuantization(model);
  const ranges = (method: 'minmax' | 'percentile' | 'mse') => calibrate(model, plan, data, { method }).ranges.get(-1)!;
  assert.equal(ranges('minmax').max, 1000);
  assert.ok(ranges('percentile').max < 10, `percentile max ${ranges('percentile').max}`);
  assert.ok(ranges('mse').max < 1000);
});

test('calibration on no samples, constant samples or NaN gives a clear error', () => {
  const model = cnn();
  assert.throws(() => quantizeStatic(model, zeros([0, 1, 28, 28])), /no calibration samples/);
  assert.throws(() => quantizeStatic(model, []), /no calibration samples/);
  assert.throws(() => quantizeStatic(model, full([8, 1, 28, 28], 0.5)), (e: Error) => e instanceof ArgumentError && /the model input is constant \(every value is 0\.5\) over the 8 calibration samples/.test(e.message));
  const nan = rand([4, 1, 28, 28]);
  nan.contiguousData()[3] = NaN;
  assert.throws(() => quantizeStatic(model, nan), /holds NaN/);
  assert.throws(() => quantizeStatic(model, rand([4, 1, 28, 28]), { method: 'entropy' as never }), /method must be one of minmax, percentile, mse/);
});

test('a NaN input to a quantized model is refused by name, not silently quantized', () => {
  const q = quantizeStatic(cnn(), rand([16, 1, 28, 28]));
  const x = rand([2, 1, 28, 28]);
  x.contiguousData()[800] = NaN;
  assert.throws(() => q.forward(x), /input value 800 of the batch is NaN/);
});

test('dynamic quantization of an MLP: int8 linear weights, per-batch activation ranges, close to float', () => {
  const model = buildModel(presetSpec('mlp', { input: [20], outputs: 3, hidden: [32, 16] }), { seed: 4 }).eval();
  const q = quantizeDynamic(model);
  assert.deepEqual(q.stages.map((s) => s.toJSON().type), ['dynamicLinear', 'float', 'dynamicLinear', 'float', 'dynamicLinear']);
  const x = randn([50, 20], { generator: new Generator(6) });
  assert.ok(relativeError(forward(model, x), q.forward(x)) < 0.03);
  assert.throws(() => quantizeDynamic(buildModel({ input: [1, 4, 4], layers: [{ type: 'conv2d', out: 2, kernel: 3 }] })), /no linear layer/);
});

test('reused buffers never leak between calls: batches of other sizes in between change nothing', () => {
  const q = quantizeStatic(cnn(), rand([32, 1, 28, 28], { generator: new Generator(5) }));
  const a = rand([7, 1, 28, 28], { generator: new Generator(6) });
  const b = rand([3, 1, 28, 28], { generator: new Generator(7) });
  const first = Array.from(q.forward(a).contiguousData());
  const small = Array.from(q.forward(b).contiguousData());
  q.forward(rand([40, 1, 28, 28], { generator: new Generator(8) }));
  assert.deepEqual(Array.from(q.forward(a).contiguousData()), first);
  assert.deepEqual(Array.from(q.forward(b).contiguousData()), small);
  // Each stage on its own, with fresh memory, agrees with the model.
  let activation: Parameters<typeof q.stages[0]['run']>[0] = { kind: 'float', tensor: b };
  for (const stage of q.stages) activation = stage.run(activation);
  assert.equal(activation.kind, 'float');
  assert.deepEqual(Array.from((activation as { tensor: Tensor }).tensor.contiguousData()), small);
});

test('a max pooling fused into the convolution gives exactly the codes of pooling after it', () => {
  const q = quantizeStatic(cnn(), rand([32, 1, 28, 28], { generator: new Generator(9) }));
  const { stages, ...info } = q.metadata();
  assert.deepEqual(stages.map((s) => s.type), ['quantize', 'conv2d', 'conv2d', 'flatten', 'linear', 'linear']);
  // The same model with each pooling as a stage of its own: tensors move to the stages' new positions.
  const unfused: QuantizedStageSpec[] = [];
  const tensors: Record<string, Tensor> = {};
  stages.forEach((stage, i) => {
    for (const [name, t] of Object.entries(q.stages[i]!.tensors())) tensors[`stages.${unfused.length}.${name}`] = t;
    if (stage.type === 'conv2d' && stage.maxPool) {
      const { maxPool, ...conv } = stage;
      unfused.push(conv, { type: 'maxPool2d', kernel: maxPool.kernel, stride: maxPool.stride, padding: [0, 0] });
    } else {
      unfused.push(stage);
    }
  });
  const separate = buildQuantizedModel(q.spec, { ...info, stages: unfused }, tensors, (problem) => assert.fail(problem));
  assert.equal(separate.stages.length, 8);
  const x = rand([9, 1, 28, 28], { generator: new Generator(10) });
  assert.deepEqual(Array.from(separate.forward(x).contiguousData()), Array.from(q.forward(x).contiguousData()));
});
