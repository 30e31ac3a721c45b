import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { NumericArray } from '../../src/backend/backend.js';
import type { ClassPrediction, Prediction } from '../../src/infer/predictor.js';
import { MicroBatcher, type BatchObserver, type BatcherOptions, type BatchRunner } from '../../src/serve/batcher.js';

/** A runner that records each batch and predicts, per sample, its first value as the label, ranking 3 classes. */
function recordingRunner(delayMs = 0): { run: BatchRunner; batches: { rows: number[]; topK: number }[] } {
  const batches: { rows: number[]; topK: number }[] = [];
  const run: BatchRunner = async ({ data, shape, topK }) => {
    const width = data.length / shape[0]!;
    const rows = Array.from({ length: shape[0]! }, (_, i) => data[i * width]!);
    batches.push({ rows, topK });
    if (delayMs > 0) await sleep(delayMs);
    return rows.map((row): Prediction => {
      const ranked = ['x', 'y', 'z'].map((label, i) => ({ label, probability: (3 - i) / 6 }));
      return { label: String(row), classIndex: 0, probabilities: {}, topK: ranked.slice(0, topK) };
    });
  };
  return { run, batches };
}

const options: BatcherOptions = { maxBatch: 4, maxWaitMs: 20, concurrency: 1, sampleShape: [2], dtype: 'float32' };

/** `count` samples whose first values are `first`, `first + 1`, … */
function samples(first: number, count = 1): NumericArray {
  return Float32Array.from({ length: 2 * count }, (_, i) => (i % 2 === 0 ? first + i / 2 : -1));
}

const labels = (predictions: Prediction[]): string[] => predictions.map((p) => (p as ClassPrediction).label);

describe('MicroBatcher', () => {
  test('submissions arriving within the wait share one batch; each gets its own predictions back, in order', async () => {
    const { run, batches } = recordingRunner();
    const batcher = new MicroBatcher(run, options);
    const results = await Promise.all([batcher.submit(samples(1), 1), batcher.submit(samples(2, 2), 2)]);
    assert.deepEqual(batches.map((b) => b.rows), [[1, 2, 3]]);
    assert.deepEqual(results.map(labels), [['1'], ['2', '3']]);
  });

  test('a full batch leaves at once; what does not fit waits for the next one', async () => {
    const { run, batches } = recordingRunner();
    const batcher = new MicroBatcher(run, { ...options, maxWaitMs: 10_000 });
    const started = performance.now();
    const results = await Promise.all([batcher.submit(samples(1, 3), 3), batcher.submit(samples(4, 2), 2), batcher.submit(samples(6, 2), 2)]);
    assert.deepEqual(batches.map((b) => b.rows), [[1, 2, 3], [4, 5, 6, 7]]);
    assert.deepEqual(results.map(labels), [['1', '2', '3'], ['4', '5'], ['6', '7']]);
    assert.ok(performance.now() - started < 5000, 'full batches did not wait for the timer');
  });

  test('while the workers are busy, arrivals gather into the next batch', async () => {
    const { run, batches } = recordingRunner(30);
    const batcher = new MicroBatcher(run, { ...options, maxWaitMs: 0 });
    const first = batcher.submit(samples(1), 1);
    const rest = [2, 3, 4].map((v) => batcher.submit(samples(v), 1));
    await Promise.all([first, ...rest]);
    assert.deepEqual(batches.map((b) => b.rows), [[1], [2, 3, 4]]);
  });

  test('the batch ranks the largest topK asked; each submission gets its own (default 5)', async () => {
    const { run, batches } = recordingRunner();
    const batcher = new MicroBatcher(run, options);
    const [one, two, byDefault] = await Promise.all([batcher.submit(samples(1), 1, 1), batcher.submit(samples(2), 1, 2), batcher.submit(samples(3), 1)]);
    assert.equal(batches[0]!.topK, 5);
    assert.deepEqual((one![0] as ClassPrediction).topK.map((c) => c.label), ['x']);
    assert.deepEqual((two![0] as ClassPrediction).topK.map((c) => c.label), ['x', 'y']);
    assert.deepEqual((byDefault![0] as ClassPrediction).topK.map((c) => c.label), ['x', 'y', 'z']);
  });

  test('a failed batch rejects every submission in it, and the next batch still runs', async () => {
    let calls = 0;
    const batcher = new MicroBatcher(async ({ shape }) => {
      if (calls++ === 0) throw new Error('boom');
      return Array.from({ length: shape[0]! }, () => ({ value: 1 }));
    }, options);
    const failed = await Promise.allSettled([batcher.submit(samples(1), 1), batcher.submit(samples(2), 1)]);
    assert.deepEqual(failed.map((r) => r.status === 'rejected' && (r.reason as Error).message), ['boom', 'boom']);
    assert.deepEqual(await batcher.submit(samples(3), 1), [{ value: 1 }]);
  });

  test('drain sends what is queued without waiting', async () => {
    const { run, batches } = recordingRunner();
    const batcher = new MicroBatcher(run, { ...options, maxWaitMs: 60_000 });
    const pending = batcher.submit(samples(1), 1);
    await sleep(5);
    assert.equal(batches.length, 0);
    batcher.drain();
    assert.deepEqual(labels(await pending), ['1']);
  });

  test('tells its observer the queue depth and each batch', async () => {
    const events: string[] = [];
    const observer: BatchObserver = {
      queueChanged: (n) => events.push(`queue ${n}`),
      batchStarted: (n) => events.push(`start ${n}`),
      batchFinished: (n, seconds) => events.push(`finish ${n} ${seconds >= 0}`),
    };
    const batcher = new MicroBatcher(recordingRunner().run, options, observer);
    await Promise.all([batcher.submit(samples(1), 1), batcher.submit(samples(2, 2), 2)]);
    assert.deepEqual(events, ['queue 1', 'queue 3', 'queue 0', 'start 3', 'finish 3 true']);
  });

  test('refuses more samples than maxBatch, or data of the wrong size', async () => {
    const batcher = new MicroBatcher(recordingRunner().run, options);
    await assert.rejects(batcher.submit(samples(1, 5), 5), /count must be 1 to 4 samples, got 5/);
    await assert.rejects(batcher.submit(new Float32Array(3), 1), /1 samples of 2 values need 2 values, got 3/);
  });
});
