/**
 * Training checkpoints: everything needed to continue a run exactly where it stopped — model weights,
 * optimizer state, epoch and step, the data loader's position, the default generator's state (dropout),
 * the history and the callbacks' state — in one safetensors file (tensors as tensors, the rest as JSON
 * metadata). Written atomically.
 */
import type { FloatArray } from '../backend/backend.js';
import type { DataLoaderState } from '../data/data-loader.js';
import { ModelFormatError } from '../errors.js';
import { loadSafetensors, saveSafetensors } from '../io/safetensors.js';
import type { StateDict } from '../nn/module.js';
import type { HyperparameterValue, OptimizerStateDict } from '../optim/optimizer.js';
import type { GeneratorState } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import type { CallbackState, History } from './callbacks/callback.js';

/** The state of a training run at the end of an epoch. */
export interface TrainingCheckpoint {
  model: StateDict;
  optimizer: OptimizerStateDict;
  /** Epochs completed. */
  epoch: number;
  /** Optimizer steps taken. */
  step: number;
  loader: DataLoaderState;
  /** State of the default generator (dropout and other draws without an explicit generator). */
  rng: GeneratorState;
  history: History;
  callbacks: Record<string, CallbackState>;
}

const FORMAT = 'kiln-checkpoint';
const VERSION = 1;

interface CheckpointMetadata {
  format: typeof FORMAT;
  version: number;
  epoch: number;
  step: number;
  loader: DataLoaderState;
  rng: GeneratorState;
  history: History;
  optimizer: {
    paramGroups: { params: number[]; hyperparameters: Record<string, HyperparameterValue> }[];
    state: ({ step: number; buffers: string[] } | null)[];
  };
  callbacks: Record<string, { values: Record<string, unknown>; tensors: string[] }>;
}

/** Writes a checkpoint atomically. */
export async function saveCheckpoint(path: string, checkpoint: TrainingCheckpoint): Promise<void> {
  const tensors: Record<string, Tensor> = {};
  for (const [name, t] of Object.entries(checkpoint.model)) tensors[`model/${name}`] = t;
  const optimizerState = checkpoint.optimizer.state.map((entry, i) => {
    if (entry === null) return null;
    for (const [buffer, data] of Object.entries(entry.buffers)) tensors[`optimizer/${i}/${buffer}`] = new Tensor(data, [data.length]);
    return { step: entry.step, buffers: Object.keys(entry.buffers) };
  });
  const callbacks: CheckpointMetadata['callbacks'] = {};
  for (const [key, state] of Object.entries(checkpoint.callbacks)) {
    for (const [name, t] of Object.entries(state.tensors ?? {})) tensors[`callbacks/${key}/${name}`] = t;
    callbacks[key] = { values: state.values, tensors: Object.keys(state.tensors ?? {}) };
  }
  const metadata: CheckpointMetadata = {
    format: FORMAT,
    version: VERSION,
    epoch: checkpoint.epoch,
    step: checkpoint.step,
    loader: checkpoint.loader,
    rng: checkpoint.rng,
    history: checkpoint.history,
    optimizer: { paramGroups: checkpoint.optimizer.paramGroups, state: optimizerState },
    callbacks,
  };
  await saveSafetensors(path, { tensors, metadata: { kiln: JSON.stringify(metadata) } });
}

/** Reads a checkpoint written by {@link saveCheckpoint}, with a clear error for anything else. */
export async function loadCheckpoint(path: string): Promise<TrainingCheckpoint> {
  const { tensors, metadata } = await loadSafetensors(path, `checkpoint ${path}`);
  let meta: CheckpointMetadata;
  try {
    meta = JSON.parse(metadata.kiln ?? 'null') as CheckpointMetadata;
  } catch {
    throw new ModelFormatError(`checkpoint ${path}: its Kiln metadata is not valid JSON`);
  }
  if (meta === null || meta.format !== FORMAT) {
    throw new ModelFormatError(`checkpoint ${path}: not a Kiln training checkpoint (a model file? use loadModel for those)`);
  }
  if (meta.version !== VERSION) {
    throw new ModelFormatError(`checkpoint ${path}: format version ${meta.version} is not supported (this Kiln reads version ${VERSION})`);
  }
  const take = (name: string): Tensor => {
    const t = tensors[name];
    if (t === undefined) throw new ModelFormatError(`checkpoint ${path}: tensor '${name}' named in the metadata is missing`);
    return t;
  };
  const model: StateDict = {};
  for (const [name, t] of Object.entries(tensors)) if (name.startsWith('model/')) model[name.slice('model/'.length)] = t;
  const optimizer: OptimizerStateDict = {
    paramGroups: meta.optimizer.paramGroups,
    state: meta.optimizer.state.map((entry, i) =>
      entry === null
        ? null
        : { step: entry.step, buffers: Object.fromEntries(entry.buffers.map((b) => [b, take(`optimizer/${i}/${b}`).data as FloatArray])) },
    ),
  };
  const callbacks: Record<string, CallbackState> = {};
  for (const [key, state] of Object.entries(meta.callbacks)) {
    callbacks[key] = { values: state.values, tensors: Object.fromEntries(state.tensors.map((n) => [n, take(`callbacks/${key}/${n}`)])) };
  }
  return { model, optimizer, epoch: meta.epoch, step: meta.step, loader: meta.loader, rng: meta.rng, history: meta.history, callbacks };
}
