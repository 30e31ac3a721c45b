import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Generator, SpecError, fromArray, randn, zeros } from '../../src/index.js';
import {
  AvgPool2d, BatchNorm1d, BatchNorm2d, Conv2d, Dropout, ELU, Embedding, Flatten, GELU, GlobalAvgPool2d, LAYER_TYPES,
  LayerNorm, LeakyReLU, Linear, LogSoftmax, MaxPool2d, ReLU, Residual, Sequential, Sigmoid, Softmax, Softplus, SpecModel, Tanh,
  buildModel, type LayerSpec, type ModelSpec,
} from '../../src/nn/index.js';
import { values } from './util.js';

/** Builds a one-layer model and checks the module class and the inferred output shape. */
interface LayerCase {
  input: number[];
  layer: LayerSpec;
  kind: new (...args: never[]) => object;
  output: number[];
}

const LAYER_CASES: LayerCase[] = [
  { input: [6], layer: { type: 'linear', out: 4 }, kind: Linear, output: [4] },
  { input: [3, 8, 8], layer: { type: 'conv2d', out: 5, kernel: 3, stride: 2, padding: 1 }, kind: Conv2d, output: [5, 4, 4] },
  { input: [2, 8, 6], layer: { type: 'maxPool2d', kernel: 2 }, kind: MaxPool2d, output: [2, 4, 3] },
  { input: [2, 8, 6], layer: { type: 'avgPool2d', kernel: 3, stride: 1, padding: 1, countIncludePad: false }, kind: AvgPool2d, output: [2, 8, 6] },
  { input: [2, 8, 6], layer: { type: 'globalAvgPool2d' }, kind: GlobalAvgPool2d, output: [2, 1, 1] },
  { input: [2, 8, 6], layer: { type: 'flatten' }, kind: Flatten, output: [96] },
  { input: [7], layer: { type: 'dropout', p: 0.2 }, kind: Dropout, output: [7] },
  { input: [7], layer: { type: 'batchNorm1d', momentum: 0.2 }, kind: BatchNorm1d, output: [7] },
  { input: [4, 3, 3], layer: { type: 'batchNorm2d', eps: 1e-3 }, kind: BatchNorm2d, output: [4, 3, 3] },
  { input: [3, 9], layer: { type: 'layerNorm' }, kind: LayerNorm, output: [3, 9] },
  { input: [5], layer: { type: 'embedding', num: 10, dim: 3 }, kind: Embedding, output: [5, 3] },
  { input: [4], layer: { type: 'relu' }, kind: ReLU, output: [4] },
  { input: [4], layer: { type: 'gelu' }, kind: GELU, output: [4] },
  { input: [4], layer: { type: 'sigmoid' }, kind: Sigmoid, output: [4] },
  { input: [4], layer: { type: 'tanh' }, kind: Tanh, output: [4] },
  { input: [4], layer: { type: 'softplus' }, kind: Softplus, output: [4] },
  { input: [4], layer: { type: 'leakyRelu', slope: 0.2 }, kind: LeakyReLU, output: [4] },
  { input: [4], layer: { type: 'elu', alpha: 0.5 }, kind: ELU, output: [4] },
  { input: [4], layer: { type: 'softmax' }, kind: Softmax, output: [4] },
  { input: [4], layer: { type: 'logSoftmax', axis: -1 }, kind: LogSoftmax, output: [4] },
  {
    input: [2, 6, 6],
    layer: { type: 'residual', body: [{ type: 'conv2d', out: 4, kernel: 3, padding: 1 }], shortcut: [{ type: 'conv2d', out: 4, kernel: 1 }] },
    kind: Residual,
    output: [4, 6, 6],
  },
];

describe('buildModel: every layer type', () => {
  for (const { input, layer, kind, output } of LAYER_CASES) {
    test(`${layer.type}: builds ${kind.name} and infers output ${JSON.stringify(output)}`, () => {
      const model = buildModel({ input, layers: [layer] }, { seed: 1 });
      assert.ok(model instanceof SpecModel && model instanceof Sequential);
      assert.equal(model.layers.length, 1);
      assert.ok(model.layers[0] instanceof kind, `${model.layers[0]!.constructor.name} is not ${kind.name}`);
      assert.deepEqual(model.outputShape, output);
      const x = layer.type === 'embedding' ? fromArray([[1, 2, 3, 4, 9]], { dtype: 'int32' }) : randn([2, ...input], { generator: new Generator(1) });
      assert.deepEqual(model.eval().forward(x).shape.slice(1), output);
    });
  }

  test('the cases above cover every type in LAYER_TYPES', () => {
    assert.deepEqual(new Set(LAYER_CASES.map((c) => c.layer.type)), new Set(LAYER_TYPES));
  });

  test('layer settings reach the modules', () => {
    const model = buildModel({
      input: [4, 8, 8],
      layers: [
        { type: 'conv2d', out: 6, kernel: [3, 1], stride: 2, groups: 2, bias: false },
        { type: 'batchNorm2d', eps: 1e-3, momentum: 0.3 },
        { type: 'leakyRelu', slope: 0.3 },
        { type: 'dropout', p: 0.1 },
        { type: 'flatten' },
        { type: 'linear', out: 2, bias: false },
        { type: 'softmax', axis: 1 },
      ],
    });
    const [conv, bn, leaky, drop, , linear, softmax] = model.layers as [Conv2d, BatchNorm2d, LeakyReLU, Dropout, Flatten, Linear, Softmax];
    assert.deepEqual(conv.weight.shape, [6, 2, 3, 1]);
    assert.equal(conv.bias, null);
    assert.equal(bn.eps, 1e-3);
    assert.equal(bn.momentum, 0.3);
    assert.equal(leaky.negativeSlope, 0.3);
    assert.equal(drop.p, 0.1);
    assert.equal(linear.bias, null);
    assert.equal(softmax.axis, 1);
    assert.deepEqual(model.outputShape, [2]);
  });
});

describe('buildModel: shape inference', () => {
  test('linear takes its input size from the previous layer, conv its channels, batch norm its features', () => {
    const model = buildModel({
      input: [3, 10, 10],
      layers: [
        { type: 'conv2d', out: 8, kernel: 3 },
        { type: 'batchNorm2d' },
        { type: 'conv2d', out: 16, kernel: 3, stride: 2 },
        { type: 'flatten' },
        { type: 'linear', out: 12 },
        { type: 'batchNorm1d' },
        { type: 'layerNorm' },
        { type: 'linear', out: 5 },
      ],
    });
    const [conv1, bn2d, conv2, , fc1, bn1d, ln, fc2] = model.layers as [Conv2d, BatchNorm2d, Conv2d, Flatten, Linear, BatchNorm1d, LayerNorm, Linear];
    assert.equal(conv1.inChannels, 3);
    assert.equal(bn2d.numFeatures, 8);
    assert.equal(conv2.inChannels, 8);
    // 10 → 8 (3×3) → 3 (3×3, stride 2): 16·3·3 = 144 features.
    assert.equal(fc1.inFeatures, 144);
    assert.equal(bn1d.numFeatures, 12);
    assert.deepEqual(ln.normalizedShape, [12]);
    assert.equal(fc2.inFeatures, 12);
    assert.deepEqual(model.outputShape, [5]);
  });

  test('residual: body and shortcut both see the block\'s input; the block\'s output feeds the next layer', () => {
    const model = buildModel({
      input: [2, 8, 8],
      layers: [
        {
          type: 'residual',
          body: [{ type: 'conv2d', out: 4, kernel: 3, stride: 2, padding: 1 }, { type: 'batchNorm2d' }, { type: 'relu' }],
          shortcut: [{ type: 'conv2d', out: 4, kernel: 1, stride: 2 }],
        },
        { type: 'residual', body: [{ type: 'conv2d', out: 4, kernel: 3, padding: 'same' }] },
        { type: 'globalAvgPool2d' },
        { type: 'flatten' },
        { type: 'linear', out: 3 },
      ],
    });
    assert.deepEqual(model.outputShape, [3]);
    assert.deepEqual(model.namedParameters().map(([n]) => n), [
      '0.body.0.weight', '0.body.0.bias', '0.body.1.weight', '0.body.1.bias', '0.shortcut.0.weight', '0.shortcut.0.bias',
      '1.body.0.weight', '1.body.0.bias', '4.weight', '4.bias',
    ]);
    const first = model.layers[0] as Residual;
    assert.equal(((first.shortcut as Sequential).layers[0] as Conv2d).inChannels, 2);
    assert.equal((model.layers[1] as Residual).shortcut, null);
    assert.equal(((model.layers[1] as Residual).body as Sequential).layers.length, 1);
    assert.deepEqual(model.forward(randn([2, 2, 8, 8])).shape, [2, 3]);
  });

  test('a built model is in training mode (the shape probe ran in eval mode without touching the stats)', () => {
    const model = buildModel({ input: [3], layers: [{ type: 'batchNorm1d' }, { type: 'dropout' }] });
    assert.ok(model.namedModules().every(([, m]) => m.training));
    const bn = model.layers[0] as BatchNorm1d;
    assert.deepEqual(values(bn.runningMean), [0, 0, 0]);
    assert.deepEqual(values(bn.runningVar), [1, 1, 1]);
  });
});

describe('buildModel: errors', () => {
  const expectSpecError = (spec: unknown, ...patterns: RegExp[]): void => {
    assert.throws(() => buildModel(spec as ModelSpec), (error: unknown) => {
      assert.ok(error instanceof SpecError, `expected a SpecError, got ${String(error)}`);
      for (const pattern of patterns) assert.match(error.message, pattern);
      return true;
    });
  };

  test('an unknown layer type lists the known types', () => {
    expectSpecError({ input: [4], layers: [{ type: 'relu' }, { type: 'lnear', out: 2 }] }, /layers\[1\]: unknown layer type "lnear"/, /known types: linear, conv2d, .*residual/);
    // Names of Object's prototype members are unknown types too, not crashes.
    expectSpecError({ input: [4], layers: [{ type: 'constructor' }] }, /unknown layer type "constructor"/);
    expectSpecError({ input: [4], layers: [{ type: '__proto__' }] }, /unknown layer type "__proto__"/);
  });

  test('an unknown field (a typo) is named, with the allowed fields', () => {
    expectSpecError({ input: [4], layers: [{ type: 'linear', outt: 2 }] }, /layers\[0\] \(linear\): unknown field outt; allowed: out, bias/);
    expectSpecError({ input: [4], layers: [{ type: 'relu', slope: 1, p: 2 }] }, /unknown fields slope, p; allowed: none/);
  });

  test('a missing required field is named', () => {
    expectSpecError({ input: [3, 8, 8], layers: [{ type: 'conv2d', out: 4 }] }, /layers\[0\] \(conv2d\): missing required field kernel/);
    expectSpecError({ input: [4], layers: [{ type: 'embedding' }] }, /missing required fields num, dim/);
    expectSpecError({ input: [4], layers: [{ type: 'residual' }] }, /\(residual\): missing required field body/);
  });

  test('a conv kernel larger than its input names the layer path and the shapes', () => {
    expectSpecError(
      { input: [1, 5, 5], layers: [{ type: 'conv2d', out: 2, kernel: 3 }, { type: 'conv2d', out: 2, kernel: 5 }] },
      /^layers\[1\]: Conv2d\(2→2, kernel=5×5\) does not fit its input of shape \[2,3,3\]/,
      /smaller than the dilated kernel 5×5/,
    );
  });

  test('errors inside a residual name the nested path', () => {
    expectSpecError(
      { input: [2, 4, 4], layers: [{ type: 'residual', body: [{ type: 'relu' }, { type: 'conv2d', out: 2, kernel: 9 }] }] },
      /^layers\[0\]\.body\[1\]: Conv2d/,
    );
    expectSpecError(
      { input: [2, 4, 4], layers: [{ type: 'residual', body: [{ type: 'relu' }], shortcut: [{ type: 'maxPol2d' }] }] },
      /^layers\[0\]\.shortcut\[0\]: unknown layer type "maxPol2d"/,
    );
    expectSpecError(
      { input: [4], layers: [{ type: 'residual', body: [{ type: 'linear', out: 3 }] }] },
      /^layers\[0\]: Residual does not fit/, /\[1,3\] differs from the shortcut's \[1,4\]/,
    );
  });

  test('invalid settings are reported as SpecErrors with the path', () => {
    expectSpecError({ input: [4], layers: [{ type: 'dropout', p: 1.5 }] }, /layers\[0\] \(dropout\): Dropout: p must be in \[0, 1\)/);
    expectSpecError({ input: [4], layers: [{ type: 'linear', out: 0 }] }, /layers\[0\] \(linear\): .*outFeatures must be a positive integer/);
    expectSpecError({ input: [3, 8, 8], layers: [{ type: 'conv2d', out: 4, kernel: 3, groups: 2 }] }, /groups=2 must divide/);
    expectSpecError({ input: [4], layers: [{ type: 'batchNorm2d' }] }, /layers\[0\]: BatchNorm2d\(4.*does not fit its input of shape \[4\]/);
    expectSpecError({ input: [4], layers: ['relu'] }, /layers\[0\]: expected an object with a "type", got "relu"/);
  });

  test('a bad input shape or a spec that is not an object is refused', () => {
    for (const input of [[], [0], [3, -1], [1.5], ['28'], undefined]) {
      expectSpecError({ input, layers: [] }, /"input" must be the shape of one sample/);
    }
    expectSpecError(null, /expected an object \{ "input": \[\.\.\.\], "layers": \[\.\.\.\] \}/);
    expectSpecError({ input: [4] }, /expected an object/);
  });
});

describe('SpecModel', () => {
  test('keeps a deep copy of its spec and its output shape', () => {
    const spec: ModelSpec = { input: [4], layers: [{ type: 'linear', out: 2 }, { type: 'residual', body: [{ type: 'relu' }] }] };
    const model = buildModel(spec);
    assert.deepEqual(model.spec, spec);
    assert.notEqual(model.spec, spec);
    spec.input[0] = 99;
    (spec.layers[0] as { out: number }).out = 99;
    ((spec.layers[1] as { body: LayerSpec[] }).body).push({ type: 'tanh' });
    assert.deepEqual(model.spec, { input: [4], layers: [{ type: 'linear', out: 2 }, { type: 'residual', body: [{ type: 'relu' }] }] });
    assert.deepEqual(model.outputShape, [2]);
  });

  test('the same seed gives identical weights; another seed other weights; a generator works too', () => {
    const spec: ModelSpec = { input: [1, 6, 6], layers: [{ type: 'conv2d', out: 2, kernel: 3 }, { type: 'flatten' }, { type: 'linear', out: 3 }] };
    const state = (m: SpecModel) => Object.entries(m.stateDict()).map(([k, v]) => [k, values(v)]);
    assert.deepEqual(state(buildModel(spec, { seed: 5 })), state(buildModel(spec, { seed: 5 })));
    assert.notDeepEqual(state(buildModel(spec, { seed: 5 })), state(buildModel(spec, { seed: 6 })));
    assert.deepEqual(state(buildModel(spec, { generator: new Generator(5) })), state(buildModel(spec, { seed: 5 })));
  });

  test('a spec that went through JSON rebuilds the same model', () => {
    const model = buildModel({ input: [3], layers: [{ type: 'linear', out: 4 }, { type: 'gelu' }, { type: 'linear', out: 1 }] }, { seed: 2 });
    const rebuilt = buildModel(JSON.parse(JSON.stringify(model.spec)) as ModelSpec, { seed: 7 });
    rebuilt.loadStateDict(model.stateDict());
    const x = randn([5, 3], { generator: new Generator(3) });
    assert.deepEqual(values(rebuilt.forward(x)), values(model.forward(x)));
  });

  test('an embedding model takes int32 indices', () => {
    const model = buildModel({ input: [3], layers: [{ type: 'embedding', num: 6, dim: 2 }, { type: 'flatten' }, { type: 'linear', out: 2 }] });
    assert.deepEqual(model.outputShape, [2]);
    assert.equal(model.inputDType(), 'int32');
    assert.deepEqual(model.forward(zeros([4, 3], { dtype: 'int32' })).shape, [4, 2]);
  });
});

test('absurd padding is refused before anything is allocated', () => {
  assert.throws(
    () => buildModel({ input: [1, 8, 8], layers: [{ type: 'conv2d', out: 2, kernel: 3, padding: 30000 }] }),
    (e) => e instanceof SpecError && /layers\[0\] \(conv2d\): padding \[30000,30000\] on input \[1,8,8\]/.test(e.message),
  );
});
