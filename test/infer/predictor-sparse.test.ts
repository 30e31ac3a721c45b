import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { noGrad } from '../../src/autograd/grad-mode.js';
import type { Backend } from '../../src/backend/backend.js';
import { getBackend, registerBackend, setBackend } from '../../src/backend/registry.js';
import { bake } from '../../src/compress/prune/masks.js';
import { pruneMagnitude } from '../../src/compress/prune/prune.js';
import { loadModel } from '../../src/infer/predictor.js';
import { saveModel } from '../../src/io/model-file.js';
import { SPARSE_LINEAR_MIN_SPARSITY } from '../../src/nn/layers/sparse-linear.js';
import { buildModel, type ModelSpec, type SpecModel } from '../../src/nn/spec.js';
import { randn } from '../../src/tensor/creation.js';
import { Generator } from '../../src/tensor/random.js';
import { assertClose } from '../helpers/arrays.js';

const dir = mkdtempSync(join(tmpdir(), 'kiln-predictor-sparse-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A small CNN: its Linear layers are layers[4] (288→64, then ReLU) and layers[6] (64→10). */
const spec: ModelSpec = {
  input: [1, 12, 12],
  layers: [
    { type: 'conv2d', out: 8, kernel: 3, padding: 'same' },
    { type: 'relu' },
    { type: 'maxPool2d', kernel: 2 },
    { type: 'flatten' },
    { type: 'linear', out: 64 },
    { type: 'relu' },
    { type: 'linear', out: 10 },
  ],
};

/** The model with each named weight magnitude-pruned to its sparsity, saved sparse, loaded back. */
async function prunedPredictor(name: string, sparsities: Record<string, number>): Promise<{ model: SpecModel; predictor: Awaited<ReturnType<typeof loadModel>> }> {
  const model = buildModel(spec, { seed: 3 });
  for (const [weight, sparsity] of Object.entries(sparsities)) pruneMagnitude(model, { sparsity, weights: [weight] });
  bake(model);
  const path = join(dir, `${name}.kiln`);
  await saveModel(path, { model, task: 'classification', labels: null, input: { kind: 'tensor', shape: spec.input }, provenance: {}, sparse: true });
  return { model, predictor: await loadModel(path) };
}

/** Runs body on a backend that counts the sparse products it computes (delegating to the current one). */
function countingSparseProducts<T>(body: () => T): { calls: number; result: T } {
  const base = getBackend();
  let calls = 0;
  const counting: Backend = {
    ...base,
    name: `counting-${base.name}`,
    sparseGemm(args) {
      calls++;
      base.sparseGemm(args);
    },
  };
  registerBackend(counting);
  try {
    setBackend(counting.name);
    const result = body();
    return { calls, result };
  } finally {
    setBackend(base.name);
  }
}

test('a 95 % magnitude-pruned model saved sparse predicts through the sparse kernel what the dense layers give', async () => {
  const { predictor } = await prunedPredictor('pruned-95', { '4.weight': 0.95, '6.weight': 0.95 });
  assert.deepEqual(predictor.sparseLayers.map(({ layer, inFeatures, outFeatures, batches }) => ({ layer, inFeatures, outFeatures, batches })), [
    { layer: 'layers[4]', inFeatures: 288, outFeatures: 64, batches: 'all' },
    { layer: 'layers[6]', inFeatures: 64, outFeatures: 10, batches: 'all' },
  ]);
  for (const report of predictor.sparseLayers) assert.ok(Math.abs(report.sparsity - 0.95) < 0.01, `${report.layer}: ${report.sparsity}`);
  const dense = predictor.model as SpecModel;
  for (const rows of [1, 5]) {
    const x = randn([rows, ...spec.input], { generator: new Generator(rows) });
    const { calls, result } = countingSparseProducts(() => predictor.predictTensor(x));
    assert.equal(calls, 2, `batch ${rows}: both Linear layers take the sparse product`);
    dense.eval();
    assertClose(result.toTypedArray(), noGrad(() => dense.forward(x)).toTypedArray(), 1e-5, `batch ${rows}`);
  }
});

test('a layer with too few zeros for a single row runs dense for one row and sparse for a batch', async () => {
  assert.ok(SPARSE_LINEAR_MIN_SPARSITY.batch <= 0.9 && 0.9 < SPARSE_LINEAR_MIN_SPARSITY.singleRow, 'the thresholds this test assumes');
  const { model, predictor } = await prunedPredictor('pruned-90', { '4.weight': 0.9, '6.weight': 0.5 });
  assert.deepEqual(predictor.sparseLayers.map(({ layer, batches }) => ({ layer, batches })), [{ layer: 'layers[4]', batches: 'multi-row' }]);
  model.eval();
  for (const [rows, sparseCalls] of [[1, 0], [4, 1]] as const) {
    const x = randn([rows, ...spec.input], { generator: new Generator(10 + rows) });
    const { calls, result } = countingSparseProducts(() => predictor.predictTensor(x));
    assert.equal(calls, sparseCalls, `batch ${rows}`);
    assertClose(result.toTypedArray(), noGrad(() => model.forward(x)).toTypedArray(), 1e-5, `batch ${rows}`);
  }
});

test('an unpruned model has no sparse layer and never takes the sparse product', async () => {
  const { predictor } = await prunedPredictor('dense', {});
  assert.deepEqual(predictor.sparseLayers, []);
  for (const rows of [1, 4]) {
    const x = randn([rows, ...spec.input], { generator: new Generator(20 + rows) });
    assert.equal(countingSparseProducts(() => predictor.predictTensor(x)).calls, 0, `batch ${rows}`);
  }
});
