import type { SpecModel } from '../../src/nn/spec.js';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { sparsityReport } from '../../src/compress/prune/sparsity.js';
import { loadModelFile } from '../../src/io/model-file.js';
import { rand } from '../../src/tensor/creation.js';
import { kiln } from '../cli/run-kiln.js';

const dir = mkdtempSync(join(tmpdir(), 'kiln-cli-compress-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const teacher = join(dir, 'shoes.kiln');
const data = ['--data', 'datasets/sneaker-vs-sandal', '--timing-ms', '20'];

before(() => {
  const run = kiln(['train', '--data', 'datasets/sneaker-vs-sandal', '--image-size', '28x28', '--channels', '1', '--epochs', '2', '--batch-size', '16', '--seed', '1', '--out', teacher]);
  assert.equal(run.code, 0, run.stderr);
});

/** The cells of the report row starting with `name`. */
function row(stdout: string, name: string): string[] {
  const line = stdout.split('\n').find((l) => l.startsWith(`${name} `));
  assert.ok(line, `no row '${name}' in:\n${stdout}`);
  return line.slice(name.length).trim().split(/\s{2,}/);
}

describe('kiln prune', () => {
  test('unstructured 75 % with a polynomial schedule: per-layer sparsity, a before/after table, a 3× smaller sparse file', () => {
    const out = join(dir, 'sparse.kiln');
    const run = kiln(['prune', teacher, ...data, '--sparsity', '0.75', '--schedule', 'polynomial', '--finetune-epochs', '2', '--out', out]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^magnitude pruning \(layer\), polynomial 0→0\.75/);
    assert.match(run.stdout, /^3\.weight\s+\[64×32×3×3\]\s+0\.0%\s+75\.0%$/m);
    assert.match(run.stdout, /model\s+parameters\s+sparsity\s+accuracy\s+file\s+size ×\s+batch-1 ms\s+batch-256 samples\/s\s+speed ×/);
    // 75 % zeros gain in batches only: the "after" batch-256 throughput is the sparse kernel's.
    assert.match(run.stdout, /^sparse kernel: layers\[7\] 1600→128 \(75\.0% zeros, batches of 2\+ rows\)/m);
    const [, sparsity, accuracy, , ratio] = row(run.stdout, 'pruned');
    assert.equal(sparsity, '75.0%');
    assert.match(accuracy!, /^\d+\.\d\d%$/);
    assert.ok(Number(ratio) >= 3, `file ratio ${ratio}`);
    assert.ok(statSync(teacher).size / statSync(out).size >= 3);
    return loadModelFile(out).then(({ model, metadata }) => {
      assert.ok(sparsityReport(model as SpecModel).total.sparsity >= 0.749);
      assert.deepEqual(metadata.sparse, ['0.weight', '3.weight', '7.weight', '9.weight']);
      assert.equal((metadata.provenance.pruning as { sparsity: number }).sparsity, 0.75);
    });
  });

  test('structured: a table of channels and a smaller dense model', async () => {
    const out = join(dir, 'slim.kiln');
    const run = kiln(['prune', teacher, ...data, '--structured', '--sparsity', '0.5', '--finetune-epochs', '1', '--out', out]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^layers\[3\] conv2d\s+64\s+32\s*$/m);
    assert.match(run.stdout, /^layers\[9\] linear\s+2\s+\(kept\)\s+it produces the model output$/m);
    const [parameters] = row(run.stdout, 'pruned');
    assert.equal(parameters, '56,194');
    const { model, metadata } = await loadModelFile(out);
    assert.equal(model.parameterCount(), 56_194);
    assert.equal(metadata.sparse, undefined);
  });

  test('structured with a schedule: channels masked while fine-tuning, then removed, with the same report', async () => {
    const out = join(dir, 'slim-iterative.kiln');
    const run = kiln(['prune', teacher, ...data, '--structured', '--sparsity', '0.5', '--schedule', 'iterative', '--finetune-epochs', '2', '--out', out]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^structured L1 channel pruning, iterative 0\.5 in 3 rounds, steps 0–\d+$/m);
    assert.match(run.stdout, /^layers\[0\] conv2d\s+32\s+16\s*$/m);
    assert.match(run.stdout, /^layers\[3\] conv2d\s+64\s+32\s*$/m);
    assert.match(run.stdout, /^layers\[7\] linear\s+128\s+64\s*$/m);
    assert.match(run.stdout, /^layers\[9\] linear\s+2\s+\(kept\)\s+it produces the model output$/m);
    const [parameters, , accuracy] = row(run.stdout, 'pruned');
    assert.equal(parameters, '56,194');
    assert.match(accuracy!, /^\d+\.\d\d%$/);
    const { model, metadata } = await loadModelFile(out);
    assert.equal(model.parameterCount(), 56_194);
    assert.match((metadata.provenance.pruning as { method: string }).method, /iterative 0\.5 in 3 rounds/);
    const noSteps = kiln(['prune', teacher, ...data, '--structured', '--schedule', 'polynomial', '--finetune-epochs', '0', '--out', join(dir, 'x.kiln')]);
    assert.match(noSteps.stderr, /--schedule polynomial prunes while fine-tuning; give --finetune-epochs ≥ 1/);
  });

  test('2:4 sparsity without fine-tuning; conflicting or bad flags are refused', () => {
    const run = kiln(['prune', teacher, ...data, '--nm', '2:4', '--finetune-epochs', '0', '--out', join(dir, 'nm.kiln')]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^3\.weight\s+\[64×32×3×3\]\s+0\.0%\s+50\.0%$/m);
    assert.match(run.stdout, /^0\.weight\s+\[32×1×3×3\]\s+0\.0%\s+0\.0%$/m);
    const both = kiln(['prune', teacher, ...data, '--nm', '2:4', '--structured', '--out', join(dir, 'x.kiln')]);
    assert.equal(both.code, 1);
    assert.match(both.stderr, /--structured and --nm are different kinds of pruning/);
    const noSteps = kiln(['prune', teacher, ...data, '--schedule', 'iterative', '--finetune-epochs', '0', '--out', join(dir, 'x.kiln')]);
    assert.match(noSteps.stderr, /--schedule iterative prunes while fine-tuning; give --finetune-epochs ≥ 1/);
    // The folder has no separate test set: another seed would draw a test split the model trained on.
    const otherSeed = kiln(['prune', teacher, ...data, '--seed', '5', '--out', join(dir, 'x.kiln')]);
    assert.equal(otherSeed.code, 1);
    assert.match(otherSeed.stderr, /--seed 5: the model was trained with seed 1, and datasets\/sneaker-vs-sandal has no separate test set/);
    const help = kiln(['prune', '--help']);
    assert.match(help.stdout, /\$ kiln prune fashion\.kiln --structured --sparsity 0\.5/);
    assert.match(help.stdout, /--structured --sparsity 0\.5 --schedule iterative/);
  });
});

describe('kiln distill', () => {
  test('prints the teacher, the student alone and the distilled student side by side, and saves the student', async () => {
    const out = join(dir, 'student.kiln');
    const run = kiln(['distill', '--teacher', teacher, '--student', 'mlp', '--hidden', '16', ...data, '--epochs', '2', '--out', out]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /teacher: 224,002 parameters; student: 12,594 parameters \(17\.8× fewer\)/);
    assert.equal(row(run.stdout, 'teacher')[0], '224,002');
    assert.equal(row(run.stdout, 'student alone')[0], '12,594');
    assert.match(row(run.stdout, 'student distilled')[2]!, /^\d+\.\d\d%$/);
    const { model, metadata } = await loadModelFile(out);
    assert.equal(model.parameterCount(), 12_594);
    assert.equal((metadata.provenance.distillation as { alpha: number }).alpha, 0.9);
    const help = kiln(['distill', '--help']);
    assert.match(help.stdout, /\$ kiln distill --teacher fashion\.kiln --student/);
  });

  test('several teachers form an ensemble; teachers that do not match, or that trained on the test split, are refused', async () => {
    // The same seed (so the same splits) with fewer epochs: a second, different teacher.
    const second = join(dir, 'shoes-2.kiln');
    const train = ['train', '--data', 'datasets/sneaker-vs-sandal', '--channels', '1', '--batch-size', '16'];
    assert.equal(kiln([...train, '--image-size', '28x28', '--epochs', '1', '--seed', '1', '--out', second]).code, 0);
    const out = join(dir, 'from-two.kiln');
    const run = kiln(['distill', '--teacher', teacher, second, '--student', 'mlp', '--hidden', '16', ...data, '--epochs', '1', '--augment', 'flip,crop', '--out', out]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /teacher ensemble \(2\): 448,004 parameters; student: 12,594 parameters \(35\.6× fewer\)/);
    const [parameters, , accuracy] = row(run.stdout, 'teacher ensemble (2)');
    assert.equal(parameters, '448,004');
    assert.match(accuracy!, /^\d+\.\d\d%$/);
    const { metadata } = await loadModelFile(out);
    assert.deepEqual((metadata.provenance.distillation as { teacher: string[] }).teacher, [teacher, second]);
    assert.deepEqual((metadata.provenance.distillation as { augment: string[] }).augment, ['flip', 'crop']);

    const refused = (teachers: string[]): string => {
      const result = kiln(['distill', '--teacher', ...teachers, '--student', 'mlp', ...data, '--out', join(dir, 'never.kiln')]);
      assert.equal(result.code, 1);
      return result.stderr;
    };
    assert.match(refused([teacher, '--augment', 'flip,spin']), /^kiln: ArgumentError: --augment: unknown augmentation 'spin'; known: flip, crop, affine, jitter$/m);
    const otherSeed = join(dir, 'shoes-seed-2.kiln');
    assert.equal(kiln([...train, '--image-size', '28x28', '--epochs', '1', '--seed', '2', '--max-train-samples', '32', '--out', otherSeed]).code, 0);
    assert.match(refused([teacher, otherSeed]), new RegExp(`--teacher ${otherSeed}: trained with seed 2, but the test split is drawn with seed 1, so it has trained on test samples; give held-out --test-data`));
    const smaller = join(dir, 'shoes-14.kiln');
    assert.equal(kiln([...train, '--image-size', '14x14', '--epochs', '1', '--seed', '1', '--max-train-samples', '32', '--out', smaller]).code, 0);
    assert.match(refused([teacher, smaller]), new RegExp(`--teacher ${smaller}: its input shape \\[1,14,14\\] differs from ${teacher}'s \\[1,28,28\\]`));
  });
});

describe('kiln quantize', () => {
  const calibration = ['--calibration', 'datasets/sneaker-vs-sandal', '--timing-ms', '20', '--calibration-samples', '60'];

  test('static int8: the stages, an fp32/int8 table with a ≥ 3.5× smaller file, and a model that loads and predicts', async () => {
    const out = join(dir, 'shoes.int8.kiln');
    const run = kiln(['quantize', teacher, ...calibration, '--method', 'mse', '--out', out]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^static int8 quantization, mse calibration on 60 training samples/);
    assert.match(run.stdout, /QuantizedConv2d\(32→64, 3×3, ReLU, MaxPool 2×2, u8 out\)/);
    const [, , fp32Accuracy] = row(run.stdout, 'fp32');
    const [, , int8Accuracy, , ratio] = row(run.stdout, 'int8');
    assert.match(fp32Accuracy!, /^\d+\.\d\d%$/);
    assert.match(int8Accuracy!, /^\d+\.\d\d%$/);
    assert.ok(Number(ratio) >= 3.5, `file ratio ${ratio}`);
    assert.match(run.stdout, /accuracy change: -?\d+\.\d\d points/);
    const { model, metadata } = await loadModelFile(out);
    assert.equal(metadata.quantization?.method, 'mse');
    assert.equal(metadata.metrics.accuracy, Number(int8Accuracy!.slice(0, -1)) / 100);
    assert.equal((metadata.provenance.quantization as { from: string }).from, teacher);
    assert.equal(model.forward(rand([2, 1, 28, 28])).shape.join(), '2,2');
    const info = kiln(['info', out]);
    assert.match(info.stdout, /quantized: static int8, mse ranges from 60 calibration samples/);
    assert.match(info.stdout, /stages: quantize → conv2d\+relu\+maxPool2d → conv2d\+relu\+maxPool2d → flatten → linear\+relu → linear/);
  });

  test('--qat fine-tunes with fake quantization, then converts with the learned ranges', async () => {
    const out = join(dir, 'shoes.qat.kiln');
    const run = kiln(['quantize', teacher, ...calibration, '--qat', '--epochs', '1', '--out', out]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^quantization-aware training, 1 epoch\(s\) from ranges calibrated on 60 training samples, then int8/);
    assert.match(row(run.stdout, 'int8')[2]!, /^\d+\.\d\d%$/);
    const { metadata } = await loadModelFile(out);
    assert.equal(metadata.quantization?.method, 'qat');
    const both = kiln(['quantize', teacher, ...calibration, '--qat', '--dynamic', '--out', join(dir, 'x.kiln')]);
    assert.match(both.stderr, /--qat trains for static quantization; it cannot be combined with --dynamic/);
  });

  test('refuses to quantize a quantized model and explains bad flags', () => {
    const out = join(dir, 'twice.kiln');
    const first = kiln(['quantize', teacher, ...calibration, '--out', out]);
    assert.equal(first.code, 0, first.stderr);
    const again = kiln(['quantize', out, ...calibration, '--out', join(dir, 'x.kiln')]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /quantized to int8, and quantization needs the float model/);
    const badMethod = kiln(['quantize', teacher, ...calibration, '--method', 'entropy', '--out', join(dir, 'x.kiln')]);
    assert.match(badMethod.stderr, /argument 'entropy' is invalid\. Allowed choices are minmax, percentile, mse/);
    const help = kiln(['quantize', '--help']);
    assert.match(help.stdout, /\$ kiln quantize fashion\.kiln --calibration fashion-mnist --out fashion\.int8\.kiln/);
  });
});
