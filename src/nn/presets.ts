import { ArgumentError } from '../errors.js';
import type { LayerSpec, ModelSpec } from './spec.js';

/** Names of the built-in model presets. */
export const PRESETS = ['mlp', 'cnn-small'] as const;

/** A built-in model preset. */
export type PresetName = (typeof PRESETS)[number];

/** Options of {@link presetSpec}. */
export interface PresetOptions {
  /** Shape of one input sample (cnn-small defaults to [1, 28, 28]). */
  input?: number[];
  /** Number of output classes (or regression outputs). */
  outputs: number;
  /** Hidden layer widths of the mlp preset (default [128, 64]). */
  hidden?: number[];
  /** Dropout after each hidden layer of the mlp preset (default 0: none). */
  dropout?: number;
}

/**
 * The spec of a built-in model:
 * - `cnn-small`: the reference CNN — Conv(32, 3×3)+ReLU, MaxPool 2, Conv(64, 3×3)+ReLU, MaxPool 2,
 *   Flatten, Linear(128)+ReLU, Linear(outputs);
 * - `mlp`: Linear+ReLU per hidden width (optional dropout), then Linear(outputs); the input is flattened.
 */
export function presetSpec(name: string, options: PresetOptions): ModelSpec {
  switch (name as PresetName) {
    case 'cnn-small':
      return {
        input: options.input ?? [1, 28, 28],
        layers: [
          { type: 'conv2d', out: 32, kernel: 3 },
          { type: 'relu' },
          { type: 'maxPool2d', kernel: 2 },
          { type: 'conv2d', out: 64, kernel: 3 },
          { type: 'relu' },
          { type: 'maxPool2d', kernel: 2 },
          { type: 'flatten' },
          { type: 'linear', out: 128 },
          { type: 'relu' },
          { type: 'linear', out: options.outputs },
        ],
      };
    case 'mlp': {
      if (options.input === undefined) throw new ArgumentError('mlp preset: give the input shape, e.g. { input: [13] }');
      const hidden: LayerSpec[] = (options.hidden ?? [128, 64]).flatMap((width): LayerSpec[] => [
        { type: 'linear', out: width },
        { type: 'relu' },
        ...(options.dropout ? [{ type: 'dropout', p: options.dropout } as const] : []),
      ]);
      return {
        input: options.input,
        layers: [...(options.input.length > 1 ? [{ type: 'flatten' } as const] : []), ...hidden, { type: 'linear', out: options.outputs }],
      };
    }
    default:
      throw new ArgumentError(`unknown model preset "${name}"; available: ${PRESETS.join(', ')}`);
  }
}
