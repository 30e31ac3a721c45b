/**
 * The reference CNN as Kiln builds it, and a training loop shared by kiln-weights.ts and kiln-train.ts:
 * Fashion-MNIST kept as uint8 pixels in memory, shuffled batches of 64 scaled to [0, 1] per batch by the
 * DataLoader, softmax cross-entropy, Adam lr 1e-3 — the recipe of ../shared/BENCHMARKS.md.
 */
import {
  Adam,
  DataLoader,
  TensorDataset,
  backendChoice,
  buildModel,
  loadFashionMnist,
  pixelsToFloat,
  presetSpec,
  softmaxCrossEntropy,
  type Batch,
  type SpecModel,
} from '../src/index.js';

export const BATCH = 64;

export function referenceModel(seed = 0): SpecModel {
  return buildModel(presetSpec('cnn-small', { outputs: 10 }), { seed });
}

/** Which backend Kiln runs on and why (e.g. "native (AVX-512, 2 threads) is the fastest available backend"). */
export function backendInfo(): { name: string; reason: string } {
  const choice = backendChoice();
  return { name: choice.backend.name, reason: choice.reason };
}

/**
 * Fails unless Kiln runs on `expected` (default: the native backend), so a silent fallback to the js
 * backend is never reported as native. Select js with KILN_BACKEND=js.
 */
export function requireBackend(expected = process.env.KILN_BACKEND || 'native'): { name: string; reason: string } {
  const info = backendInfo();
  if (info.name !== expected) throw new Error(`Kiln runs on the ${info.name} backend, not ${expected}: ${info.reason}`);
  return info;
}

export interface Trainer {
  model: SpecModel;
  /** Samples in the training split. */
  samples: number;
  /** One optimizer step on the next shuffled batch; returns the loss tensor (read it only when needed). */
  step(): { item(): number };
}

/** The training setup: model, Adam, a shuffling loader over the uint8 training images that never runs dry. */
export function makeTrainer(dir: string, seed = 0): Trainer {
  const train = loadFashionMnist({ split: 'train', dir, scale: false });
  const model = referenceModel(seed);
  model.train();
  const optimizer = new Adam(model.parameters(), { lr: 1e-3 });
  const loader = new DataLoader(new TensorDataset(train.images, train.labels), {
    batchSize: BATCH,
    shuffle: true,
    dropLast: true,
    seed,
    transform: (images) => pixelsToFloat(images),
  });
  let iterator: Iterator<Batch> = loader[Symbol.iterator]();
  const next = (): Batch => {
    let item = iterator.next();
    if (item.done === true) {
      iterator = loader[Symbol.iterator]();
      item = iterator.next();
    }
    return item.value as Batch;
  };
  return {
    model,
    samples: train.labels.shape[0]!,
    step() {
      const { inputs, targets } = next();
      const loss = softmaxCrossEntropy(model.forward(inputs), targets);
      optimizer.zeroGrad();
      loss.backward();
      optimizer.step();
      return loss;
    },
  };
}
