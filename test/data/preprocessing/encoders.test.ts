import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DataError } from '../../../src/errors.js';
import { LabelEncoder } from '../../../src/data/preprocessing/label-encoder.js';
import { OneHotEncoder } from '../../../src/data/preprocessing/one-hot-encoder.js';
import { cat, num, valuesOf, viaText } from './helpers.js';

describe('OneHotEncoder', () => {
  const train = [num('n', [1, 2, 3]), cat('color', ['red', 'blue', 'red']), cat('size', ['S', null, 'M'])];

  test('replaces each column, in place, by sorted category columns', () => {
    const encoder = new OneHotEncoder();
    encoder.fit(train);
    assert.deepEqual(encoder.statistics, [{ column: 'color', categories: ['blue', 'red'] }, { column: 'size', categories: ['M', 'S'] }]);
    const out = encoder.transform([num('n', [1, 2]), cat('color', ['red', 'blue']), cat('size', ['M', 'S'])]);
    assert.deepEqual(out.map((c) => c.name), ['n', 'color=blue', 'color=red', 'size=M', 'size=S']);
    assert.deepEqual(out.map((c) => valuesOf(out, c.name)), [[1, 2], [0, 1], [1, 0], [1, 0], [0, 1]]);
  });

  test("an unknown category is an error naming the column and value, or all zeros with 'ignore'", () => {
    const strict = new OneHotEncoder({ columns: ['color'] });
    strict.fit(train);
    const unseen = [cat('color', ['red', 'green'])];
    assert.throws(() => strict.transform(unseen), (e: Error) => {
      assert.ok(e instanceof DataError);
      assert.match(e.message, /column 'color' has the category 'green', which was not in the training data \(row 1\); known categories: blue, red/);
      assert.match(e.message, /handleUnknown: 'ignore'/);
      return true;
    });
    assert.throws(() => strict.transform([cat('color', [null])]), /a missing value \(row 0\).*put an Imputer before the OneHotEncoder/);
    const lenient = new OneHotEncoder({ columns: ['color'], handleUnknown: 'ignore' });
    lenient.fit(train);
    const out = lenient.transform([cat('color', ['green', 'red', null])]);
    assert.deepEqual(valuesOf(out, 'color=blue'), [0, 0, 0]);
    assert.deepEqual(valuesOf(out, 'color=red'), [0, 1, 0]);
  });

  test('the categories come from training data only and survive JSON', () => {
    const encoder = new OneHotEncoder({ handleUnknown: 'ignore' });
    encoder.fit(train);
    const other = [cat('color', ['teal', 'blue']), cat('size', ['XL', 'S'])];
    const out = encoder.transform(other);
    assert.deepEqual(encoder.statistics[0]!.categories, ['blue', 'red']);
    const restored = OneHotEncoder.fromJSON(viaText(encoder.toJSON()));
    assert.equal(restored.handleUnknown, 'ignore');
    assert.deepEqual(restored.transform(other), out);
    assert.throws(() => new OneHotEncoder({ columns: ['n'] }).fit(train), /column 'n' is numeric, but OneHotEncoder works on categorical columns/);
    assert.throws(() => OneHotEncoder.fromJSON({ ...encoder.toJSON(), categories: [['a'], [1]] }), /'categories' must hold 2 arrays of strings/);
  });
});

describe('LabelEncoder', () => {
  test('classes are sorted by code point, or numerically when all are numbers', () => {
    assert.deepEqual(new LabelEncoder().fit(['dog', 'cat', 'Cat', 'dog']).classes, ['Cat', 'cat', 'dog']);
    assert.deepEqual(new LabelEncoder().fit(['10', '2', '1', 2]).classes, ['1', '2', '10']);
    assert.deepEqual(new LabelEncoder().fit(num('y', [3, 0, 1.5])).classes, ['0', '1.5', '3']);
  });

  test('encodes, decodes and makes an int32 tensor', () => {
    const encoder = new LabelEncoder().fit(cat('label', ['yes', 'no', 'yes']));
    assert.deepEqual(Array.from(encoder.encode(['no', 'yes', 'yes'])), [0, 1, 1]);
    const t = encoder.transform(cat('label', ['yes', 'no']));
    assert.equal(t.dtype, 'int32');
    assert.deepEqual(t.shape, [2]);
    assert.deepEqual(Array.from(t.toTypedArray()), [1, 0]);
    assert.equal(encoder.decode(1), 'yes');
  });

  test('errors: unknown label, missing label, bad index, not fitted', () => {
    const encoder = new LabelEncoder().fit(['a', 'b']);
    assert.throws(() => encoder.encode(['a', 'c']), /label 'c' \(row 1\) is not one of the 2 training classes: a, b/);
    assert.throws(() => new LabelEncoder().fit(cat('y', ['a', null])), /'y' has a missing value at row 1/);
    assert.throws(() => encoder.decode(2), /2 is not a class index; valid indices are 0…1/);
    assert.throws(() => new LabelEncoder().classes, /before fit/);
    assert.throws(() => new LabelEncoder().fit([]), /no labels/);
  });

  test('JSON keeps the class order exactly', () => {
    const restored = LabelEncoder.fromJSON(viaText({ type: 'LabelEncoder', classes: ['z', 'a'] }));
    assert.deepEqual(Array.from(restored.encode(['a', 'z'])), [1, 0]);
    assert.deepEqual(LabelEncoder.fromJSON(viaText(new LabelEncoder().fit(['b', 'a']).toJSON())).classes, ['a', 'b']);
    assert.throws(() => LabelEncoder.fromJSON({ type: 'LabelEncoder', classes: ['a', 'a'] }), /no repeats/);
  });
});
