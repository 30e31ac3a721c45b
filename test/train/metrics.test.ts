import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ArgumentError, ShapeError, fromArray } from '../../src/index.js';
import {
  ConfusionMatrix, accuracy, f1, mae, metricFromName, precision, predictedClasses, r2, recall, rmse, topKAccuracy,
} from '../../src/train/index.js';

const scores = fromArray([
  [0.9, 0.05, 0.05],
  [0.1, 0.8, 0.1],
  [0.2, 0.5, 0.3],
  [0.3, 0.3, 0.4],
  [0.6, 0.3, 0.1],
]);
const labels = fromArray([0, 1, 2, 2, 1], { dtype: 'int32' });
// predicted: 0, 1, 1, 2, 0 → confusion rows (true) × cols (predicted):
// true 0: [1,0,0]; true 1: [1,1,0]; true 2: [0,1,1]

describe('classification metrics', () => {
  test('predicted classes from scores, binary logits and indices', () => {
    assert.deepEqual(Array.from(predictedClasses(scores)), [0, 1, 1, 2, 0]);
    assert.deepEqual(Array.from(predictedClasses(fromArray([-1, 2, 0.5, -0.1]))), [0, 1, 1, 0]);
    assert.deepEqual(Array.from(predictedClasses(fromArray([[3], [-3]]))), [1, 0]);
    assert.deepEqual(Array.from(predictedClasses(fromArray([2, 0, 1], { dtype: 'int32' }))), [2, 0, 1]);
  });

  test('confusion matrix, accuracy and per-class scores', () => {
    const m = new ConfusionMatrix();
    m.update(scores, labels);
    assert.deepEqual(m.matrix(), [[1, 0, 0], [1, 1, 0], [0, 1, 1]]);
    assert.equal(m.total(), 5);
    assert.equal(m.accuracy(), 3 / 5);
    const perClass = m.perClass();
    assert.deepEqual(perClass.map((c) => c.support), [1, 2, 2]);
    assert.deepEqual(perClass.map((c) => c.precision), [0.5, 0.5, 1]);
    assert.deepEqual(perClass.map((c) => c.recall), [1, 0.5, 0.5]);
    assert.ok(Math.abs(perClass[0]!.f1 - 2 / 3) < 1e-12);
  });

  test('accumulates over batches and resets', () => {
    const metric = accuracy();
    metric.update(scores, labels);
    metric.update(fromArray([[0, 1, 0]]), fromArray([1], { dtype: 'int32' }));
    assert.equal(metric.result(), 4 / 6);
    metric.reset();
    assert.ok(Number.isNaN(metric.result()));
  });

  test('macro and weighted precision, recall and F1', () => {
    const check = (metric: ReturnType<typeof precision>, expected: number) => {
      metric.update(scores, labels);
      assert.ok(Math.abs(metric.result() - expected) < 1e-12, `${metric.name}: ${metric.result()} vs ${expected}`);
    };
    check(precision(), (0.5 + 0.5 + 1) / 3);
    check(recall(), (1 + 0.5 + 0.5) / 3);
    check(f1(), (2 / 3 + 0.5 + 2 / 3) / 3);
    check(precision('weighted'), (0.5 * 1 + 0.5 * 2 + 1 * 2) / 5);
    check(recall('weighted'), 3 / 5);
  });

  test('top-k accuracy', () => {
    const top1 = topKAccuracy(1);
    top1.update(scores, labels);
    assert.equal(top1.result(), 3 / 5);
    const top2 = topKAccuracy(2);
    top2.update(scores, labels);
    // sample 2 (true 2, scores .2 .5 .3) is in the top 2; sample 4 (true 1, .6 .3 .1) too
    assert.equal(top2.result(), 5 / 5);
    assert.throws(() => topKAccuracy(0), ArgumentError);
  });

  test('mismatched sizes are a ShapeError', () => {
    assert.throws(() => accuracy().update(scores, fromArray([1, 2], { dtype: 'int32' })), ShapeError);
  });
});

describe('regression metrics', () => {
  const predictions = fromArray([2.5, 0, 2, 8]);
  const targets = fromArray([3, -0.5, 2, 7]);
  test('mae, rmse, r2 (values from scikit-learn documentation examples)', () => {
    const values = [mae(), rmse(), r2()].map((m) => {
      m.update(predictions, targets);
      return m.result();
    });
    assert.ok(Math.abs(values[0]! - 0.5) < 1e-12);
    assert.ok(Math.abs(values[1]! - Math.sqrt(0.375)) < 1e-12);
    assert.ok(Math.abs(values[2]! - 0.9486081370449679) < 1e-12);
  });

  test('r2 of constant targets is NaN, not a division by zero', () => {
    const m = r2();
    m.update(fromArray([1, 2]), fromArray([3, 3]));
    assert.ok(Number.isNaN(m.result()));
  });
});

test('metricFromName knows every listed name and rejects others', () => {
  for (const name of ['accuracy', 'top5', 'top3', 'precision', 'recall', 'f1', 'mae', 'rmse', 'r2']) {
    assert.ok(metricFromName(name).name.length > 0, name);
  }
  assert.equal(metricFromName('top3').name, 'top3_accuracy');
  assert.throws(() => metricFromName('auc'), (e) => e instanceof ArgumentError && /available: accuracy/.test(e.message));
});
