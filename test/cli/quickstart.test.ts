import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { kiln } from './run-kiln.js';

const dir = mkdtempSync(join(tmpdir(), 'kiln-quickstart-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('kiln quickstart --fast trains, evaluates, saves, predicts held-out PNG files and compares int8, pruned and distilled models end to end', () => {
  const run = kiln(['quickstart', '--fast', '--dir', dir]);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /1\. train: the reference CNN/);
  const accuracy = Number(/accuracy (\d+\.\d+)%/.exec(run.stdout)![1]);
  // 2,000 images for one epoch: well above chance (10 %), far below the full run.
  assert.ok(accuracy >= 55, `test accuracy ${accuracy}%`);
  assert.ok(existsSync(join(dir, 'fashion-mnist.kiln')));
  assert.equal(readdirSync(join(dir, 'samples')).filter((f) => f.endsWith('.png')).length, 10);
  const predictions = run.stdout.split('\n').filter((l) => /^ [✓✗] /.test(l));
  assert.equal(predictions.length, 10);
  // The compression step: three smaller models saved, and one table comparing them with the original.
  for (const file of ['fashion-mnist.int8.kiln', 'fashion-mnist.pruned.kiln', 'fashion-mnist.student.kiln']) assert.ok(existsSync(join(dir, file)), file);
  assert.match(run.stdout, /5\. shrink it for deployment/);
  const rows = new Map(run.stdout.split('\n').map((l) => l.trim().split(/\s{2,}/)).filter((cells) => ['fp32', 'int8', 'pruned', 'distilled'].includes(cells[0]!)).map((cells) => [cells[0]!, cells]));
  assert.deepEqual([...rows.keys()], ['fp32', 'int8', 'pruned', 'distilled']);
  assert.ok(Number(rows.get('int8')![5]) >= 3.5, 'int8 file ≥ 3.5× smaller');
  assert.ok(Number(rows.get('distilled')![1]!.replace(/,/g, '')) * 5 < Number(rows.get('fp32')![1]!.replace(/,/g, '')), 'student ≥ 5× fewer parameters');
  // Quantization keeps the predictions: within 2 points of the float model on the held-out images.
  const pct = (cells: string[]): number => Number(cells[3]!.slice(0, -1));
  assert.ok(Math.abs(pct(rows.get('int8')!) - pct(rows.get('fp32')!)) <= 2, `int8 ${pct(rows.get('int8')!)} vs fp32 ${pct(rows.get('fp32')!)}`);
  assert.match(run.stdout, /summary: 1 epochs in \d+ s, test accuracy \d+\.\d\d%, \d+\/10 sample photos right/);
});
