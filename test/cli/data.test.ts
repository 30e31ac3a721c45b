import assert from 'node:assert/strict';
import { test } from 'node:test';
import { kiln } from './run-kiln.js';

test('kiln data inspect summarizes an image folder', () => {
  const { code, stdout } = kiln(['data', 'inspect', 'datasets/sneaker-vs-sandal']);
  assert.equal(code, 0);
  assert.match(stdout, /image folder, 200 images in 2 classes/);
  assert.match(stdout, /sandal\s+100\s+50\.0%/);
  assert.match(stdout, /28×28×1 png\s+200/);
});

test('kiln data inspect summarizes a CSV with a target, and --json gives the report', () => {
  const { code, stdout } = kiln(['data', 'inspect', 'test/fixtures/data/people.csv', '--target', 'label']);
  assert.equal(code, 0);
  assert.match(stdout, /CSV table, 5 rows × 5 columns, target 'label'/);
  assert.match(stdout, /dropped: 2 missing target/);
  const json = kiln(['data', 'inspect', 'test/fixtures/data/people.csv', '--target', 'label', '--json']);
  assert.equal((JSON.parse(json.stdout) as { kind: string }).kind, 'table');
});

test('kiln data inspect summarizes IDX labels', () => {
  const { code, stdout } = kiln(['data', 'inspect', 'datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz']);
  assert.equal(code, 0);
  assert.match(stdout, /IDX file, shape \[2000\], uint8/);
});

test('bad data is one clear line naming the file and line, with a non-zero exit', () => {
  const ragged = kiln(['data', 'inspect', 'test/fixtures/data/ragged.csv']);
  assert.equal(ragged.code, 1);
  assert.equal(ragged.stderr.trim().split('\n').length, 1);
  assert.match(ragged.stderr, /^kiln: DataError: test\/fixtures\/data\/ragged\.csv: line 5 has 2 fields but the header has 3/);
  const target = kiln(['data', 'inspect', 'test/fixtures/data/people.csv', '--target', 'nope']);
  assert.equal(target.code, 1);
  assert.match(target.stderr, /no target column 'nope'; the columns are: 'name', 'age'/);
});
