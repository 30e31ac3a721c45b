import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ArgumentError } from '../../../src/errors.js';
import { Imputer } from '../../../src/data/preprocessing/imputer.js';
import { cat, num, valuesOf, viaText } from './helpers.js';

const train = [num('a', [1, null, 3, 3, 10]), cat('c', ['y', 'x', null, 'x', 'y']), num('e', [4, 2, null, 2, 4])];

describe('Imputer', () => {
  test('mean and median use the training values; other columns pass through', () => {
    const mean = new Imputer();
    mean.fit(train);
    assert.deepEqual(mean.statistics, [{ column: 'a', fill: 4.25 }, { column: 'e', fill: 3 }]);
    assert.deepEqual(valuesOf(mean.transform(train), 'a'), [1, 4.25, 3, 3, 10]);
    assert.deepEqual(valuesOf(mean.transform(train), 'c'), valuesOf(train, 'c'));
    const median = new Imputer({ strategy: 'median' });
    median.fit(train);
    // Even count: the mean of the two middle values (3 and 3 for a; 2 and 4 for e).
    assert.deepEqual(median.statistics.map((s) => s.fill), [3, 3]);
    median.fit([num('a', [5, 1, 3])]);
    assert.deepEqual(median.statistics.map((s) => s.fill), [3]);
  });

  test('most_frequent breaks ties deterministically: smallest number, first name in code-point order', () => {
    const imputer = new Imputer({ strategy: 'most_frequent' });
    imputer.fit(train);
    // a: 3 twice. e: 2 and 4 twice each → 2. c: x and y twice each → 'x' although 'y' comes first.
    assert.deepEqual(imputer.statistics, [{ column: 'a', fill: 3 }, { column: 'c', fill: 'x' }, { column: 'e', fill: 2 }]);
    const out = imputer.transform([cat('c', [null, 'z']), num('a', [null]), num('e', [1])]);
    assert.deepEqual(valuesOf(out, 'c'), ['x', 'z']);
    assert.deepEqual(valuesOf(out, 'a'), [3]);
  });

  test('constant fills numbers and categories, adding a new category if needed', () => {
    const imputer = new Imputer({ strategy: 'constant', fillValue: 0, columns: ['a', 'c'] });
    imputer.fit(train);
    const out = imputer.transform(train);
    assert.deepEqual(valuesOf(out, 'a'), [1, 0, 3, 3, 10]);
    assert.deepEqual(valuesOf(out, 'c'), ['y', 'x', '0', 'x', 'y']);
    const text = new Imputer({ strategy: 'constant', fillValue: 'unknown', columns: ['c'] });
    text.fit(train);
    assert.deepEqual(valuesOf(text.transform(train), 'c'), ['y', 'x', 'unknown', 'x', 'y']);
    assert.throws(() => new Imputer({ strategy: 'constant', fillValue: 'n/a', columns: ['a'] }).fit(train), /fillValue "n\/a" is not a number, but column 'a' is numeric/);
  });

  test('an indicator column follows each imputed column', () => {
    const imputer = new Imputer({ strategy: 'most_frequent', addIndicator: true, columns: ['a', 'c'] });
    imputer.fit(train);
    const out = imputer.transform(train);
    assert.deepEqual(out.map((c) => c.name), ['a', 'a_missing', 'c', 'c_missing', 'e']);
    assert.deepEqual(valuesOf(out, 'a_missing'), [0, 1, 0, 0, 0]);
    assert.deepEqual(valuesOf(out, 'c_missing'), [0, 0, 1, 0, 0]);
    assert.throws(() => imputer.fit([...train, num('a_missing', [0, 0, 0, 0, 0])]), /'a_missing' for 'a' would clash/);
  });

  test('statistics do not move when other data is transformed; JSON restores them', () => {
    for (const options of [{}, { strategy: 'constant' as const, fillValue: -1, addIndicator: true }, { strategy: 'most_frequent' as const }]) {
      const imputer = new Imputer(options);
      imputer.fit(train);
      const saved = JSON.stringify(imputer.toJSON());
      const other = [num('a', [null, 100, 100]), cat('c', [null, 'q', 'q']), num('e', [null, 0, 0])];
      const out = imputer.transform(other);
      assert.equal(JSON.stringify(imputer.toJSON()), saved);
      const restored = Imputer.fromJSON(viaText(imputer.toJSON()));
      assert.deepEqual(restored.transform(other), out);
    }
  });

  test('errors: a mean of categories, no values, bad options, bad JSON', () => {
    assert.throws(() => new Imputer({ columns: ['c'] }).fit(train), /column 'c' is categorical, but Imputer \(mean\) works on numeric columns/);
    assert.throws(() => new Imputer().fit([num('z', [null])]), /'z' has no values in the training data to take the mean of/);
    assert.throws(() => new Imputer({ strategy: 'most_frequent' }).fit([cat('z', [null])]), /'z' has no values/);
    assert.throws(() => new Imputer({ strategy: 'constant' }), ArgumentError);
    assert.throws(() => new Imputer({ fillValue: 1 }), /only used by the 'constant' strategy/);
    assert.throws(() => new Imputer({ strategy: 'mode' as never }), /unknown strategy 'mode'/);
    assert.throws(() => Imputer.fromJSON({ type: 'Imputer', strategy: 'mean', columns: ['a'], fills: [{}], addIndicator: false }), /'fills' must be an array of 1 numbers or strings/);
    assert.throws(() => Imputer.fromJSON({ type: 'Imputer', strategy: 'guess', columns: [], fills: [], addIndicator: false }), /'strategy' must be one of/);
  });
});
