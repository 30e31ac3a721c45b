/**
 * What a model server tells about its model (`GET /v1/model`, the startup line): the file's identity and
 * everything its metadata says, with the shapes and parameter count of the model built from it.
 */
import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import type { Predictor } from '../infer/predictor.js';
import type { InputSpec, ModelTask, Provenance } from '../io/model-file.js';
import type { QuantizationInfo } from '../nn/quantized/quantized-model.js';
import type { ModelSpec } from '../nn/spec.js';
import type { DType } from '../tensor/dtype.js';

/** The served model, as `GET /v1/model` returns it. */
export interface ModelInfo {
  /** The file's name (without its folder). */
  name: string;
  /** sha256 of the file (hex): which exact model answers. */
  sha256: string;
  /** The file's size in bytes. */
  bytes: number;
  task: ModelTask;
  /** Class names by index (indices as text when the file has none); null for regression. */
  labels: string[] | null;
  /** How raw inputs become the model's input (the file's input spec, with fitted statistics). */
  input: InputSpec;
  /** One sample's shape as the model takes it. */
  inputShape: number[];
  inputDType: DType;
  /** One sample's output shape. */
  outputShape: number[];
  parameterCount: number;
  architecture: ModelSpec;
  metrics: Record<string, number>;
  provenance: Provenance;
  /** How the model was quantized (mode, method, calibration samples); null for a float model. */
  quantization: QuantizationInfo | null;
}

/** The info of a model loaded from the file at `path` with contents `bytes`. */
export function modelInfo(predictor: Predictor, path: string, bytes: Uint8Array): ModelInfo {
  const { metadata, model } = predictor;
  return {
    name: basename(path),
    sha256: createHash('sha256').update(bytes).digest('hex'),
    bytes: bytes.byteLength,
    task: metadata.task,
    labels: predictor.labels && [...predictor.labels],
    input: metadata.input,
    inputShape: [...model.spec.input],
    inputDType: model.inputDType(),
    outputShape: [...model.outputShape],
    parameterCount: model.parameterCount(),
    architecture: metadata.architecture,
    metrics: metadata.metrics,
    provenance: metadata.provenance,
    quantization: metadata.quantization && {
      mode: metadata.quantization.mode, method: metadata.quantization.method, calibrationSamples: metadata.quantization.calibrationSamples,
    },
  };
}

/** One line about the model: `shoes.kiln: classification of 1×28×28 images into 2 classes, 1,234 parameters`. */
export function describeModel(info: ModelInfo): string {
  const shape = info.inputShape.join('×');
  const input =
    info.input.kind === 'image'
      ? `${shape} images`
      : info.input.kind === 'tabular'
        ? `records of ${info.input.pipeline.inputs.length} fields`
        : `${info.inputDType} tensors ${shape}`;
  const task = info.labels ? `classification of ${input} into ${info.labels.length} classes` : `regression on ${input}`;
  return `${info.name}: ${task}, ${info.parameterCount.toLocaleString('en-US')} parameters`;
}
