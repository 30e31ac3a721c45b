import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  Adam, CosineAnnealingLR, LRSchedulerCallback, TensorDataset, buildModel, evaluate, fit, loadFashionMnist, presetSpec,
} from '../../src/index.js';

/**
 * The accuracy gate on real data: the reference CNN of BENCHMARKS.md (Conv 32 → Conv 64 → Dense 128 → 10),
 * trained on the bundled 10,000-image Fashion-MNIST subset for 4 epochs (Adam, batch 64, cosine decay),
 * must classify the 2,000 held-out test images with at least 85 % accuracy.
 */
test('the reference CNN reaches ≥ 85 % test accuracy on the bundled Fashion-MNIST subset', async () => {
  const train = loadFashionMnist({ split: 'train' });
  const heldOut = loadFashionMnist({ split: 'test' });
  const model = buildModel(presetSpec('cnn-small', { outputs: 10 }), { seed: 0 });
  const optimizer = new Adam(model.parameters(), { lr: 2e-3 });
  const epochs = 4;
  const batchSize = 64;
  const schedule = new CosineAnnealingLR(optimizer, { tMax: epochs * Math.ceil(train.labels.size / batchSize) });
  const history = await fit(model, {
    train: new TensorDataset(train.images, train.labels),
    loss: 'cross-entropy',
    optimizer,
    epochs,
    batchSize,
    seed: 0,
    verbose: false,
    callbacks: [new LRSchedulerCallback(schedule, { interval: 'batch' })],
  });
  assert.ok(history.epochs.at(-1)!.logs.loss! < history.epochs[0]!.logs.loss!);
  const { accuracy } = evaluate(model, new TensorDataset(heldOut.images, heldOut.labels), { metrics: ['accuracy'] });
  assert.ok(accuracy! >= 0.85, `test accuracy ${(100 * accuracy!).toFixed(2)} % is below the 85 % gate`);
});
