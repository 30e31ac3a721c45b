import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DataError } from '../../src/errors.js';
import { formatInspection, inspectData } from '../../src/data/inspect.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const fixture = (name: string): string => join(REPO, 'test/fixtures/data', name);

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'kiln-inspect-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('inspectData: tables', () => {
  test('a CSV with a target: rows, types, missing values, dropped rows, class balance', async () => {
    const report = await inspectData(fixture('people.csv'), { target: 'label' });
    assert.equal(report.kind, 'table');
    if (report.kind !== 'table') return;
    assert.equal(report.format, 'csv');
    assert.equal(report.rows, 5);
    assert.deepEqual(report.columns.map((c) => [c.name, c.type, c.missing]), [
      ['name', 'categorical', 0],
      ['age', 'numeric', 1],
      ['city', 'categorical', 1],
      ['income', 'numeric', 1],
      ['label', 'categorical', 0],
    ]);
    assert.deepEqual(report.columns[1], { name: 'age', type: 'numeric', missing: 1, distinct: 4, min: 29, mean: 39, max: 52 });
    assert.deepEqual(report.classBalance, [{ name: 'yes', count: 3 }, { name: 'no', count: 2 }]);
    assert.equal(report.report.droppedMissingTarget, 2);
    const text = formatInspection(report);
    assert.match(text, /people\.csv: CSV table, 5 rows × 5 columns, target 'label'/);
    assert.match(text, /rows read 7, kept 5; dropped: 2 missing target/);
    assert.match(text, /\n {2}age +numeric +1 +4 +29 +39 +52\n/);
    assert.match(text, /class balance of 'label':\n {2}class +count +share\n {2}yes +3 +60\.0%\n {2}no +2 +40\.0%\n/);
  });

  test('JSON lines, and a numeric target with many values has no class balance', async () => {
    const jsonl = await inspectData(fixture('people.jsonl'));
    assert.equal(jsonl.kind === 'table' && jsonl.format, 'jsonl');
    const path = join(dir, 'regression.csv');
    writeFileSync(path, ['x,y', ...Array.from({ length: 30 }, (_, i) => `${i},${i * 1.5}`), '30,bad'].join('\n'));
    const report = await inspectData(path, { target: 'y' });
    assert.ok(report.kind === 'table');
    assert.equal(report.classBalance, undefined);
    assert.equal(report.report.droppedInvalidTarget, 1);
    assert.doesNotMatch(formatInspection(report), /class balance/);
  });

  test('the reader errors come through', async () => {
    await assert.rejects(inspectData(fixture('ragged.csv')), /line 5 has 2 fields but the header has 3/);
    await assert.rejects(inspectData(fixture('people.csv'), { target: 'nope' }), /no target column 'nope'/);
    await assert.rejects(inspectData(join(dir, 'missing.csv')), (e: Error) => e instanceof DataError && /cannot inspect it/.test(e.message));
  });
});

describe('inspectData: image folders', () => {
  test('classes with counts, sizes seen, unreadable and ignored files', async () => {
    const root = join(dir, 'images');
    mkdirSync(join(root, 'sandal'), { recursive: true });
    mkdirSync(join(root, 'sneaker'));
    const source = join(REPO, 'datasets/sneaker-vs-sandal');
    for (const name of ['train-00008.png', 'train-00009.png']) writeFileSync(join(root, 'sandal', name), readFileSync(join(source, 'sandal', name)));
    writeFileSync(join(root, 'sneaker', 'train-00006.png'), readFileSync(join(source, 'sneaker', 'train-00006.png')));
    writeFileSync(join(root, 'sneaker', 'corrupt.jpg'), 'definitely not a jpeg');
    writeFileSync(join(root, 'sneaker', 'labels.csv'), 'a,b');
    const report = await inspectData(root);
    assert.ok(report.kind === 'image-folder');
    assert.deepEqual(report.classes, [{ name: 'sandal', count: 2 }, { name: 'sneaker', count: 2 }]);
    assert.equal(report.images, 4);
    assert.deepEqual(report.sizes, [{ width: 28, height: 28, channels: 1, format: 'png', count: 3 }]);
    assert.deepEqual(report.skipped.map((s) => s.file), [join(root, 'sneaker', 'corrupt.jpg')]);
    assert.deepEqual(report.ignored, [join(root, 'sneaker', 'labels.csv')]);
    const text = formatInspection(report);
    assert.match(text, /image folder, 4 images in 2 classes/);
    assert.match(text, /\n {2}sandal +2 +50\.0%\n/);
    assert.match(text, /\n {2}28×28×1 png +3\n/);
    assert.match(text, /unreadable images \(1\):\n {2}.*corrupt\.jpg: /);
    assert.match(text, /1 other file ignored/);
  });
});

describe('inspectData: IDX files', () => {
  test('labels: shape, dtype and balance', async () => {
    const report = await inspectData(join(REPO, 'datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz'));
    assert.ok(report.kind === 'idx');
    assert.deepEqual(report.shape, [2000]);
    assert.equal(report.dtype, 'uint8');
    assert.deepEqual(report.labelBalance?.map((c) => c.name), ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    assert.equal(report.labelBalance?.reduce((sum, c) => sum + c.count, 0), 2000);
    assert.match(formatInspection(report), /IDX file, shape \[2000\], uint8, values 0…9\n\nlabel balance:\n {2}class +count +share\n {2}0 /);
  });

  test('an uncompressed file without extension is recognized by its magic number', async () => {
    const path = join(dir, 'tiny-images');
    // u8, 3 dimensions: 2 × 1 × 2.
    writeFileSync(path, Buffer.from([0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2, 9, 0, 255, 7]));
    const report = await inspectData(path);
    assert.deepEqual(report.kind === 'idx' && [report.shape, report.range, report.labelBalance], [[2, 1, 2], [0, 255], undefined]);
    assert.equal(formatInspection(report), `${path}: IDX file, shape [2,1,2], uint8, values 0…255\n`);
  });
});
