import { TensorDataset } from '../../src/data/tensor-dataset.js';
import { Generator, fromArray, type Tensor } from '../../src/index.js';
import { buildModel, type SpecModel } from '../../src/nn/index.js';

/**
 * Two interleaved 2-D classes that a small MLP separates easily: class 1 lies outside a circle of
 * radius 1, class 0 inside, with a margin so a few epochs suffice.
 */
export function circles(n: number, seed: number): TensorDataset {
  const generator = new Generator(seed);
  const x: number[] = [];
  const y: number[] = [];
  for (let i = 0; i < n; i++) {
    const label = i % 2;
    const radius = label === 1 ? 1.4 + generator.nextDouble() * 0.6 : generator.nextDouble() * 0.7;
    const angle = generator.nextDouble() * 2 * Math.PI;
    x.push(radius * Math.cos(angle), radius * Math.sin(angle));
    y.push(label);
  }
  return new TensorDataset(fromArray(x, { shape: [n, 2] }), fromArray(y, { dtype: 'int32' }));
}

/** A small MLP with dropout, so resuming must also restore the dropout generator. */
export function smallMlp(seed: number): SpecModel {
  return buildModel(
    { input: [2], layers: [{ type: 'linear', out: 16 }, { type: 'relu' }, { type: 'dropout', p: 0.1 }, { type: 'linear', out: 2 }] },
    { seed },
  );
}

/** Every parameter and buffer as plain arrays, for exact comparisons. */
export function weightsOf(model: { stateDict(): Record<string, Tensor> }): Record<string, number[]> {
  return Object.fromEntries(Object.entries(model.stateDict()).map(([k, t]) => [k, Array.from(t.toTypedArray())]));
}

/** A progress stream that records what fit prints. */
export function captureStream(isTTY = false): { write(text: string): boolean; isTTY: boolean; text: () => string } {
  let out = '';
  return {
    isTTY,
    write(text: string) {
      out += text;
      return true;
    },
    text: () => out,
  };
}
