/**
 * Inference from a model file: load once, then predict on images, records or tensors with the
 * preprocessing, labels and output interpretation the file carries.
 */
import { noGrad } from '../autograd/grad-mode.js';
import { ArgumentError, ShapeError } from '../errors.js';
import { loadModelFile, type InputSpec, type LoadedModel, type ModelMetadata } from '../io/model-file.js';
import type { Sequential } from '../nn/layers/containers.js';
import type { QuantizedModel } from '../nn/quantized/quantized-model.js';
import { SpecModel } from '../nn/spec.js';
import { formatShape, sameShape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { InputDecoder, type PredictInput } from './inputs.js';
import { withSparseLinear, type SparseLayerReport } from './sparse-layers.js';

/** A class and its probability. */
export interface ClassProbability {
  label: string;
  probability: number;
}

/** The prediction of a classification model for one sample. */
export interface ClassPrediction {
  /** The most probable class (the first of them on a tie). */
  label: string;
  classIndex: number;
  /** Every class's probability, by label; they sum to 1 (unless a multi-class model ends in sigmoid). */
  probabilities: Record<string, number>;
  /** The most probable classes, most probable first. */
  topK: ClassProbability[];
}

/** The prediction of a regression model for one sample: a number, or the flattened outputs when there are several. */
export interface RegressionPrediction {
  value: number | number[];
}

/** One sample's prediction; `'label' in p` tells a classification from a regression. */
export type Prediction = ClassPrediction | RegressionPrediction;

/** Options of {@link Predictor.predict}. */
export interface PredictOptions {
  /** How many classes `topK` lists; default min(5, classes). Larger values list every class. */
  topK?: number;
}

/** How a classifier's raw outputs become probabilities, from its last layer. */
type OutputKind = 'logits' | 'probabilities' | 'logProbabilities';

/**
 * A loaded model ready to predict. Every call decodes its inputs with the saved preprocessing, stacks them
 * into one batch and runs one forward pass in evaluation mode without recording gradients. Linear layers
 * with enough zeros (a pruned model) run on the sparse-weight kernel, from copies of their weights packed
 * once: see {@link Predictor.sparseLayers}.
 */
export class Predictor {
  /** Everything the model file says besides the weights. */
  readonly metadata: ModelMetadata;
  /**
   * The model, rebuilt from the file's architecture with its weights (or from its integer stages, for a
   * quantized file). The Predictor treats its weights as frozen: the layers in {@link Predictor.sparseLayers}
   * run on copies made when it was built, so weights changed later need a new Predictor.
   */
  readonly model: SpecModel | QuantizedModel;
  /** What the model takes: images, records or tensors. */
  readonly inputKind: InputSpec['kind'];
  /** The Linear layers that run on the sparse-weight kernel, in order; empty when none has enough zeros. */
  readonly sparseLayers: readonly SparseLayerReport[];
  private readonly decoder: InputDecoder;
  private readonly outputKind: OutputKind;
  /** What predictTensor runs: the model, or a Sequential over its layers with the sparse ones replaced. */
  private readonly runner: Sequential | QuantizedModel;

  /** Wraps a model loaded by `loadModelFile` (use {@link loadModel} to load and wrap in one step). */
  constructor(loaded: LoadedModel) {
    this.metadata = loaded.metadata;
    this.model = loaded.model;
    const sparse = this.model instanceof SpecModel ? withSparseLinear(this.model) : { runner: this.model, sparseLayers: [] };
    this.runner = sparse.runner;
    this.sparseLayers = sparse.sparseLayers;
    this.inputKind = loaded.metadata.input.kind;
    this.decoder = new InputDecoder(loaded.metadata.input, this.model.spec.input, this.model.inputDType());
    const last = this.model.spec.layers.at(-1)?.type;
    this.outputKind = last === 'softmax' || last === 'sigmoid' ? 'probabilities' : last === 'logSoftmax' ? 'logProbabilities' : 'logits';
  }

  /** The class names by index (the indices as text when the file has none); null for regression. */
  get labels(): readonly string[] | null {
    if (this.metadata.task !== 'classification') return null;
    const outputs = this.model.outputShape[0]!;
    return this.metadata.labels ?? Array.from({ length: outputs === 1 ? 2 : outputs }, (_, i) => String(i));
  }

  /**
   * Predicts on one input or a list of them (see {@link PredictInput}); one prediction per sample, in
   * order. A plain number array is one input (a sample, or a batch along a leading dimension).
   * @throws ShapeError, DTypeError or DataError naming the index of the input at fault;
   *   ArgumentError for a bad topK
   */
  async predict(inputs: PredictInput | readonly PredictInput[], options: PredictOptions = {}): Promise<Prediction[]> {
    if (options.topK !== undefined && !(Number.isInteger(options.topK) && options.topK >= 1)) {
      throw new ArgumentError(`Predictor.predict: topK must be a whole number ≥ 1, got ${options.topK}`);
    }
    const list = toInputList(inputs);
    const labels = this.labels;
    const topK = labels === null ? 0 : Math.min(options.topK ?? 5, labels.length);
    if (list.length === 0) return [];
    const output = this.predictTensor(await this.decoder.decode(list));
    const rows = output.shape[0]!;
    const width = rows === 0 ? 0 : output.size / rows;
    const values = output.contiguousData();
    const predictions: Prediction[] = [];
    for (let row = 0; row < rows; row++) {
      const outputs = Array.from(values.subarray(row * width, (row + 1) * width));
      predictions.push(labels === null ? { value: outputs.length === 1 ? outputs[0]! : outputs } : this.classify(outputs, labels, topK));
    }
    return predictions;
  }

  /**
   * The model's raw outputs for a batch `[N, ...input]` as the model takes it (no preprocessing), in
   * evaluation mode without gradients. Servers and benchmarks call this directly.
   * @throws ShapeError for a batch of another shape
   */
  predictTensor(x: Tensor): Tensor {
    const sample = this.model.spec.input;
    if (x.ndim !== sample.length + 1 || !sameShape(x.shape.slice(1), sample)) {
      throw new ShapeError(`Predictor.predictTensor: expected a batch of shape [N,${sample.join(',')}], got ${formatShape(x.shape)}`);
    }
    this.model.eval();
    return noGrad(() => this.runner.forward(x));
  }

  private classify(outputs: number[], labels: readonly string[], topK: number): ClassPrediction {
    const probabilities = outputs.length === 1 ? this.binary(outputs[0]!) : this.distribution(outputs);
    let best = 0;
    for (let i = 1; i < probabilities.length; i++) if (probabilities[i]! > probabilities[best]!) best = i;
    const ranked = probabilities.map((probability, i) => ({ i, probability })).sort((a, b) => b.probability - a.probability || a.i - b.i);
    return {
      label: labels[best]!,
      classIndex: best,
      // fromEntries defines own properties, so a label such as "__proto__" stays a label.
      probabilities: Object.fromEntries(labels.map((label, i) => [label, probabilities[i]!])),
      topK: ranked.slice(0, topK).map(({ i, probability }) => ({ label: labels[i]!, probability })),
    };
  }

  /** [P(negative), P(positive)] of a single-logit binary model. */
  private binary(output: number): number[] {
    const positive = this.outputKind === 'probabilities' ? output : this.outputKind === 'logProbabilities' ? Math.exp(output) : 1 / (1 + Math.exp(-output));
    return [1 - positive, positive];
  }

  /** Class probabilities from the outputs, in float64: softmax of logits (shifted by the maximum, so it cannot overflow). */
  private distribution(outputs: number[]): number[] {
    if (this.outputKind === 'probabilities') return outputs;
    if (this.outputKind === 'logProbabilities') return outputs.map(Math.exp);
    const max = outputs.reduce((a, b) => Math.max(a, b), -Infinity);
    const exps = outputs.map((z) => Math.exp(z - max));
    const total = exps.reduce((a, b) => a + b, 0);
    return exps.map((e) => e / total);
  }
}

/** A number array (possibly nested) is one input; any other array is a list of inputs. */
function toInputList(inputs: PredictInput | readonly PredictInput[]): readonly PredictInput[] {
  if (!Array.isArray(inputs)) return [inputs as PredictInput];
  if (inputs.length > 0 && inputs.every((item) => typeof item === 'number' || Array.isArray(item))) return [inputs as PredictInput];
  return inputs;
}

/**
 * Loads a model file (see `loadModelFile`) and returns a {@link Predictor} for it.
 * @throws ModelFormatError for a file that is missing, corrupt or not a Kiln model
 */
export async function loadModel(path: string): Promise<Predictor> {
  return new Predictor(await loadModelFile(path));
}
