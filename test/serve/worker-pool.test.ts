import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { RegressionPrediction } from '../../src/infer/predictor.js';
import { saveModel } from '../../src/io/model-file.js';
import { buildModel } from '../../src/nn/spec.js';
import { fromArray } from '../../src/tensor/creation.js';
import { WorkerFailure, WorkerPool } from '../../src/serve/worker-pool.js';

const dir = mkdtempSync(join(tmpdir(), 'kiln-worker-pool-'));
const modelPath = join(dir, 'sum.kiln');
after(() => rmSync(dir, { recursive: true, force: true }));

describe('WorkerPool', () => {
  before(async () => {
    const model = buildModel({ input: [2], layers: [{ type: 'linear', out: 1 }] }, { seed: 1 });
    model.loadStateDict({ '0.weight': fromArray([[1, 1]]), '0.bias': fromArray([0]) });
    await saveModel(modelPath, { model, task: 'regression', labels: null, input: { kind: 'tensor', shape: [2] } });
  });

  test('workers load the model themselves and run one batch each at a time, the samples transferred', async () => {
    const pool = await WorkerPool.start(modelPath, 2, () => assert.fail('no worker should fail'));
    try {
      assert.equal(pool.size, 2);
      assert.equal(pool.info.name, 'sum.kiln');
      assert.equal(pool.info.parameterCount, 3);
      assert.ok(pool.loadSeconds > 0);
      const first = Float32Array.from([1, 2, 3, 4]);
      const second = Float32Array.from([10, 20]);
      const results = await Promise.all([pool.run({ data: first, shape: [2, 2], topK: 1 }), pool.run({ data: second, shape: [1, 2], topK: 1 })]);
      assert.deepEqual(results.map((r) => (r as RegressionPrediction[]).map((p) => p.value)), [[3, 7], [30]]);
      assert.equal(first.length, 0, 'the buffer went to the worker rather than being copied');
      await assert.rejects(
        Promise.all([1, 2, 3].map(() => pool.run({ data: new Float32Array(2), shape: [1, 2], topK: 1 }))),
        /all 2 workers are busy/,
      );
    } finally {
      await pool.close();
    }
  });

  test('a worker that dies fails the pool: its batch and later ones are refused, the failure reported once', async () => {
    const failures: WorkerFailure[] = [];
    const pool = await WorkerPool.start(modelPath, 1, (failure) => failures.push(failure));
    try {
      const batch = pool.run({ data: new Float32Array(2), shape: [1, 2], topK: 1 });
      // White-box: stop the thread from outside, as a crash would.
      await pool['slots'][0]!.worker.terminate();
      await assert.rejects(batch, (e: Error) => e instanceof WorkerFailure && /an inference worker stopped \(it exited with code 1\)/.test(e.message));
      await assert.rejects(pool.run({ data: new Float32Array(2), shape: [1, 2], topK: 1 }), WorkerFailure);
      assert.equal(failures.length, 1);
      assert.equal(pool.failure, failures[0]);
    } finally {
      await pool.close();
    }
  });
});
