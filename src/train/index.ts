/** The training loop, evaluation, metrics, callbacks and checkpoints. */
export { fit, type FitOptions } from './fit.js';
export { evaluate, type EvaluateOptions } from './evaluate.js';
export {
  accuracy, topKAccuracy, precision, recall, f1, mae, rmse, r2, metricFromName, predictedClasses,
  ConfusionMatrix, METRIC_NAMES, type Metric, type Average,
} from './metrics.js';
export {
  resolveMode,
  type Callback, type CallbackState, type TrainingContext, type EpochLogs, type EpochRecord, type History,
  type BatchLogs, type MonitorMode,
} from './callbacks/callback.js';
export { EarlyStopping, type EarlyStoppingOptions } from './callbacks/early-stopping.js';
export { ModelCheckpoint, type ModelCheckpointOptions } from './callbacks/model-checkpoint.js';
export { LRSchedulerCallback, type LRSchedulerCallbackOptions, type Schedule } from './callbacks/lr-scheduler-callback.js';
export { MetricsLogger, type LogFormat } from './callbacks/metrics-logger.js';
export { ProgressLogger, type ProgressStream } from './callbacks/progress.js';
export { saveCheckpoint, loadCheckpoint, type TrainingCheckpoint } from './checkpoint.js';
