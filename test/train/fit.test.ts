import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { ArgumentError, TrainingError, getBackend, mul, setBackend, sum, type Tensor } from '../../src/index.js';
import { softmaxCrossEntropy } from '../../src/ops/softmax-cross-entropy.js';
import { Adam, SGD, StepLR } from '../../src/optim/index.js';
import {
  EarlyStopping, LRSchedulerCallback, MetricsLogger, ModelCheckpoint, evaluate, fit, loadCheckpoint, type Callback, type EpochLogs,
} from '../../src/train/index.js';
import { buildModel } from '../../src/nn/index.js';
import { captureStream, circles, smallMlp, weightsOf } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'kiln-fit-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const train = circles(256, 1);
const validation = circles(128, 2);

describe('fit', () => {
  test('learns a separable task and reports history with validation metrics', async () => {
    const model = smallMlp(0);
    const history = await fit(model, {
      train, validation, loss: 'cross-entropy', optimizer: new Adam(model.parameters(), { lr: 0.02 }),
      epochs: 15, batchSize: 32, metrics: ['accuracy'], seed: 3, verbose: false,
    });
    assert.equal(history.epochs.length, 15);
    assert.equal(history.stopReason, null);
    const last = history.epochs.at(-1)!.logs;
    for (const key of ['loss', 'accuracy', 'val_loss', 'val_accuracy', 'lr', 'epochSeconds', 'samplesPerSecond']) assert.ok(key in last, key);
    assert.ok(last.val_accuracy! >= 0.95, `val accuracy ${last.val_accuracy}`);
    assert.ok(last.loss! < history.epochs[0]!.logs.loss!, 'loss decreases');
    assert.equal(evaluate(model, validation, { metrics: ['accuracy'] }).accuracy, last.val_accuracy);
  });

  test('the same seed gives the same run', async () => {
    const run = async () => {
      const model = smallMlp(5);
      await fit(model, { train, loss: 'cross-entropy', optimizer: new SGD(model.parameters(), { lr: 0.1, momentum: 0.9 }), epochs: 2, seed: 9, verbose: false });
      return weightsOf(model);
    };
    assert.deepEqual(await run(), await run());
  });

  test('prints one plain line per epoch when not on a terminal', async () => {
    const model = smallMlp(0);
    const stream = captureStream(false);
    await fit(model, { train, loss: 'cross-entropy', optimizer: new SGD(model.parameters(), { lr: 0.1 }), epochs: 3, metrics: ['accuracy'], progressStream: stream });
    const lines = stream.text().trim().split('\n');
    assert.equal(lines.length, 3);
    assert.match(lines[0]!, /^epoch 1\/3 loss \d\.\d{4} {2}accuracy \d\.\d{4} {2}lr 1\.00e-1 {2}\(\d+\.\ds, \d+ samples\/s\)$/);
    assert.ok(!stream.text().includes('\r'));
  });

  test('draws a live bar with ETA on a terminal', async () => {
    const model = smallMlp(0);
    const stream = captureStream(true);
    await fit(model, { train, loss: 'cross-entropy', optimizer: new SGD(model.parameters(), { lr: 0.1 }), epochs: 1, batchSize: 64, metrics: ['accuracy'], progressStream: stream });
    assert.match(stream.text(), /\repoch 1\/1 [█░]+ \d+\/4 {2}loss \d\.\d{4} {2}accuracy \d\.\d{4} {2}\d+ samples\/s {2}ETA/);
  });

  test('rejects bad options clearly', async () => {
    const model = smallMlp(0);
    const optimizer = new SGD(model.parameters(), { lr: 0.1 });
    await assert.rejects(fit(model, { train, loss: 'cross-entropy', optimizer, epochs: 0 }), ArgumentError);
    await assert.rejects(fit(model, { train, loss: 'bogus', optimizer, epochs: 1 }), /bogus/);
  });
});

describe('EarlyStopping', () => {
  /** Replaces val_loss by a scripted sequence and remembers the weights at each epoch. */
  function scripted(values: number[], snapshots: Record<string, number[]>[]): Callback {
    return {
      onEpochEnd(context, logs: EpochLogs) {
        logs.val_loss = values[context.epoch - 1]!;
        snapshots.push(weightsOf(context.model));
      },
    };
  }

  test('stops after `patience` epochs without improvement and restores the best weights', async () => {
    const model = smallMlp(0);
    const snapshots: Record<string, number[]>[] = [];
    const history = await fit(model, {
      train, loss: 'cross-entropy', optimizer: new SGD(model.parameters(), { lr: 0.1 }), epochs: 10, verbose: false,
      callbacks: [scripted([1.0, 0.5, 0.7, 0.6, 0.9, 0.8], snapshots), new EarlyStopping({ monitor: 'val_loss', patience: 3 })],
    });
    assert.equal(history.epochs.length, 5);
    assert.match(history.stopReason!, /val_loss has not improved for 3 epochs \(best 0\.5 at epoch 2\); restored the weights of epoch 2/);
    assert.deepEqual(weightsOf(model), snapshots[1]);
    assert.notDeepEqual(weightsOf(model), snapshots[4]);
  });

  test('minDelta: changes smaller than it do not count', async () => {
    const model = smallMlp(0);
    const history = await fit(model, {
      train, loss: 'cross-entropy', optimizer: new SGD(model.parameters(), { lr: 0.1 }), epochs: 10, verbose: false,
      callbacks: [scripted([1.0, 0.99, 0.98, 0.97], []), new EarlyStopping({ patience: 2, minDelta: 0.05, restoreBestWeights: false })],
    });
    assert.equal(history.epochs.length, 3);
  });

  test('mode max for accuracy-like names, and a missing monitor is a clear error', async () => {
    const model = smallMlp(0);
    const history = await fit(model, {
      train, validation, loss: 'cross-entropy', optimizer: new Adam(model.parameters(), { lr: 0.02 }), epochs: 4, metrics: ['accuracy'], verbose: false,
      callbacks: [new EarlyStopping({ monitor: 'val_accuracy', patience: 10 })],
    });
    assert.equal(history.epochs.length, 4);
    await assert.rejects(
      fit(smallMlp(0), { train, loss: 'cross-entropy', optimizer: new SGD(smallMlp(0).parameters(), { lr: 0.1 }), epochs: 1, verbose: false, callbacks: [new EarlyStopping()] }),
      /'val_loss' is not logged; logged values: loss, lr/,
    );
  });
});

describe('checkpoints and resume', () => {
  /** Trains 4 epochs straight and 2 + 2 with a resume in between, on the current backend. */
  async function resumeEqualsUninterrupted(tag: string): Promise<void> {
    const options = (model: ReturnType<typeof smallMlp>) => {
      const optimizer = new Adam(model.parameters(), { lr: 0.01 });
      return { train, validation, loss: 'cross-entropy', optimizer, batchSize: 24, seed: 11, metrics: ['accuracy'], verbose: false as const, scheduler: new StepLR(optimizer, { stepSize: 1, gamma: 0.7 }) };
    };
    const full = smallMlp(1);
    const fullOptions = options(full);
    const fullHistory = await fit(full, { ...fullOptions, epochs: 4, callbacks: [new LRSchedulerCallback(fullOptions.scheduler)] });

    const first = smallMlp(1);
    const firstOptions = options(first);
    const checkpoints = join(dir, `resume-${tag}`);
    await fit(first, { ...firstOptions, epochs: 2, callbacks: [new LRSchedulerCallback(firstOptions.scheduler), new ModelCheckpoint(checkpoints, { saveBest: false })] });

    const second = smallMlp(99);
    const secondOptions = options(second);
    const resumed = await fit(second, {
      ...secondOptions, epochs: 4, resumeFrom: join(checkpoints, 'last.ckpt'),
      callbacks: [new LRSchedulerCallback(secondOptions.scheduler), new ModelCheckpoint(checkpoints, { saveBest: false })],
    });
    assert.deepEqual(weightsOf(second), weightsOf(full));
    const losses = (h: typeof fullHistory) => h.epochs.map((e) => [e.logs.loss, e.logs.val_loss, e.logs.lr]);
    assert.deepEqual(losses(resumed), losses(fullHistory));
  }

  test('2 + 2 epochs resumed from a checkpoint equal 4 uninterrupted epochs, bit for bit (js backend)', async () => {
    const previous = getBackend().name;
    setBackend('js');
    try {
      await resumeEqualsUninterrupted('js');
    } finally {
      setBackend(previous);
    }
  });

  test('the same holds on the default backend', async () => {
    await resumeEqualsUninterrupted(getBackend().name);
  });

  test('best checkpoint follows the monitored value; a mismatched checkpoint is refused clearly', async () => {
    const model = smallMlp(0);
    const checkpoints = join(dir, 'best');
    const history = await fit(model, {
      train, validation, loss: 'cross-entropy', optimizer: new Adam(model.parameters(), { lr: 0.05 }), epochs: 4, verbose: false,
      callbacks: [
        // Make epoch 2 the best one whatever the real losses are.
        { onEpochEnd: (context, logs) => void (logs.val_loss = context.epoch === 2 ? 0 : 1 + context.epoch) },
        new ModelCheckpoint(checkpoints),
      ],
    });
    assert.equal(history.epochs.length, 4);
    assert.equal((await loadCheckpoint(join(checkpoints, 'best.ckpt'))).epoch, 2);
    assert.equal((await loadCheckpoint(join(checkpoints, 'last.ckpt'))).epoch, 4);
    const bigger = buildModel({ input: [2], layers: [{ type: 'linear', out: 3 }] });
    await assert.rejects(
      fit(bigger, { train, loss: 'cross-entropy', optimizer: new SGD(bigger.parameters(), { lr: 0.1 }), epochs: 5, verbose: false, resumeFrom: join(checkpoints, 'best.ckpt') }),
      (e) => e instanceof TrainingError && /does not fit this run/.test(e.message) && /unexpected keys|missing keys|wrong shapes/.test(e.message),
    );
  });
});

describe('NaN guard', () => {
  test('stops at the first non-finite loss, names epoch, batch and checkpoint, and keeps the previous weights', async () => {
    const model = smallMlp(0);
    let calls = 0;
    let before: Record<string, number[]> = {};
    const poisoned = (outputs: Tensor, targets: Tensor): Tensor => {
      calls++;
      if (calls === 12) {
        before = weightsOf(model);
        return mul(sum(outputs), NaN);
      }
      return softmaxCrossEntropy(outputs, targets);
    };
    const checkpoints = join(dir, 'nan');
    await assert.rejects(
      fit(model, { train, loss: poisoned, optimizer: new SGD(model.parameters(), { lr: 0.1 }), epochs: 3, batchSize: 32, verbose: false, callbacks: [new ModelCheckpoint(checkpoints, { saveBest: false })] }),
      (e) =>
        e instanceof TrainingError &&
        /loss became NaN at epoch 2, batch 4 \(step 12\)/.test(e.message) &&
        e.message.includes(join(checkpoints, 'last.ckpt')),
    );
    assert.deepEqual(weightsOf(model), before);
  });
});

describe('logging and schedules', () => {
  test('MetricsLogger writes CSV and JSON lines, one row per epoch', async () => {
    const model = smallMlp(0);
    const csv = join(dir, 'log.csv');
    const jsonl = join(dir, 'log.jsonl');
    await fit(model, { train, loss: 'cross-entropy', optimizer: new SGD(model.parameters(), { lr: 0.1 }), epochs: 2, metrics: ['accuracy'], verbose: false, callbacks: [new MetricsLogger(csv), new MetricsLogger(jsonl)] });
    const rows = readFileSync(csv, 'utf8').trim().split('\n');
    assert.equal(rows[0], 'epoch,loss,accuracy,lr,epochSeconds,samplesPerSecond');
    assert.equal(rows.length, 3);
    const records = readFileSync(jsonl, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as EpochLogs);
    assert.deepEqual(records.map((r) => r.epoch), [1, 2]);
  });

  test('an epoch scheduler changes the lr logged for the next epoch', async () => {
    const model = smallMlp(0);
    const optimizer = new SGD(model.parameters(), { lr: 0.1 });
    const history = await fit(model, { train, loss: 'cross-entropy', optimizer, epochs: 3, verbose: false, callbacks: [new LRSchedulerCallback(new StepLR(optimizer, { stepSize: 1, gamma: 0.5 }))] });
    assert.deepEqual(history.epochs.map((e) => e.logs.lr), [0.1, 0.05, 0.025]);
  });
});
