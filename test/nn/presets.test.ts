import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { ArgumentError, Generator, randn } from '../../src/index.js';
import { Conv2d, Dropout, Flatten, Linear, PRESETS, buildModel, presetSpec } from '../../src/nn/index.js';

describe('presets', () => {
  test('cnn-small is the reference CNN: 225,034 parameters and output [10] on 28×28 input', () => {
    const spec = presetSpec('cnn-small', { outputs: 10 });
    assert.deepEqual(spec.input, [1, 28, 28]);
    assert.deepEqual(spec.layers.map((l) => l.type), [
      'conv2d', 'relu', 'maxPool2d', 'conv2d', 'relu', 'maxPool2d', 'flatten', 'linear', 'relu', 'linear',
    ]);
    const model = buildModel(spec, { seed: 0 });
    assert.equal(model.parameterCount(), 225_034);
    assert.deepEqual(model.outputShape, [10]);
    assert.equal((model.layers[7] as Linear).inFeatures, 64 * 5 * 5);
    assert.deepEqual(model.forward(randn([2, 1, 28, 28], { generator: new Generator(1) })).shape, [2, 10]);
  });

  test('cnn-small follows its input and output options', () => {
    const model = buildModel(presetSpec('cnn-small', { input: [3, 32, 32], outputs: 4 }));
    assert.equal((model.layers[0] as Conv2d).inChannels, 3);
    // 32 → 30 → 15 → 13 → 6: Linear(64·6·6 → 128).
    assert.equal((model.layers[7] as Linear).inFeatures, 2304);
    assert.equal(model.parameterCount(), 3 * 32 * 9 + 32 + 18_496 + 2304 * 128 + 128 + 128 * 4 + 4);
    assert.deepEqual(model.outputShape, [4]);
  });

  test('mlp: Linear + ReLU per hidden width (default [128, 64]), then Linear(outputs)', () => {
    const spec = presetSpec('mlp', { input: [13], outputs: 3 });
    assert.deepEqual(spec, {
      input: [13],
      layers: [{ type: 'linear', out: 128 }, { type: 'relu' }, { type: 'linear', out: 64 }, { type: 'relu' }, { type: 'linear', out: 3 }],
    });
    assert.equal(buildModel(spec).parameterCount(), 13 * 128 + 128 + 128 * 64 + 64 + 64 * 3 + 3);
  });

  test('mlp with hidden widths and dropout, on a multi-dimensional input (flattened first)', () => {
    const spec = presetSpec('mlp', { input: [1, 4, 4], outputs: 2, hidden: [8, 6], dropout: 0.25 });
    assert.deepEqual(spec.layers, [
      { type: 'flatten' },
      { type: 'linear', out: 8 }, { type: 'relu' }, { type: 'dropout', p: 0.25 },
      { type: 'linear', out: 6 }, { type: 'relu' }, { type: 'dropout', p: 0.25 },
      { type: 'linear', out: 2 },
    ]);
    const model = buildModel(spec);
    assert.ok(model.layers[0] instanceof Flatten);
    assert.equal((model.layers[1] as Linear).inFeatures, 16);
    assert.equal((model.layers[3] as Dropout).p, 0.25);
    assert.deepEqual(model.outputShape, [2]);
    assert.deepEqual(presetSpec('mlp', { input: [5], outputs: 1, hidden: [] }).layers, [{ type: 'linear', out: 1 }]);
  });

  test('mlp without an input shape is an ArgumentError that says how to give it', () => {
    assert.throws(() => presetSpec('mlp', { outputs: 3 }), (error: unknown) => error instanceof ArgumentError && /give the input shape/.test(error.message));
  });

  test('an unknown preset lists the available ones', () => {
    assert.deepEqual([...PRESETS], ['mlp', 'cnn-small']);
    assert.throws(() => presetSpec('resnet50', { outputs: 10 }), (error: unknown) => {
      assert.ok(error instanceof ArgumentError);
      assert.match(error.message, /unknown model preset "resnet50"; available: mlp, cnn-small/);
      return true;
    });
  });

  test('preset specs are fresh objects each time', () => {
    const a = presetSpec('cnn-small', { outputs: 10 });
    a.layers.pop();
    assert.equal(presetSpec('cnn-small', { outputs: 10 }).layers.length, 10);
  });
});
