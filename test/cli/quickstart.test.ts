import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { kiln } from './run-kiln.js';

const dir = mkdtempSync(join(tmpdir(), 'kiln-quickstart-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('kiln quickstart --fast trains, evaluates, saves, and predicts held-out PNG files end to end', () => {
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
  assert.match(run.stdout, /summary: 1 epochs in \d+ s, test accuracy \d+\.\d\d%, \d+\/10 sample photos right/);
});
