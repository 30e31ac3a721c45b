import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DataError } from '../../src/errors.js';
import { readJsonl, readJsonlBatches } from '../../src/data/jsonl.js';
import type { CategoricalColumn, NumericColumn } from '../../src/data/table.js';

const fixture = (name: string): string => join(fileURLToPath(new URL('../fixtures/data', import.meta.url)), name);

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'kiln-jsonl-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const numbers = (c: unknown): number[] => Array.from((c as NumericColumn).values);
const categories = (c: unknown): (string | null)[] => {
  const column = c as CategoricalColumn;
  return Array.from(column.codes, (code) => (code < 0 ? null : column.categories[code]!));
};

describe('readJsonl', () => {
  test('keys become columns; absent keys, null and markers are missing', async () => {
    const table = await readJsonl(fixture('people.jsonl'));
    assert.deepEqual(table.columnNames, ['name', 'age', 'city', 'income', 'label', 'member']);
    assert.equal(table.rowCount, 4);
    assert.deepEqual(numbers(table.column('age')), [34, NaN, 29, 27]);
    assert.deepEqual(numbers(table.column('income')), [52000.5, NaN, 48000, NaN]);
    assert.deepEqual(categories(table.column('city')), ['Oslo', 'Bergen', 'Trond\nheim', 'Oslo']);
    assert.deepEqual(categories(table.column('name')), ['Smith, John', 'Ann', 'O"Brien', 'Bo']);
    assert.deepEqual(categories(table.column('member')), [null, null, 'true', null]);
    assert.deepEqual(table.record(2), { name: 'O"Brien', age: 29, city: 'Trond\nheim', income: 48000, label: 'yes', member: 'true' });
  });

  test('a target drops and counts the rows that lack it', async () => {
    const table = await readJsonl(fixture('people.jsonl'), { target: 'label' });
    assert.equal(table.rowCount, 3);
    assert.equal(table.report?.droppedMissingTarget, 1);
    assert.equal(table.report?.rowsRead, 4);
  });

  test('a bad line names its line number', async () => {
    await assert.rejects(readJsonl(fixture('bad-line.jsonl')), (e: Error) => {
      assert.ok(e instanceof DataError);
      assert.ok(e.message.includes('bad-line.jsonl'));
      assert.match(e.message, /line 3 is not valid JSON/);
      return true;
    });
    await assert.rejects(readJsonl(write('array.jsonl', '{"a": 1}\n\n[1, 2]\n')), /line 3 holds an array; each line must hold one JSON object/);
    await assert.rejects(readJsonl(write('nested.jsonl', '{"a": {"b": 1}}\n')), /line 1: the value of 'a' is an object/);
  });

  test('an empty file, a missing file and a missing target are DataErrors', async () => {
    await assert.rejects(readJsonl(write('empty.jsonl', '\n  \n')), (e: Error) => e instanceof DataError && /the file is empty/.test(e.message));
    await assert.rejects(readJsonl(join(dir, 'none.jsonl')), /cannot read the file/);
    await assert.rejects(readJsonl(fixture('people.jsonl'), { target: 'class' }), /no target column 'class'; the columns are: 'name', 'age', 'city', 'income', 'label', 'member'/);
  });

  test('CRLF, a byte-order mark and tiny chunks read the same records', async () => {
    const lines = Array.from({ length: 200 }, (_, i) => JSON.stringify({ i, text: `ü ${i}`, odd: i % 2 === 1 ? i : undefined }));
    const path = write('many.jsonl', `\uFEFF${lines.join('\r\n')}\r\n`);
    const batches = [];
    for await (const batch of readJsonlBatches(path, { chunkSize: 7, batchSize: 64 })) batches.push(batch);
    assert.deepEqual(batches.map((b) => b.records.length), [64, 64, 64, 8]);
    assert.deepEqual(batches[3]!.records[7], { i: 199, text: 'ü 199', odd: 199 });
    assert.equal(batches[3]!.lines[7], 200);
    const table = await readJsonl(path, { chunkSize: 7 });
    assert.deepEqual(table.columnNames, ['i', 'text', 'odd']);
    assert.equal(table.missingCount('odd'), 100);
    assert.equal(categories(table.column('text'))[199], 'ü 199');
  });
});
