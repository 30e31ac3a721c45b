import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ArgumentError, DataError } from '../../../src/errors.js';
import { MinMaxScaler } from '../../../src/data/preprocessing/min-max-scaler.js';
import { OutlierClipper, quantile } from '../../../src/data/preprocessing/outlier-clipper.js';
import { StandardScaler } from '../../../src/data/preprocessing/standard-scaler.js';
import { approx, cat, num, valuesOf, viaText } from './helpers.js';

const train = [num('a', [1, 2, 3, null, 4]), num('b', [10, 10, 10, 10, 10]), cat('c', ['x', 'y', 'x', 'y', null])];
const other = [num('a', [5, null]), num('b', [0, 20]), cat('c', ['z', 'x'])];

describe('StandardScaler', () => {
  test('fits mean and population std on the training values, ignoring missing ones', () => {
    const scaler = new StandardScaler();
    scaler.fit(train);
    assert.deepEqual(scaler.statistics, [
      { column: 'a', mean: 2.5, std: Math.sqrt(1.25) },
      { column: 'b', mean: 10, std: 0 },
    ]);
    const out = scaler.transform(train);
    assert.deepEqual(approx(valuesOf(out, 'a')), approx([-1.5, -0.5, 0.5, NaN, 1.5].map((v) => v / Math.sqrt(1.25))));
    // A constant column is only centred.
    assert.deepEqual(valuesOf(out, 'b'), [0, 0, 0, 0, 0]);
    assert.deepEqual(valuesOf(out, 'c'), valuesOf(train, 'c'));
  });

  test('other data is transformed with the training statistics, which it does not change', () => {
    const scaler = new StandardScaler();
    scaler.fit(train);
    const before = JSON.stringify(scaler.toJSON());
    const out = scaler.transform(other);
    assert.deepEqual(approx(valuesOf(out, 'a')), approx([2.5 / Math.sqrt(1.25), NaN]));
    assert.deepEqual(valuesOf(out, 'b'), [-10, 10]);
    assert.equal(JSON.stringify(scaler.toJSON()), before);
  });

  test('restored from JSON it transforms identically', () => {
    const scaler = new StandardScaler({ columns: ['a'] });
    scaler.fit(train);
    const restored = StandardScaler.fromJSON(viaText(scaler.toJSON()));
    assert.deepEqual(valuesOf(restored.transform(other), 'a'), valuesOf(scaler.transform(other), 'a'));
    assert.deepEqual(valuesOf(restored.transform(other), 'b'), [0, 20]);
  });

  test('errors: not fitted, a categorical column, a column with no values, a missing column, bad JSON', () => {
    assert.throws(() => new StandardScaler().transform(train), (e: Error) => e instanceof DataError && /before fit/.test(e.message));
    assert.throws(() => new StandardScaler().toJSON(), /cannot save before fit/);
    assert.throws(() => new StandardScaler({ columns: ['c'] }).fit(train), /column 'c' is categorical, but StandardScaler works on numeric columns/);
    assert.throws(() => new StandardScaler().fit([num('e', [null, null])]), /'e' has no values in the training data/);
    const scaler = new StandardScaler();
    scaler.fit(train);
    assert.throws(() => scaler.transform([num('a', [1])]), /the input has no column 'b', which the step was fitted on/);
    assert.throws(() => StandardScaler.fromJSON({ type: 'StandardScaler', columns: ['a'], mean: [1], std: [1, 2] }), /'std' must have 1 entries/);
    assert.throws(() => StandardScaler.fromJSON({ type: 'StandardScaler', columns: ['a'], mean: ['1'], std: [1] }), /'mean' must be an array of finite numbers/);
  });
});

describe('MinMaxScaler', () => {
  test('maps the training range onto [0, 1] or a given range', () => {
    const scaler = new MinMaxScaler({ columns: ['a'] });
    scaler.fit(train);
    assert.deepEqual(scaler.statistics, [{ column: 'a', min: 1, max: 4 }]);
    assert.deepEqual(valuesOf(scaler.transform(train), 'a'), [0, 1 / 3, 2 / 3, NaN, 1]);
    // Outside the training range at inference maps outside [0, 1].
    assert.deepEqual(valuesOf(scaler.transform(other), 'a'), [4 / 3, NaN]);
    const wide = new MinMaxScaler({ range: [-1, 1] });
    wide.fit(train);
    assert.deepEqual(approx(valuesOf(wide.transform(train), 'a')), approx([-1, -1 / 3, 1 / 3, NaN, 1]));
    assert.deepEqual(valuesOf(wide.transform(train), 'b'), [-1, -1, -1, -1, -1]);
  });

  test('round-trips through JSON and validates its range', () => {
    const scaler = new MinMaxScaler({ range: [2, 3] });
    scaler.fit(train);
    const restored = MinMaxScaler.fromJSON(viaText(scaler.toJSON()));
    assert.deepEqual(restored.range, [2, 3]);
    assert.deepEqual(valuesOf(restored.transform(other), 'a'), valuesOf(scaler.transform(other), 'a'));
    assert.throws(() => new MinMaxScaler({ range: [1, 1] }), ArgumentError);
    assert.throws(() => MinMaxScaler.fromJSON({ ...scaler.toJSON(), min: [5, 0], max: [4, 0] }), /every min must be ≤ its max/);
  });
});

describe('OutlierClipper', () => {
  const wide = num('v', Array.from({ length: 101 }, (_, i) => (i === 100 ? 1000 : i)));

  test('quantile interpolates linearly like NumPy', () => {
    const sorted = Float64Array.from([1, 2, 3, 4]);
    assert.equal(quantile(sorted, 0), 1);
    assert.equal(quantile(sorted, 1), 4);
    assert.equal(quantile(sorted, 0.5), 2.5);
    assert.equal(quantile(sorted, 0.1), 1.3);
  });

  test('clips to fitted quantiles', () => {
    const clipper = new OutlierClipper({ quantiles: [0.05, 0.95] });
    clipper.fit([wide]);
    assert.deepEqual(clipper.statistics, [{ column: 'v', low: 5, high: 95 }]);
    const out = valuesOf(clipper.transform([wide, num('w', [1e9])]), 'v');
    assert.equal(out[0], 5);
    assert.equal(out[50], 50);
    assert.equal(out[100], 95);
    assert.deepEqual(valuesOf(clipper.transform([num('v', [-1e6, null, 1e6])]), 'v'), [5, NaN, 95]);
  });

  test('clips to fixed bounds, for all columns or per column', () => {
    const all = new OutlierClipper({ bounds: [0, 10] });
    all.fit([wide, num('w', [50])]);
    assert.deepEqual(all.statistics.map((s) => [s.low, s.high]), [[0, 10], [0, 10]]);
    const some = new OutlierClipper({ bounds: { w: [-1, 1] } });
    some.fit([wide, num('w', [50])]);
    const out = some.transform([wide, num('w', [50, -50, 0.5])]);
    assert.deepEqual(valuesOf(out, 'w'), [1, -1, 0.5]);
    assert.equal(valuesOf(out, 'v')[100], 1000);
  });

  test('round-trips through JSON; rejects contradictory options', () => {
    const clipper = new OutlierClipper();
    clipper.fit([wide]);
    const restored = OutlierClipper.fromJSON(viaText(clipper.toJSON()));
    assert.deepEqual(restored.quantiles, [0.01, 0.99]);
    assert.deepEqual(valuesOf(restored.transform([wide]), 'v'), valuesOf(clipper.transform([wide]), 'v'));
    assert.throws(() => new OutlierClipper({ quantiles: [0, 1], bounds: [0, 1] }), /not both/);
    assert.throws(() => new OutlierClipper({ quantiles: [0.9, 0.1] }), /low ≤ high/);
    assert.throws(() => new OutlierClipper({ bounds: { v: [2, 1] } }), /bounds of 'v'/);
    assert.throws(() => OutlierClipper.fromJSON({ type: 'OutlierClipper', columns: ['v'], low: [3], high: [2] }), /low bound must be ≤/);
  });
});
