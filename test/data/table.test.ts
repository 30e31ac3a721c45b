import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DataError } from '../../src/errors.js';
import { castColumn, MissingMarkers, NUMERIC_MAJORITY, parseNumber, Table, type Column } from '../../src/data/table.js';

describe('cell parsing', () => {
  test('parseNumber accepts decimal and exponent forms only', () => {
    for (const [text, value] of [['42', 42], ['-3.5', -3.5], ['+.5', 0.5], ['1e3', 1000], ['2.', 2], ['1E-2', 0.01]] as const) {
      assert.equal(parseNumber(text), value, text);
    }
    for (const text of ['', '0x10', 'Infinity', '1,5', '12kg', '--1', '.', 'e5']) assert.ok(Number.isNaN(parseNumber(text)), text);
  });

  test('missing markers are matched case-insensitively after trimming', () => {
    const markers = new MissingMarkers();
    for (const cell of ['', '  ', 'NA', 'n/a', 'NaN', 'NULL', '?', null, undefined, NaN]) assert.equal(markers.text(cell), null, String(cell));
    assert.equal(markers.text(' Oslo '), 'Oslo');
    assert.equal(markers.text(0), '0');
    assert.equal(markers.text(false), 'false');
    assert.equal(new MissingMarkers(['-']).text('NA'), 'NA');
    assert.equal(new MissingMarkers(['-']).text(' - '), null);
  });
});

describe('type inference', () => {
  test(`a column is numeric when at least ${NUMERIC_MAJORITY * 100}% of its values are numbers`, () => {
    const records = (bad: number) => [
      ...Array.from({ length: 20 - bad }, (_, i) => ({ v: String(i) })),
      ...Array.from({ length: bad }, () => ({ v: 'oops' })),
      { v: 'NA' },
    ];
    const one = Table.fromRecords(records(1));
    assert.equal(one.column('v').type, 'numeric');
    assert.equal(one.missingCount('v'), 2);
    assert.deepEqual(one.report?.nonNumeric, { v: 1 });
    const two = Table.fromRecords(records(2));
    assert.equal(two.column('v').type, 'categorical');
    assert.deepEqual(two.report?.nonNumeric, {});
  });

  test('numbers and numeric strings mix; an all-missing column is numeric', () => {
    const table = Table.fromRecords([{ a: 1, b: null, c: 'x' }, { a: '2.5', b: 'NA', c: 3 }]);
    assert.deepEqual(table.report?.columnTypes, { a: 'numeric', b: 'numeric', c: 'categorical' });
    assert.deepEqual(table.record(1), { a: 2.5, b: null, c: '3' });
  });
});

describe('Table', () => {
  const columns: Column[] = [
    { name: 'x', type: 'numeric', values: Float64Array.from([1, NaN, 3]) },
    { name: 'c', type: 'categorical', codes: Int32Array.from([1, 0, -1]), categories: ['a', 'b'] },
  ];

  test('reads values, records and missing counts', () => {
    const table = new Table(columns, { target: 'c' });
    assert.equal(table.rowCount, 3);
    assert.deepEqual(table.featureColumns.map((c) => c.name), ['x']);
    assert.equal(table.value('c', 0), 'b');
    assert.equal(table.value('x', 1), null);
    assert.deepEqual(table.record(2), { x: 3, c: null });
    assert.equal(table.missingCount('x'), 1);
    assert.equal(table.report, undefined);
  });

  test('select picks rows in order and keeps the target', () => {
    const table = new Table(columns, { target: 'c' }).select([2, 0, 0]);
    assert.equal(table.rowCount, 3);
    assert.equal(table.target, 'c');
    assert.deepEqual([0, 1, 2].map((r) => table.record(r)), [{ x: 3, c: null }, { x: 1, c: 'b' }, { x: 1, c: 'b' }]);
    assert.throws(() => new Table(columns).select([3]), /row 3 \(position 0\) is outside the table of 3 rows/);
  });

  test('rejects repeated names, unequal lengths and an unknown target or column', () => {
    assert.throws(() => new Table([columns[0]!, columns[0]!]), /'x' appears twice/);
    assert.throws(() => new Table([columns[0]!, { ...columns[1]!, codes: new Int32Array(2) } as Column]), /has 2 rows but 'x' has 3/);
    assert.throws(() => new Table(columns, { target: 'y' }), (e: Error) => e instanceof DataError && /no target column 'y'; the columns are: 'x', 'c'/.test(e.message));
    assert.throws(() => new Table(columns).column('z'), /no column 'z'/);
  });

  test('castColumn converts numbers to categories and back', () => {
    const asText = castColumn(columns[0]!, 'categorical');
    assert.deepEqual(asText.type === 'categorical' && [Array.from(asText.codes), asText.categories], [[0, -1, 1], ['1', '3']]);
    const asNumbers = castColumn({ name: 'c', type: 'categorical', codes: Int32Array.from([0, 1, -1]), categories: ['2.5', 'x'] }, 'numeric');
    assert.deepEqual(asNumbers.type === 'numeric' && Array.from(asNumbers.values), [2.5, NaN, NaN]);
    assert.equal(castColumn(columns[0]!, 'numeric'), columns[0]);
  });
});
