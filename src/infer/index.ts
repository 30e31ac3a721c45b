/** Inference: load a model file and predict on images, records or tensors. */
export {
  Predictor, loadModel,
  type Prediction, type ClassPrediction, type RegressionPrediction, type ClassProbability, type PredictOptions,
} from './predictor.js';
export { InputDecoder, type PredictInput } from './inputs.js';
export type { SparseLayerReport } from './sparse-layers.js';
