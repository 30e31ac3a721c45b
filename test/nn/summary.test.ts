import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Generator, ShapeError, Tensor, mul, randn } from '../../src/index.js';
import {
  BatchNorm1d, Dropout, Embedding, Flatten, Linear, Module, ReLU, Residual, Sequential, buildModel, formatSummary, presetSpec, summarize,
} from '../../src/nn/index.js';
import { values } from './util.js';

const cnn = () => buildModel(presetSpec('cnn-small', { outputs: 10 }), { seed: 0 });

const CNN_ROWS = [
  { name: '0', layer: 'Conv2d(1→32, kernel=3×3)', outputShape: [-1, 32, 26, 26], parameters: 320 },
  { name: '1', layer: 'ReLU', outputShape: [-1, 32, 26, 26], parameters: 0 },
  { name: '2', layer: 'MaxPool2d(kernel=2)', outputShape: [-1, 32, 13, 13], parameters: 0 },
  { name: '3', layer: 'Conv2d(32→64, kernel=3×3)', outputShape: [-1, 64, 11, 11], parameters: 18_496 },
  { name: '4', layer: 'ReLU', outputShape: [-1, 64, 11, 11], parameters: 0 },
  { name: '5', layer: 'MaxPool2d(kernel=2)', outputShape: [-1, 64, 5, 5], parameters: 0 },
  { name: '6', layer: 'Flatten', outputShape: [-1, 1600], parameters: 0 },
  { name: '7', layer: 'Linear(in=1600, out=128)', outputShape: [-1, 128], parameters: 204_928 },
  { name: '8', layer: 'ReLU', outputShape: [-1, 128], parameters: 0 },
  { name: '9', layer: 'Linear(in=128, out=10)', outputShape: [-1, 10], parameters: 1_290 },
];

/** True when no module of the tree has its own `forward` property (the probe's wrappers are gone). */
const noOwnForward = (model: Module): boolean => model.namedModules().every(([, m]) => !Object.hasOwn(m, 'forward'));

describe('summarize', () => {
  test('cnn-small: one row per layer with its name, description, output shape (batch −1) and parameters', () => {
    const rows = summarize(cnn(), [1, 28, 28]);
    assert.deepEqual(rows, CNN_ROWS);
    assert.equal(rows.reduce((n, r) => n + r.parameters, 0), 225_034);
  });

  test('nested containers give dotted names; rows follow the forward order', () => {
    const model = new Sequential(
      new Linear(4, 3),
      new Residual(new Sequential(new Linear(3, 3), new ReLU()), new Sequential(new Linear(3, 3, { bias: false }))),
    );
    const rows = summarize(model, [4]);
    assert.deepEqual(rows.map((r) => r.name), ['0', '1.body.0', '1.body.1', '1.shortcut.0']);
    assert.deepEqual(rows.map((r) => r.parameters), [15, 12, 0, 9]);
    assert.deepEqual(rows.map((r) => r.outputShape), [[-1, 3], [-1, 3], [-1, 3], [-1, 3]]);
  });

  test('a single layer is its own row, named by its class', () => {
    assert.deepEqual(summarize(new Linear(3, 2), [3]), [{ name: 'Linear', layer: 'Linear(in=3, out=2)', outputShape: [-1, 2], parameters: 8 }]);
  });

  test('a model that starts with an embedding is probed with int32 indices', () => {
    const model = new Sequential(new Embedding(10, 4), new Flatten(), new Linear(12, 2));
    assert.deepEqual(summarize(model, [3]).map((r) => r.outputShape), [[-1, 3, 4], [-1, 12], [-1, 2]]);
  });
});

describe('summary leaves the model as it was', () => {
  test('forward is restored: no own forward property remains, and forward still works', () => {
    const model = cnn();
    summarize(model, [1, 28, 28]);
    assert.ok(noOwnForward(model));
    const x = randn([2, 1, 28, 28], { generator: new Generator(1) });
    assert.deepEqual(model.forward(x).shape, [2, 10]);
    // A second summary gives the same rows (no leftover wrappers adding rows twice).
    assert.deepEqual(summarize(model, [1, 28, 28]), CNN_ROWS);
  });

  test('a forward the instance had of its own (a user\'s patch) is put back, not deleted', () => {
    const relu = new ReLU();
    const patched = (x: Tensor): Tensor => mul(ReLU.prototype.forward.call(relu, x), 2);
    relu.forward = patched;
    const model = new Sequential(new Linear(2, 2), relu);
    assert.deepEqual(summarize(model, [2]).map((r) => r.name), ['0', '1']);
    assert.equal(relu.forward, patched);
    assert.ok(!Object.hasOwn(model.layers[0]!, 'forward'));
  });

  test('a layer shared by two places (tied) is recorded once per call, not twice', () => {
    const shared = new Linear(3, 3);
    const model = new Sequential(shared, new ReLU(), shared);
    assert.deepEqual(summarize(model, [3]).map((r) => r.name), ['0', '1', '0']);
    assert.ok(noOwnForward(model));
  });

  test('a training model stays in training mode, an eval model in eval mode', () => {
    const model = cnn();
    summarize(model, [1, 28, 28]);
    assert.ok(model.namedModules().every(([, m]) => m.training));
    model.eval();
    summarize(model, [1, 28, 28]);
    assert.ok(model.namedModules().every(([, m]) => !m.training));
  });

  test('mixed modes survive (a frozen batch norm inside a training model), and the probe runs in eval mode', () => {
    const bn = new BatchNorm1d(3);
    const dropout = new Dropout(0.5);
    const model = new Sequential(new Linear(4, 3), bn, dropout);
    bn.eval();
    summarize(model, [4]);
    assert.deepEqual(model.namedModules().map(([, m]) => m.training), [true, true, false, true]);
    // The probe used eval mode: the running statistics did not move (a batch of one could not train anyway).
    assert.deepEqual(values(bn.runningMean), [0, 0, 0]);
    bn.train();
    summarize(model, [4]);
    assert.deepEqual(values(bn.runningMean), [0, 0, 0]);
  });

  test('when the probe fails (wrong input shape), the error propagates and the model is still restored', () => {
    const model = cnn();
    model.layers[2]!.eval();
    assert.throws(() => summarize(model, [1, 4, 4]), ShapeError);
    assert.ok(noOwnForward(model));
    assert.deepEqual(model.namedModules().map(([, m]) => m.training), model.namedModules().map(([name]) => name !== '2'));
  });
});

describe('formatSummary', () => {
  test('a table with header, right-aligned parameter counts with separators, and the total line', () => {
    const text = formatSummary(cnn(), [1, 28, 28]);
    const lines = text.split('\n');
    assert.equal(lines.length, 1 + 1 + 10 + 1 + 1);
    assert.match(lines[0]!, /^name +layer +output shape +parameters$/);
    assert.match(lines[1]!, /^─+$/);
    assert.match(lines[2]!, /^0 +Conv2d\(1→32, kernel=3×3\) +\[-1,32,26,26\] +320$/);
    assert.match(lines[9]!, /^7 +Linear\(in=1600, out=128\) +\[-1,128\] +204,928$/);
    assert.equal(lines[lines.length - 1], 'input [-1,1,28,28], 225,034 trainable parameters');
    // Every row has the same width: the parameter column is right-aligned.
    const widths = new Set(lines.slice(2, 12).map((l) => l.length));
    assert.equal(widths.size, 1);
    assert.equal(cnn().summary([1, 28, 28]), text);
  });
});
