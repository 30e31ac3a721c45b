import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DataError } from '../../src/errors.js';
import { detectDelimiter, readCsv, readCsvBatches, type CsvBatch } from '../../src/data/csv.js';
import type { CategoricalColumn, NumericColumn } from '../../src/data/table.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/data', import.meta.url));
const fixture = (name: string): string => join(FIXTURES, name);

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'kiln-csv-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

async function collect(path: string, options: Parameters<typeof readCsvBatches>[1] = {}): Promise<CsvBatch[]> {
  const batches: CsvBatch[] = [];
  for await (const batch of readCsvBatches(path, options)) batches.push(batch);
  return batches;
}

const numbers = (c: unknown): number[] => Array.from((c as NumericColumn).values);
const categories = (c: unknown): (string | null)[] => {
  const column = c as CategoricalColumn;
  return Array.from(column.codes, (code) => (code < 0 ? null : column.categories[code]!));
};

describe('readCsv', () => {
  test('parses quoted fields, doubled quotes, newlines inside quotes and missing markers', async () => {
    const table = await readCsv(fixture('people.csv'));
    assert.deepEqual(table.columnNames, ['name', 'age', 'city', 'income', 'label']);
    assert.equal(table.rowCount, 7);
    assert.deepEqual(categories(table.column('name')), ['Smith, John', 'Ann', 'O"Brien', 'Bo', 'Cy', 'Di', 'Ed']);
    assert.deepEqual(numbers(table.column('age')), [34, NaN, 29, 27, 41, 38, 52]);
    // Padded ' Bergen ' is trimmed; 'null' is missing.
    assert.deepEqual(categories(table.column('city')), ['Oslo', 'Bergen', 'Trond\nheim', 'Oslo', null, 'Oslo', 'Bergen']);
    assert.deepEqual(numbers(table.column('income')), [52000.5, NaN, 48000, NaN, 61000, 55000, 70000]);
    assert.deepEqual(categories(table.column('label')), ['yes', 'no', 'yes', null, 'no', null, 'yes']);
    assert.equal(table.report?.rowsRead, 7);
    assert.deepEqual(table.report?.columnTypes, { name: 'categorical', age: 'numeric', city: 'categorical', income: 'numeric', label: 'categorical' });
  });

  test('drops rows with a missing target and counts them', async () => {
    const table = await readCsv(fixture('people.csv'), { target: 'label' });
    assert.equal(table.target, 'label');
    assert.equal(table.rowCount, 5);
    assert.deepEqual(categories(table.column('name')), ['Smith, John', 'Ann', 'O"Brien', 'Cy', 'Ed']);
    assert.equal(table.report?.droppedMissingTarget, 2);
    assert.equal(table.report?.rowsKept, 5);
  });

  test('CRLF line ends and a byte-order mark give the same table as LF', async () => {
    const lf = readFileSync(fixture('people.csv'), 'utf8');
    const path = write('crlf.csv', `\uFEFF${lf.replaceAll('\n', '\r\n')}`);
    const table = await readCsv(path, { target: 'label' });
    assert.deepEqual(table.columnNames, ['name', 'age', 'city', 'income', 'label']);
    // Inside quotes the CRLF is data and stays.
    assert.deepEqual(categories(table.column('city')), ['Oslo', 'Bergen', 'Trond\r\nheim', null, 'Bergen']);
    assert.deepEqual(numbers(table.column('income')), [52000.5, NaN, 48000, 61000, 70000]);
  });

  test('a file without a final line end keeps its last row', async () => {
    const table = await readCsv(write('no-eol.csv', 'a,b\n1,2\n3,4'));
    assert.deepEqual(numbers(table.column('b')), [2, 4]);
  });

  test('drops a numeric target that is not a number as invalid, and duplicates when asked', async () => {
    // 20 numbers and one 'oops': y is numeric by the 95% rule, so 'oops' is an invalid target.
    const body = Array.from({ length: 20 }, (_, i) => `${i},${i * 10}`);
    const path = write('targets.csv', ['x,y', ...body, '20,oops', '21,', '3,30', '3,30'].join('\n'));
    const table = await readCsv(path, { target: 'y', dropDuplicates: true });
    assert.equal(table.column('y').type, 'numeric');
    assert.deepEqual(numbers(table.column('x')), Array.from({ length: 20 }, (_, i) => i));
    const r = table.report!;
    assert.deepEqual([r.rowsRead, r.rowsKept, r.droppedInvalidTarget, r.droppedMissingTarget, r.droppedDuplicates], [24, 20, 1, 1, 2]);
    const kept = await readCsv(path, { target: 'y' });
    assert.equal(kept.rowCount, 22);
    assert.equal(kept.report?.droppedDuplicates, 0);
  });

  test('columnTypes forces a type; an unknown column there is an error', async () => {
    const table = await readCsv(fixture('people.csv'), { columnTypes: { age: 'categorical' } });
    assert.deepEqual(categories(table.column('age')), ['34', null, '29', '27', '41', '38', '52']);
    await assert.rejects(readCsv(fixture('people.csv'), { columnTypes: { height: 'numeric' } }), (e: Error) => {
      assert.ok(e instanceof DataError);
      assert.match(e.message, /'height'/);
      assert.match(e.message, /'name', 'age', 'city', 'income', 'label'/);
      return true;
    });
  });

  test('names empty header cells and trims names', async () => {
    const table = await readCsv(write('unnamed.csv', ',  x ,\n1,2,3\n'));
    assert.deepEqual(table.columnNames, ['column_1', 'x', 'column_3']);
  });
});

describe('readCsv errors', () => {
  test('a ragged row names the file, its line and both field counts', async () => {
    await assert.rejects(readCsv(fixture('ragged.csv')), (e: Error) => {
      assert.ok(e instanceof DataError);
      assert.ok(e.message.includes(fixture('ragged.csv')), e.message);
      // Line 5: the quoted field of the row before spans lines 3 and 4.
      assert.match(e.message, /line 5 has 2 fields but the header has 3/);
      return true;
    });
  });

  test('a row with too many fields is ragged too', async () => {
    await assert.rejects(readCsv(write('extra.csv', 'a,b\n1,2\n3,4,5\n')), /line 3 has 3 fields but the header has 2/);
  });

  test('an empty file is a DataError', async () => {
    await assert.rejects(readCsv(fixture('empty.csv')), (e: Error) => e instanceof DataError && /empty/.test(e.message) && e.message.includes('empty.csv'));
    await assert.rejects(readCsv(write('blank.csv', '\n\r\n\n')), /the file is empty/);
  });

  test('a header without rows is a DataError', async () => {
    await assert.rejects(readCsv(fixture('header-only.csv')), /header row \(a, b, c\) but no data rows/);
  });

  test('a target column that does not exist lists the columns that do', async () => {
    await assert.rejects(readCsv(fixture('people.csv'), { target: 'class' }), (e: Error) => {
      assert.ok(e instanceof DataError);
      assert.match(e.message, /no target column 'class'/);
      assert.match(e.message, /the columns are: 'name', 'age', 'city', 'income', 'label'/);
      return true;
    });
  });

  test('an unclosed quote names the line where it opened', async () => {
    await assert.rejects(readCsv(write('open-quote.csv', 'a,b\n1,2\n3,"four\n5,6\n')), /quoted field that starts on line 3 is never closed/);
  });

  test('a missing file and repeated header names are DataErrors', async () => {
    await assert.rejects(readCsv(join(dir, 'nope.csv')), (e: Error) => e instanceof DataError && /cannot read the file/.test(e.message));
    await assert.rejects(readCsv(write('dupe.csv', 'a,b,a\n1,2,3\n')), /names the column 'a' twice/);
  });
});

describe('delimiters', () => {
  for (const [name, delimiter] of [['semicolon', ';'], ['tab', '\t'], ['pipe', '|']] as const) {
    test(`detects the ${name}`, async () => {
      const text = ['city;price;note', 'Oslo;1,5;"a;b"', 'Bergen;2,5;c'].join('\n').replaceAll(';', delimiter);
      const table = await readCsv(write(`${name}.csv`, text));
      assert.deepEqual(table.columnNames, ['city', 'price', 'note']);
      // Decimal commas are text, not numbers, and not delimiters either.
      assert.deepEqual(categories(table.column('price')), ['1,5', '2,5']);
      assert.deepEqual(categories(table.column('note')), [`a${delimiter}b`, 'c']);
      const [batch] = await collect(write(`${name}-2.csv`, text));
      assert.equal(batch!.delimiter, delimiter);
    });
  }

  test('prefers the delimiter that splits every line alike', () => {
    // Commas are more frequent in the header, but only semicolons split every row the same way.
    assert.equal(detectDelimiter('a,b,c,d;e\n1;2\n3;4\n', true), ';');
    assert.equal(detectDelimiter('"x,y";z\n"1,2";3\n'), ';');
    assert.equal(detectDelimiter('just one column\nvalue\n'), ',');
  });

  test('an explicit delimiter wins over detection', async () => {
    const table = await readCsv(write('explicit.csv', 'a;b,c\n1;2,3\n'), { delimiter: ',' });
    assert.deepEqual(table.columnNames, ['a;b', 'c']);
    await assert.rejects(readCsv(write('explicit2.csv', 'a\n1\n'), { delimiter: '::' }), /one character/);
  });
});

describe('readCsvBatches streaming', () => {
  // Rows with quoted commas, doubled quotes, line breaks and multi-byte characters, so tiny chunks split
  // them everywhere: inside quotes, between \r and \n, inside a UTF-8 sequence.
  const ROWS = 400;
  const row = (i: number): string => `${i},"name ${i}, ""q"" ✓\r\nline two",${i % 7 === 0 ? 'NA' : i * 0.5}`;
  let path: string;
  before(() => {
    path = write('big.csv', `\uFEFFid,text,value\r\n${Array.from({ length: ROWS }, (_, i) => row(i)).join('\r\n')}\r\n`);
  });

  test('tiny chunks give the same rows, in batches, with the right line numbers', async () => {
    const batches = await collect(path, { chunkSize: 7, batchSize: 150 });
    assert.deepEqual(batches.map((b) => b.rows.length), [150, 150, 100]);
    const rows = batches.flatMap((b) => b.rows);
    const lines = batches.flatMap((b) => b.lines);
    assert.equal(rows.length, ROWS);
    for (const i of [0, 1, 149, 150, 399]) {
      assert.deepEqual(rows[i], [String(i), `name ${i}, "q" ✓\r\nline two`, i % 7 === 0 ? 'NA' : String(i * 0.5)]);
      assert.equal(lines[i], 2 + 2 * i, `line of row ${i}`);
    }
    assert.deepEqual(batches[0]!.columns, ['id', 'text', 'value']);
  });

  test('readCsv with tiny chunks builds the same table as with large ones', async () => {
    const small = await readCsv(path, { chunkSize: 11 });
    const large = await readCsv(path);
    assert.equal(small.rowCount, ROWS);
    assert.deepEqual(numbers(small.column('value')), numbers(large.column('value')));
    assert.deepEqual(categories(small.column('text')), categories(large.column('text')));
    assert.equal(small.missingCount('value'), Math.ceil(ROWS / 7));
  });

  test('stopping early is allowed', async () => {
    for await (const batch of readCsvBatches(path, { batchSize: 10 })) {
      assert.equal(batch.rows.length, 10);
      break;
    }
  });
});
