import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { measureEnsemble, measureModel } from '../../src/compress/measure.js';
import type { ModelFileContent } from '../../src/io/model-file.js';
import { Ensemble } from '../../src/nn/layers/ensemble.js';
import type { SpecModel } from '../../src/nn/spec.js';
import { evaluate } from '../../src/train/evaluate.js';
import { circles, smallMlp } from '../train/helpers.js';

const test_ = circles(96, 4);
const content = (model: SpecModel): ModelFileContent & { model: SpecModel } => ({ model, task: 'classification', labels: ['inside', 'outside'], input: { kind: 'tensor', shape: [2] } });
const timing = { timingMs: 5 };

describe('measureEnsemble', () => {
  test('parameters and file bytes add up over the members; accuracy is the ensemble’s, not a member’s', () => {
    const [a, b] = [smallMlp(1), smallMlp(2)];
    const one = measureModel('a', content(a), test_, timing);
    const two = measureModel('b', content(b), test_, timing);
    const both = measureEnsemble('a+b', [content(a), content(b)], test_, timing);
    assert.equal(both.name, 'a+b');
    assert.equal(both.parameters, one.parameters + two.parameters);
    assert.equal(both.fileBytes, one.fileBytes + two.fileBytes);
    assert.equal(both.accuracy, evaluate(new Ensemble([a, b]).eval(), test_, { metrics: ['accuracy'] }).accuracy);
    assert.notEqual(both.accuracy, one.accuracy);
    assert.ok(both.latencyMs > 0 && both.throughput > 0);
  });

  test('two copies of a model are as accurate as it; zeros count over all members’ weights', () => {
    const a = smallMlp(3);
    const sparse = smallMlp(3);
    for (const p of sparse.parameters()) if (p.ndim === 2) p.data.fill(0);
    assert.equal(measureEnsemble('twice', [content(a), content(a)], test_, timing).accuracy, measureModel('a', content(a), test_, timing).accuracy);
    assert.equal(measureEnsemble('half zeros', [content(a), content(sparse)], test_, timing).sparsity, 0.5);
  });
});
