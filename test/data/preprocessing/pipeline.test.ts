import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DataError } from '../../../src/errors.js';
import { Imputer } from '../../../src/data/preprocessing/imputer.js';
import { MinMaxScaler } from '../../../src/data/preprocessing/min-max-scaler.js';
import { OneHotEncoder } from '../../../src/data/preprocessing/one-hot-encoder.js';
import { Pipeline } from '../../../src/data/preprocessing/pipeline.js';
import { StandardScaler } from '../../../src/data/preprocessing/standard-scaler.js';
import { Table } from '../../../src/data/table.js';
import type { Tensor } from '../../../src/tensor/tensor.js';
import { viaText } from './helpers.js';

const rows = (t: Tensor): number[][] => t.toArray() as number[][];

const train = Table.fromRecords(
  [
    { age: 30, city: 'Oslo', income: 100, label: 'no' },
    { age: 50, city: 'Bergen', income: null, label: 'yes' },
    { age: null, city: 'Oslo', income: 300, label: 'yes' },
    { age: 40, city: null, income: 200, label: 'no' },
  ],
  { target: 'label' },
);
const validation = Table.fromRecords([
  { age: 70, city: 'Bergen', income: 1000, label: 'no' },
  { age: null, city: 'Oslo', income: null, label: 'yes' },
]);

// The scaler is fitted after mean imputation, so the imputed means count as values.
const AGE_STD = Math.sqrt(((30 - 40) ** 2 + (50 - 40) ** 2 + 0 + (40 - 40) ** 2) / 4);
const INCOME_STD = Math.sqrt(((100 - 200) ** 2 + 0 + (300 - 200) ** 2 + 0) / 4);

describe('Pipeline (automatic steps)', () => {
  test('numeric → impute mean + standardize; categorical → impute most frequent + one-hot', () => {
    const pipeline = new Pipeline();
    const x = pipeline.fitTransform(train);
    assert.deepEqual(pipeline.featureNames(), ['age', 'city=Bergen', 'city=Oslo', 'income']);
    assert.deepEqual(pipeline.inputs, [
      { name: 'age', type: 'numeric' },
      { name: 'city', type: 'categorical' },
      { name: 'income', type: 'numeric' },
    ]);
    assert.equal(x.dtype, 'float32');
    assert.deepEqual(x.shape, [4, 4]);
    const expected = [
      [-10 / AGE_STD, 0, 1, -100 / INCOME_STD],
      [10 / AGE_STD, 1, 0, 0],
      [0, 0, 1, 100 / INCOME_STD],
      [0, 0, 1, 0], // city missing → most frequent 'Oslo'
    ];
    assert.deepEqual(rows(x), expected.map((r) => r.map(Math.fround)));
  });

  test('fit uses the training data only: transforming other data changes no statistic', () => {
    const pipeline = new Pipeline().fit(train);
    const saved = JSON.stringify(pipeline.toJSON());
    const v = pipeline.transform(validation);
    assert.equal(JSON.stringify(pipeline.toJSON()), saved);
    // Validation rows are scaled with the training mean and std, and imputed with training values.
    assert.deepEqual(rows(v), [
      [30 / AGE_STD, 1, 0, 800 / INCOME_STD],
      [0, 0, 1, 0],
    ].map((r) => r.map(Math.fround)));
    // Refitting on the validation data would give other numbers; it is not what happened.
    assert.notDeepEqual(rows(new Pipeline().fit(validation).transform(validation)), rows(v));
  });

  test('a JSON round trip gives identical outputs for tables and records', () => {
    const pipeline = new Pipeline().fit(train);
    const restored = Pipeline.fromJSON(viaText(pipeline.toJSON()));
    assert.deepEqual(restored.featureNames(), pipeline.featureNames());
    assert.deepEqual(restored.transform(validation).toTypedArray(), pipeline.transform(validation).toTypedArray());
    const record = { age: '33', city: 'Bergen', income: null };
    assert.deepEqual(restored.transformRecord(record).toTypedArray(), pipeline.transformRecord(record).toTypedArray());
    assert.equal(restored.target, 'label');
  });

  test('a record gives the same features as the same row in a table', () => {
    const pipeline = new Pipeline().fit(train);
    const one = pipeline.transformRecord({ age: 70, city: 'Bergen', income: 1000 });
    assert.deepEqual(one.shape, [1, 4]);
    assert.deepEqual(rows(one)[0], rows(pipeline.transform(validation))[0]);
    // Strings are parsed like CSV cells; markers and null are missing; the target field is ignored.
    const many = pipeline.transformRecords([
      { age: ' 70 ', city: 'Bergen', income: '1000' },
      { age: 'NA', city: null, income: '', label: 'yes' },
    ]);
    assert.deepEqual(rows(many), rows(pipeline.transform(validation)));
  });
});

describe('Pipeline errors', () => {
  const pipeline = new Pipeline().fit(train);

  test('a record with a missing or unknown field, or a non-number for a numeric field', () => {
    assert.throws(() => pipeline.transformRecord({ age: 1, city: 'Oslo' }), (e: Error) => {
      assert.ok(e instanceof DataError);
      assert.match(e.message, /the record has no field 'income'; expected fields: 'age', 'city', 'income' \(use null for a missing value\)/);
      return true;
    });
    assert.throws(() => pipeline.transformRecord({ age: 1, city: 'Oslo', income: 2, height: 3 }), /unknown field 'height'; expected fields: 'age', 'city', 'income'/);
    assert.throws(() => pipeline.transformRecord({ age: 'old', city: 'Oslo', income: 2 }), /field 'age' must be a finite number \(or null when missing\), got "old"/);
    assert.throws(() => pipeline.transformRecords([{ age: 1, city: 'Oslo', income: 2 }, { age: 1, city: {}, income: 2 }]), /field 'city' of record 1 must be a number, a string, a boolean or null/);
    assert.throws(() => pipeline.transformRecord({ age: 1, city: 'Paris', income: 2 }), /column 'city' has the category 'Paris'/);
  });

  test('a table without an input column lists the columns it has', () => {
    const partial = Table.fromRecords([{ age: 1, city: 'Oslo' }]);
    assert.throws(() => pipeline.transform(partial), /no input column 'income'; the columns are: 'age', 'city'/);
  });

  test('fit refuses unknown inputs, the target as an input, and unfinished features', () => {
    assert.throws(() => new Pipeline({ columns: ['age', 'weight'] }).fit(train), /no input column 'weight'; the columns are: 'age', 'city', 'income', 'label'/);
    assert.throws(() => new Pipeline({ columns: ['age', 'label'] }).fit(train), /'label' is the table's target/);
    assert.throws(() => new Pipeline({ columns: ['city'], steps: [new StandardScaler()] }).fit(train), /column 'city' is still categorical after the last step; add a OneHotEncoder/);
    assert.throws(
      () => new Pipeline({ columns: ['age'], steps: [new StandardScaler()] }).fit(train),
      /feature 'age' has a missing value at row 2 after the last step; add an Imputer for it/,
    );
    assert.throws(() => new Pipeline({ steps: [] }).fit(Table.fromRecords([{ x: 1e39 }])), /the value 1e\+39 at row 0, too large for float32/);
    assert.throws(() => new Pipeline().fit(Table.fromRecords([{ y: 1 }], { target: 'y' })), /there are no input columns/);
    assert.throws(() => new Pipeline().transform(train), /fit it on the training table first/);
  });

  test('fromJSON rejects other versions, unknown steps and steps that do not fit the inputs', () => {
    const json = pipeline.toJSON();
    assert.throws(() => Pipeline.fromJSON({ ...json, version: 2 }), /format version 2 is not supported/);
    assert.throws(() => Pipeline.fromJSON({ ...json, steps: [{ type: 'Eval', code: 'process.exit(1)' }] }), /unknown column preprocessing step type "Eval"; known types: Imputer, StandardScaler, MinMaxScaler, OutlierClipper, OneHotEncoder/);
    assert.throws(() => Pipeline.fromJSON({ ...json, steps: [{ type: 'constructor' }] }), /unknown column preprocessing step type "constructor"/);
    assert.throws(() => Pipeline.fromJSON({ ...json, inputs: json.inputs.slice(1) }), /the input has no column 'age'/);
    assert.throws(() => Pipeline.fromJSON({ ...json, type: 'Model' }), /expected "type": "Pipeline"/);
    assert.throws(() => Pipeline.fromJSON('[]'), /expected a JSON object, found string/);
  });
});

describe('Pipeline (chosen columns and steps)', () => {
  test('runs the given steps in order on the chosen columns', () => {
    const pipeline = new Pipeline({
      columns: ['income', 'city'],
      steps: [
        new Imputer({ strategy: 'median', columns: ['income'], addIndicator: true }),
        new MinMaxScaler({ columns: ['income'] }),
        new Imputer({ strategy: 'constant', fillValue: 'other', columns: ['city'] }),
        new OneHotEncoder({ handleUnknown: 'ignore' }),
      ],
    });
    const x = pipeline.fitTransform(train);
    assert.deepEqual(pipeline.featureNames(), ['income', 'income_missing', 'city=Bergen', 'city=Oslo', 'city=other']);
    assert.deepEqual(rows(x), [
      [0, 0, 0, 1, 0],
      [0.5, 1, 1, 0, 0],
      [1, 0, 0, 1, 0],
      [0.5, 0, 0, 0, 1],
    ]);
    const restored = Pipeline.fromJSON(viaText(pipeline.toJSON()));
    assert.deepEqual(rows(restored.transformRecord({ income: 250, city: 'Paris' })), [[0.75, 0, 0, 0, 0]]);
  });
});
