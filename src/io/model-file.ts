/**
 * The Kiln model file (`.kiln`): one safetensors file that holds everything inference needs. The weights
 * are stored under their state-dict names (`0.weight`, `3.bias`, …), so any safetensors reader (Python's
 * included) can read them; Kiln's metadata is one JSON string under `__metadata__.kiln` (safetensors
 * metadata values must be strings): the architecture spec, the task and class labels, the input
 * preprocessing with its fitted statistics, metrics and provenance.
 *
 * Optionally (`sparse: true` when saving), float32 weights with many zeros are stored as a bitmask plus
 * their nonzero values and listed in the metadata's `sparse` field (see `sparse-weights.ts`); files
 * without that field are the plain version-1 layout.
 *
 * A model quantized to 8-bit integers (see `nn/quantized/`) stores its stages in the metadata's
 * `quantization` field and its tensors (int8 weights, float32 scales, int32 biases) as `stages.<i>.<name>`;
 * `architecture` is still the float model it was made from. Unquantized files have `quantization: null`.
 *
 * Loading trusts nothing in the file: it never executes anything from it, bounds every size before
 * allocating, validates every metadata field, and refuses anything wrong with a {@link ModelFormatError}.
 */
import { open, readFile, type FileHandle } from 'node:fs/promises';
import type { ResizeFit } from '../data/preprocessing/image-resize.js';
import { ImageNormalizer } from '../data/preprocessing/image-normalizer.js';
import { Pipeline, type PipelineJSON } from '../data/preprocessing/pipeline.js';
import { ArgumentError, KilnError, ModelFormatError, ShapeError, SpecError } from '../errors.js';
import { buildQuantizedModel, QuantizedModel, type QuantizationMetadata } from '../nn/quantized/quantized-model.js';
import { buildModel, SpecModel, type ModelSpec } from '../nn/spec.js';
import { Generator } from '../tensor/random.js';
import { formatShape, sameShape, sizeOf } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { KILN_VERSION } from '../version.js';
import { writeFileAtomic } from './atomic-write.js';
import { decodeSafetensors, encodeSafetensors, MAX_HEADER_BYTES } from './safetensors.js';
import { decodeSparse, denseValueCount, encodeSparse } from './sparse-weights.js';

/** The `format` field of a model file's metadata (a training checkpoint says `kiln-checkpoint`). */
export const MODEL_FORMAT = 'kiln-model';

/** The version of the metadata layout this Kiln writes and reads. */
export const MODEL_FORMAT_VERSION = 1;

/**
 * The most values one input sample may have (2^24: a 3×2048×2048 image fits). The architecture is built by
 * running one sample through it, so a corrupt input shape must not reach the allocator.
 */
export const MAX_SAMPLE_ELEMENTS = 2 ** 24;

/** What a model predicts: class probabilities, or numbers. */
export type ModelTask = 'classification' | 'regression';

/** The JSON of a fitted {@link ImageNormalizer}. */
export type ImageNormalizerJSON = ReturnType<ImageNormalizer['toJSON']>;

/**
 * Images: decoded and resized to `size` ([height, width]) with `channels` by `fit` (see `ImageResize`),
 * scaled to float pixels in [0, 1], then normalized per channel when `normalize` is given. The model's
 * input is `[channels, height, width]`.
 */
export interface ImageInputSpec {
  kind: 'image';
  channels: 1 | 3;
  size: [number, number];
  fit: ResizeFit;
  normalize?: ImageNormalizerJSON;
}

/** Records `{ field: value }` turned into features by a fitted `Pipeline`; the model's input is `[features]`. */
export interface TabularInputSpec {
  kind: 'tabular';
  pipeline: PipelineJSON;
}

/** Raw tensors; `shape` is one sample's, without the batch dimension. */
export interface TensorInputSpec {
  kind: 'tensor';
  shape: number[];
}

/** How raw inputs become the model's input tensor. */
export type InputSpec = ImageInputSpec | TabularInputSpec | TensorInputSpec;

/** Where a model came from. Fields besides the named ones are free-form JSON. */
export interface Provenance {
  /** The Kiln version that wrote the file. */
  kiln: string;
  /** When the file was written, as an ISO 8601 date. */
  created: string;
  /** The training seed, if any. */
  seed: number | null;
  /** sha256 (hex) of the training data, computed by the trainer. */
  dataHash: string | null;
  /** Epochs trained. */
  epochs?: number;
  [key: string]: unknown;
}

/** The metadata of a model file, as stored in `__metadata__.kiln`. */
export interface ModelMetadata {
  format: typeof MODEL_FORMAT;
  version: typeof MODEL_FORMAT_VERSION;
  architecture: ModelSpec;
  task: ModelTask;
  /**
   * Class names by class index, for classification (a single-logit binary model has two: `[negative,
   * positive]`); null for regression, or for classes known only by index.
   */
  labels: string[] | null;
  input: InputSpec;
  metrics: Record<string, number>;
  provenance: Provenance;
  /** How the model was quantized and its integer stages; null for a float model. */
  quantization: QuantizationMetadata | null;
  /**
   * Weights stored in the sparse encoding (a bitmask `<name>.__mask` and the values `<name>.__values`, see
   * `sparse-weights.ts`), by state-dict name; absent when every weight is stored dense. Optional, so
   * dense version-1 files are unchanged.
   */
  sparse?: string[];
}

/** What {@link saveModel} writes: the model and what inference needs besides its weights. */
export interface ModelFileContent {
  /** A float model built from a spec, or a model quantized from one. */
  model: SpecModel | QuantizedModel;
  task: ModelTask;
  labels: readonly string[] | null;
  input: InputSpec;
  metrics?: Record<string, number>;
  /** `kiln` and `created` are filled in when absent; `seed` and `dataHash` default to null. */
  provenance?: Partial<Provenance>;
  /**
   * Store each float32 weight whose zeros make it smaller as a bitmask plus its nonzero values (default
   * false): a pruned model's file shrinks with its sparsity. Other safetensors readers then see the two
   * parts rather than the weight.
   */
  sparse?: boolean;
}

/**
 * A model read from a file: rebuilt from its architecture, weights loaded, in evaluation mode — or, for a
 * quantized file, the integer model rebuilt from its stages.
 */
export interface LoadedModel {
  model: SpecModel | QuantizedModel;
  metadata: ModelMetadata;
}

type Fail = (problem: string) => never;

/**
 * Serializes a model to the bytes of a model file (the chunks, in order). The metadata is checked exactly
 * as loading checks it, so a file that could not be loaded back is never written.
 * @throws ArgumentError for a model that is not a SpecModel or content that does not fit it
 */
export function encodeModelFile(content: ModelFileContent): Uint8Array[] {
  const fail: Fail = (problem) => {
    throw new ArgumentError(`saveModel: ${problem}`);
  };
  const { model } = content;
  if (!(model instanceof SpecModel) && !(model instanceof QuantizedModel)) {
    const found = typeof model === 'object' && model !== null ? (Object.getPrototypeOf(model)?.constructor?.name ?? 'an object') : typeof model;
    fail(`the model must be a SpecModel (built with buildModel from a spec, which the file stores so loading needs no code) or a QuantizedModel made from one; got ${found}`);
  }
  const quantized = model instanceof QuantizedModel;
  if (quantized && content.sparse) fail('sparse storage applies to float weights; a quantized model stores int8 weights');
  // Undefined entries are dropped so they neither override the defaults nor vanish silently from JSON.
  const given = Object.fromEntries(Object.entries(content.provenance ?? {}).filter(([, v]) => v !== undefined));
  const draft: ModelMetadata = {
    format: MODEL_FORMAT,
    version: MODEL_FORMAT_VERSION,
    architecture: model.spec,
    task: content.task,
    labels: content.labels && [...content.labels],
    input: content.input,
    metrics: { ...content.metrics },
    provenance: { kiln: KILN_VERSION, created: new Date().toISOString(), seed: null, dataHash: null, ...given },
    quantization: quantized ? model.metadata() : null,
  };
  const stored = quantized
    ? { tensors: model.tensors(), sparse: [] }
    : content.sparse ? encodeSparse(model.stateDict()) : { tensors: model.stateDict(), sparse: [] };
  if (stored.sparse.length) draft.sparse = stored.sparse;
  const metadata = validateMetadata(draft, fail);
  checkOutputs(metadata, model.outputShape, fail);
  return encodeSafetensors({ tensors: stored.tensors, metadata: { kiln: JSON.stringify(metadata) } });
}

/**
 * Saves a model file atomically (readers see the old file or the complete new one).
 * @throws ArgumentError for a model that is not a SpecModel or content that does not fit it
 */
export async function saveModel(path: string, content: ModelFileContent): Promise<void> {
  await writeFileAtomic(path, encodeModelFile(content));
}

/**
 * Reads a model file: validates it, rebuilds the model from its architecture, loads the weights (every
 * parameter and buffer must be present with its shape and dtype, nothing extra) and sets evaluation mode.
 * @throws ModelFormatError naming the file and the problem
 */
export async function loadModelFile(path: string): Promise<LoadedModel> {
  const what = `model ${path}`;
  let buffer: Buffer;
  try {
    buffer = await readFile(path);
  } catch (error) {
    throw new ModelFormatError(`${what}: cannot read the file (${(error as Error).message})`);
  }
  return decodeModelFile(new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength), what);
}

/** A float model read from a file. */
export interface LoadedFloatModel extends LoadedModel {
  model: SpecModel;
}

/**
 * {@link loadModelFile} for work that needs the float model (training, pruning, distillation, quantizing).
 * @param purpose what the model is loaded for, named in the error for a quantized file
 * @throws ModelFormatError for a bad file, or a quantized one
 */
export async function loadFloatModelFile(path: string, purpose: string): Promise<LoadedFloatModel> {
  const loaded = await loadModelFile(path);
  if (loaded.model instanceof QuantizedModel) {
    throw new ModelFormatError(`model ${path}: it is quantized to int8, and ${purpose} needs the float model; use the .kiln file it was quantized from`);
  }
  return loaded as LoadedFloatModel;
}

/**
 * {@link loadModelFile} for bytes already in memory; `what` names them in errors.
 * @throws ModelFormatError naming the problem
 */
export function decodeModelFile(bytes: Uint8Array, what = 'model file'): LoadedModel {
  const fail: Fail = (problem) => {
    throw new ModelFormatError(`${what}: ${problem}`);
  };
  const { tensors, metadata: strings } = decodeSafetensors(bytes, what);
  const metadata = parseKilnMetadata(strings, fail);
  if (metadata.quantization !== null) {
    const budget = new BudgetedGenerator(2 * denseValueCount(tensors) + 1_000_000);
    const quantized = buildQuantizedModel(metadata.architecture, metadata.quantization, tensors, fail, budget);
    checkOutputs(metadata, quantized.outputShape, fail);
    return { model: quantized, metadata };
  }
  const model = buildArchitecture(metadata.architecture, denseValueCount(tensors), fail);
  checkOutputs(metadata, model.outputShape, fail);
  loadWeights(model, decodeSparse(tensors, metadata.sparse ?? [], model.stateDict(), fail), fail);
  model.eval();
  return { model, metadata };
}

/**
 * The metadata of a model file without building the model or reading the weights (for `kiln info`): only
 * the header is read. The weights and the fit of the labels to the outputs are checked by loadModelFile.
 * @throws ModelFormatError naming the file and the problem
 */
export async function readModelMetadata(path: string): Promise<ModelMetadata> {
  const what = `model ${path}`;
  const fail: Fail = (problem) => {
    throw new ModelFormatError(`${what}: ${problem}`);
  };
  const header = await readHeader(path, fail);
  const strings = header['__metadata__'];
  if (typeof strings !== 'object' || strings === null || Array.isArray(strings)) {
    fail('not a Kiln model: the safetensors header has no __metadata__ object');
  }
  return parseKilnMetadata(strings as Record<string, unknown>, fail);
}

/** The parsed JSON header of a safetensors file, with the same bounds as decodeSafetensors. */
async function readHeader(path: string, fail: Fail): Promise<Record<string, unknown>> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    return fail(`cannot read the file (${(error as Error).message})`);
  }
  try {
    const { size } = await handle.stat();
    const prefix = new Uint8Array(8);
    if (size < 8 || (await handle.read(prefix, 0, 8, 0)).bytesRead !== 8) {
      fail(`file is ${size} bytes, too short for the 8-byte header length; it is truncated or not a model file`);
    }
    const length = Number(new DataView(prefix.buffer).getBigUint64(0, true));
    if (length > MAX_HEADER_BYTES) fail(`header length ${length} exceeds the ${MAX_HEADER_BYTES}-byte limit; the file is corrupt or not a model file`);
    if (8 + length > size) fail(`header of ${length} bytes runs past the end of the ${size}-byte file; the file is truncated`);
    const bytes = new Uint8Array(length);
    if ((await handle.read(bytes, 0, length, 8)).bytesRead !== length) fail('the file changed while it was read');
    let header: unknown;
    try {
      header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
    } catch {
      fail('the header is not valid UTF-8 JSON; the file is corrupt or not a model file');
    }
    if (typeof header !== 'object' || header === null || Array.isArray(header)) fail('the header is not a JSON object');
    return header as Record<string, unknown>;
  } finally {
    await handle.close();
  }
}

function parseKilnMetadata(strings: Record<string, unknown>, fail: Fail): ModelMetadata {
  const text = Object.hasOwn(strings, 'kiln') ? strings['kiln'] : undefined;
  if (typeof text !== 'string') {
    fail('not a Kiln model: the safetensors metadata has no "kiln" entry (model files are written by saveModel or kiln train)');
  }
  let json: unknown;
  try {
    json = JSON.parse(text as string);
  } catch {
    fail('the "kiln" metadata is not valid JSON; the file is corrupt');
  }
  return validateMetadata(json, fail);
}

/** A short rendering of a value from the file for messages (the value may be huge). */
function preview(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function record(value: unknown, what: string, fail: Fail): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(`${what} must be a JSON object, found ${preview(value)}`);
  return value as Record<string, unknown>;
}

function isShape(value: unknown): value is number[] {
  return Array.isArray(value) && value.length > 0 && value.every((d) => Number.isSafeInteger(d) && d > 0);
}

const FITS: readonly ResizeFit[] = ['cover', 'contain', 'fill'];
const HEX_SHA256 = /^[0-9a-f]{64}$/;

/**
 * Checks the structure of the metadata and returns a copy holding only the known fields. The
 * architecture's layers are checked when the model is built.
 */
function validateMetadata(value: unknown, fail: Fail): ModelMetadata {
  const o = record(value, 'the Kiln metadata', fail);
  if (o['format'] !== MODEL_FORMAT) {
    if (o['format'] === 'kiln-checkpoint') fail('this is a training checkpoint, not a model file; resume training from it (loadCheckpoint), or save the model with saveModel');
    fail(`not a Kiln model: metadata "format" is ${preview(o['format'])}, expected "${MODEL_FORMAT}"`);
  }
  if (o['version'] !== MODEL_FORMAT_VERSION) {
    fail(`model format version ${preview(o['version'])} is not supported; Kiln ${KILN_VERSION} reads version ${MODEL_FORMAT_VERSION} (a newer Kiln wrote the file?)`);
  }
  const architecture = record(o['architecture'], 'architecture', fail);
  if (!isShape(architecture['input'])) fail(`architecture.input must be the shape of one sample, like [1, 28, 28]; found ${preview(architecture['input'])}`);
  const sampleShape = architecture['input'] as number[];
  if (sizeOf(sampleShape) > MAX_SAMPLE_ELEMENTS) {
    fail(`architecture.input ${formatShape(sampleShape)} has more than ${MAX_SAMPLE_ELEMENTS} values per sample`);
  }
  if (!Array.isArray(architecture['layers'])) fail(`architecture.layers must be a list of layers, found ${preview(architecture['layers'])}`);

  const task = o['task'];
  if (task !== 'classification' && task !== 'regression') fail(`task must be "classification" or "regression", found ${preview(task)}`);
  const labels = o['labels'];
  if (labels !== null) {
    if (!Array.isArray(labels) || labels.length === 0 || !labels.every((l) => typeof l === 'string')) {
      fail(`labels must be a list of class names or null, found ${preview(labels)}`);
    }
    if (new Set(labels as string[]).size !== (labels as string[]).length) fail('labels must not repeat a class name');
    if (task === 'regression') fail('labels must be null for a regression model');
  }

  const metrics = record(o['metrics'], 'metrics', fail);
  for (const [name, v] of Object.entries(metrics)) {
    if (typeof v !== 'number' || !Number.isFinite(v)) fail(`metrics.${name} must be a finite number, found ${preview(v)}`);
  }
  const provenance = validateProvenance(o['provenance'], fail);
  const quantization = o['quantization'];
  if (quantization !== null) {
    const q = record(quantization, 'quantization', fail);
    if (!Array.isArray(q['stages'])) fail(`quantization.stages must be a list of stages, found ${preview(q['stages'])}`);
    if (o['sparse'] !== undefined) fail('a quantized model cannot also list sparse weights');
  }
  const sparse = o['sparse'];
  if (sparse !== undefined) {
    if (!Array.isArray(sparse) || sparse.length === 0 || !sparse.every((name) => typeof name === 'string')) {
      fail(`sparse must be a non-empty list of weight names, found ${preview(sparse)}`);
    }
    if (new Set(sparse as string[]).size !== (sparse as string[]).length) fail('sparse must not repeat a weight name');
  }

  return {
    format: MODEL_FORMAT,
    version: MODEL_FORMAT_VERSION,
    architecture: architecture as unknown as ModelSpec,
    task: task as ModelTask,
    labels: labels === null ? null : [...(labels as string[])],
    input: validateInput(o['input'], sampleShape, fail),
    metrics: { ...(metrics as Record<string, number>) },
    provenance,
    // The stages are checked in depth when the model is built from them.
    quantization: quantization === null ? null : (structuredClone(quantization) as QuantizationMetadata),
    ...(sparse === undefined ? {} : { sparse: [...(sparse as string[])] }),
  };
}

function validateProvenance(value: unknown, fail: Fail): Provenance {
  const p = record(value, 'provenance', fail);
  if (typeof p['kiln'] !== 'string') fail(`provenance.kiln must be the Kiln version that wrote the file, found ${preview(p['kiln'])}`);
  if (typeof p['created'] !== 'string' || Number.isNaN(Date.parse(p['created']))) {
    fail(`provenance.created must be an ISO 8601 date, found ${preview(p['created'])}`);
  }
  const seed = p['seed'];
  if (seed !== null && (typeof seed !== 'number' || !Number.isFinite(seed))) fail(`provenance.seed must be a number or null, found ${preview(seed)}`);
  const hash = p['dataHash'];
  if (hash !== null && (typeof hash !== 'string' || !HEX_SHA256.test(hash))) {
    fail(`provenance.dataHash must be a sha256 as 64 lowercase hex digits, or null; found ${preview(hash)}`);
  }
  const epochs = p['epochs'];
  if (epochs !== undefined && !(Number.isSafeInteger(epochs) && (epochs as number) >= 0)) {
    fail(`provenance.epochs must be a whole number ≥ 0, found ${preview(epochs)}`);
  }
  return { ...p } as Provenance;
}

/** Checks the input spec and that it produces what the architecture takes. */
function validateInput(value: unknown, sampleShape: readonly number[], fail: Fail): InputSpec {
  const input = record(value, 'input', fail);
  const takes = (produced: readonly number[], what: string): void => {
    if (!sameShape(produced, sampleShape)) {
      fail(`input: ${what} gives samples of shape ${formatShape(produced)} but the architecture takes ${formatShape(sampleShape)}`);
    }
  };
  switch (input['kind']) {
    case 'image': {
      const { channels, size, fit, normalize } = input;
      if (channels !== 1 && channels !== 3) fail(`input.channels must be 1 or 3, found ${preview(channels)}`);
      if (!isShape(size) || size.length !== 2) fail(`input.size must be [height, width] in whole pixels, found ${preview(size)}`);
      if (!FITS.includes(fit as ResizeFit)) fail(`input.fit must be one of ${FITS.join(', ')}, found ${preview(fit)}`);
      const [height, width] = size as [number, number];
      takes([channels as number, height, width], `the image settings (${String(channels)} channel(s), ${height}×${width})`);
      const spec: ImageInputSpec = { kind: 'image', channels: channels as 1 | 3, size: [height, width], fit: fit as ResizeFit };
      if (normalize !== undefined) {
        const normalizer = fromJSON(() => ImageNormalizer.fromJSON(normalize), 'input.normalize', fail);
        if (normalizer.mean.length !== channels) fail(`input.normalize has statistics for ${normalizer.mean.length} channel(s), the images have ${String(channels)}`);
        spec.normalize = normalizer.toJSON();
      }
      return spec;
    }
    case 'tabular': {
      const pipeline = fromJSON(() => Pipeline.fromJSON(input['pipeline']), 'input.pipeline', fail);
      takes([pipeline.featureNames().length], 'the pipeline');
      return { kind: 'tabular', pipeline: pipeline.toJSON() };
    }
    case 'tensor': {
      if (!isShape(input['shape'])) fail(`input.shape must be the shape of one sample, found ${preview(input['shape'])}`);
      const shape = [...(input['shape'] as number[])];
      takes(shape, 'input.shape');
      return { kind: 'tensor', shape };
    }
    default:
      return fail(`input.kind must be "image", "tabular" or "tensor", found ${preview(input['kind'])}`);
  }
}

/** Runs a preprocessing step's fromJSON, reporting its complaint as a problem of the file. */
function fromJSON<T>(restore: () => T, what: string, fail: Fail): T {
  try {
    return restore();
  } catch (error) {
    if (error instanceof KilnError) return fail(`${what}: ${error.message}`);
    // Anything else from parsing untrusted JSON (a TypeError on an odd structure) is still a bad file.
    return fail(`${what} is malformed (${(error as Error).message})`);
  }
}

/** Checks the labels against the model's outputs: one per output, or two for a single-logit binary model. */
function checkOutputs(metadata: ModelMetadata, outputShape: readonly number[], fail: Fail): void {
  if (metadata.task !== 'classification') return;
  if (outputShape.length !== 1) fail(`a classification model must output one score per class, [classes]; this one outputs ${formatShape(outputShape)}`);
  const outputs = outputShape[0]!;
  const expected = outputs === 1 ? 2 : outputs;
  if (metadata.labels !== null && metadata.labels.length !== expected) {
    fail(
      `${metadata.labels.length} labels for a model with ${outputs} output(s); expected ${expected}` +
        (outputs === 1 ? ' (a single-logit binary model has two labels: [negative, positive])' : ''),
    );
  }
}

/** Thrown by {@link BudgetedGenerator} when initialization asks for more values than the file holds. */
class WeightBudgetExceeded extends Error {}

/**
 * A generator that refuses to initialize more than `budget` values. Every weight the architecture creates
 * must be in the file, so a spec that asks for far more does not match it; stopping at the first fill over
 * the budget keeps a corrupt `out: 1e8` from filling gigabytes (fresh zeroed arrays cost no memory until
 * written).
 */
class BudgetedGenerator extends Generator {
  private left: number;

  constructor(budget: number) {
    super(0);
    this.left = budget;
  }

  private spend(count: number): void {
    this.left -= count;
    if (this.left < 0) throw new WeightBudgetExceeded();
  }

  override fillNormal(out: { length: number; [i: number]: number }, mean?: number, std?: number): void {
    this.spend(out.length);
    super.fillNormal(out, mean, std);
  }

  override fillUniform(out: { length: number; [i: number]: number }, low?: number, high?: number): void {
    this.spend(out.length);
    super.fillUniform(out, low, high);
  }
}

/** Builds the architecture, refusing one that asks for far more weights than the `stored` values of the file. */
function buildArchitecture(spec: ModelSpec, stored: number, fail: Fail): SpecModel {
  // Slack so that a few missing weights are reported by name when the weights are loaded.
  const budget = 2 * stored + 1_000_000;
  try {
    return buildModel(spec, { generator: new BudgetedGenerator(budget) });
  } catch (error) {
    if (error instanceof WeightBudgetExceeded) {
      return fail(`the architecture describes far more weights than the ${stored} values stored in the file; the architecture and the weights do not match`);
    }
    if (error instanceof SpecError) return fail(`the architecture does not describe a buildable model: ${error.message}`);
    // The spec comes from the file; whatever else building it throws (an allocation too large) means a bad file.
    return fail(`the architecture cannot be built (${(error as Error).name}: ${(error as Error).message})`);
  }
}

function loadWeights(model: SpecModel, tensors: Record<string, Tensor>, fail: Fail): void {
  const own = model.stateDict();
  const wrongType = Object.entries(tensors)
    .filter(([name, t]) => Object.hasOwn(own, name) && own[name]!.dtype !== t.dtype)
    .map(([name, t]) => `'${name}' is ${t.dtype}, the model's is ${own[name]!.dtype}`);
  if (wrongType.length) fail(`the weights do not match the architecture: ${wrongType.join('; ')}`);
  try {
    model.loadStateDict(tensors, { strict: true });
  } catch (error) {
    if (error instanceof ShapeError) fail(`the weights do not match the architecture: ${error.message.replace(/^loadStateDict: the state does not fit this model — /, '')}`);
    throw error;
  }
}
