/** End-to-end sanity: a small CNN built from a preset learns a tiny synthetic task with plain SGD. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Generator, Tensor, argmax, fromArray, noGrad, softmaxCrossEntropy } from '../../src/index.js';
import { buildModel, presetSpec } from '../../src/nn/index.js';

const SIZE = 10;
const SAMPLES = 16;

/** 10×10 noise images; class c has a bright 4×4 patch in quadrant c (top-left, top-right, bottom-left, bottom-right). */
function dataset(generator: Generator): { x: Tensor; y: Tensor } {
  const pixels = new Float32Array(SAMPLES * SIZE * SIZE);
  const labels = new Int32Array(SAMPLES);
  for (let n = 0; n < SAMPLES; n++) {
    const label = n % 4;
    labels[n] = label;
    const top = label < 2 ? 1 : 5;
    const left = label % 2 === 0 ? 1 : 5;
    for (let r = 0; r < SIZE; r++) {
      for (let c = 0; c < SIZE; c++) {
        const inPatch = r >= top && r < top + 4 && c >= left && c < left + 4;
        pixels[(n * SIZE + r) * SIZE + c] = (inPatch ? 1 : 0) + 0.3 * (generator.nextDouble() - 0.5);
      }
    }
  }
  return { x: fromArray(pixels, { shape: [SAMPLES, 1, SIZE, SIZE] }), y: fromArray(labels) };
}

test('cnn-small on 10×10 images learns a 4-class task: 30 SGD steps cut the loss by more than half', () => {
  const generator = new Generator(0);
  const model = buildModel(presetSpec('cnn-small', { input: [1, SIZE, SIZE], outputs: 4 }), { seed: 0 });
  const { x, y } = dataset(generator);
  const params = model.parameters();
  const lr = 0.1;
  const losses: number[] = [];
  for (let step = 0; step < 30; step++) {
    for (const p of params) p.grad = null;
    const loss = softmaxCrossEntropy(model.forward(x), y);
    losses.push(loss.item());
    loss.backward();
    noGrad(() => {
      for (const p of params) {
        const grad = p.grad!.toTypedArray();
        for (let i = 0; i < p.size; i++) p.data[i]! -= lr * grad[i]!;
      }
    });
  }
  const first = losses[0]!;
  const last = noGrad(() => softmaxCrossEntropy(model.forward(x), y).item());
  assert.ok(Math.abs(first - Math.log(4)) < 0.3, `the untrained loss ${first} should be near ln 4`);
  assert.ok(last < 0.5 * first, `loss went from ${first} to ${last}: ${losses.map((l) => l.toFixed(3)).join(' ')}`);
  const predicted = Array.from(noGrad(() => argmax(model.forward(x), 1)).toTypedArray());
  const correct = predicted.filter((p, i) => p === y.data[i]).length;
  assert.ok(correct >= 0.75 * SAMPLES, `${correct}/${SAMPLES} training samples classified correctly`);
});
