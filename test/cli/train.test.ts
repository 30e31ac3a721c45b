import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { Generator } from '../../src/index.js';
import { kiln } from './run-kiln.js';

const dir = mkdtempSync(join(tmpdir(), 'kiln-cli-train-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('images: train → info → predict → eval', () => {
  const model = join(dir, 'shoes.kiln');

  test('kiln train on an image folder saves a model and reports test accuracy', () => {
    const run = kiln([
      'train', '--data', 'datasets/sneaker-vs-sandal', '--image-size', '28x28', '--channels', '1', '--epochs', '3',
      '--batch-size', '16', '--lr', '0.003', '--augment', 'flip', '--seed', '1', '--out', model,
    ]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /data: sneaker-vs-sandal: 200 images in 2 classes \(sandal, sneaker\), resized to 28×28×1/);
    assert.match(run.stderr, /epoch 1\/3 loss/);
    assert.match(run.stdout, /test: loss \d\.\d{4}, accuracy \d+\.\d\d%/);
    assert.ok(existsSync(model));
  });

  test('kiln info describes it', () => {
    const run = kiln(['info', model]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /task: classification — 2 classes: sandal, sneaker/);
    assert.match(run.stdout, /input: images 28×28, grayscale \(cover\)/);
    assert.match(run.stdout, /trainable parameters/);
  });

  test('kiln predict takes quoted globs and prints a table, or JSON', () => {
    const run = kiln(['predict', model, 'datasets/sneaker-vs-sandal/sneaker/train-0000*.png']);
    assert.equal(run.code, 0, run.stderr);
    const lines = run.stdout.trim().split('\n');
    assert.match(lines[0]!, /^input\s+predicted\s+probability\s+runner-up$/);
    assert.ok(lines.length > 1);
    const json = kiln(['predict', model, 'datasets/sneaker-vs-sandal/sandal/train-00008.png', '--json']);
    const rows = JSON.parse(json.stdout) as { prediction: { label: string; probabilities: Record<string, number> } }[];
    assert.deepEqual(Object.keys(rows[0]!.prediction.probabilities).sort(), ['sandal', 'sneaker']);
  });

  test('kiln eval prints accuracy, per-class scores and the confusion matrix', () => {
    const run = kiln(['eval', model, 'datasets/sneaker-vs-sandal']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /200 samples\naccuracy \d+\.\d\d%/);
    assert.match(run.stdout, /confusion matrix/);
  });
});

describe('tables: a CSV classification and regression', () => {
  const csv = join(dir, 'points.csv');
  const generator = new Generator(3);
  const lines = ['x,y,colour,label,score'];
  for (let i = 0; i < 240; i++) {
    const x = generator.nextDouble() * 4 - 2;
    const y = generator.nextDouble() * 4 - 2;
    const colour = ['red', 'green', 'blue'][i % 3];
    lines.push(`${x.toFixed(4)},${y.toFixed(4)},${colour},${x + y > 0 ? 'above' : 'below'},${(3 * x - y + 0.5).toFixed(4)}`);
  }
  writeFileSync(csv, lines.join('\n') + '\n');

  test('classification with the mlp preset, then predict and eval from CSV', () => {
    const model = join(dir, 'points.kiln');
    const run = kiln(['train', '--data', csv, '--target', 'label', '--model', 'mlp', '--hidden', '16', '--epochs', '25', '--lr', '0.01', '--batch-size', '16', '--out', model]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /classification into 2 classes/);
    const accuracy = Number(/accuracy (\d+\.\d+)%/.exec(run.stdout.split('test:')[1]!)![1]);
    assert.ok(accuracy >= 90, `test accuracy ${accuracy}%`);
    const predicted = kiln(['predict', model, csv]);
    assert.equal(predicted.code, 0, predicted.stderr);
    assert.match(predicted.stdout, /row 1\s+(above|below)/);
    const evaluated = kiln(['eval', model, csv, '--target', 'label']);
    assert.equal(evaluated.code, 0, evaluated.stderr);
    assert.match(evaluated.stdout, /240 samples/);
  });

  test('regression from a JSON config file', () => {
    const model = join(dir, 'score.kiln');
    const config = join(dir, 'train.json');
    writeFileSync(config, JSON.stringify({ data: csv, target: 'score', model: 'mlp', hidden: [16], epochs: 40, lr: 0.01, batchSize: 16, out: model, patience: 0 }));
    const run = kiln(['train', '--config', config]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /regression of 'score'/);
    const r2 = Number(/r2 (-?\d+\.\d+)/.exec(run.stdout)![1]);
    assert.ok(r2 > 0.9, `test r2 ${r2}`);
  });
});

describe('bad configurations are one clear line', () => {
  test('an unknown option in a config file', () => {
    const config = join(dir, 'bad.json');
    writeFileSync(config, JSON.stringify({ data: 'fashion-mnist', epocs: 3 }));
    const run = kiln(['train', '--config', config]);
    assert.equal(run.code, 1);
    assert.equal(run.stderr.trim().split('\n').length, 1);
    assert.match(run.stderr, /^kiln: ArgumentError: training config: epocs is not a training option; known options: data, model/);
  });

  test('a table without --target, a missing path, a bad number', () => {
    assert.match(kiln(['train', '--data', 'test/fixtures/data/people.csv']).stderr, /name the column to predict with --target/);
    assert.match(kiln(['train', '--data', 'no/such/dir']).stderr, /no\/such\/dir does not exist/);
    assert.match(kiln(['train', '--data', 'fashion-mnist', '--epochs', 'many']).stderr, /--epochs: expected a number, got 'many'/);
    assert.match(kiln(['train', '--data', 'fashion-mnist', '--augment', 'flip,spin']).stderr, /augment has unknown augmentation "spin"; known: flip, crop, affine, jitter/);
  });
});
