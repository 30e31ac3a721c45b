/**
 * Metrics accumulated over batches. Classification metrics take model outputs as scores [N, C] (the
 * predicted class is the argmax), binary logits [N] or [N, 1] (positive when > 0), or class indices
 * (integer [N]); targets are integer class indices [N]. Regression metrics compare outputs and targets
 * of the same number of elements.
 */
import { ArgumentError, ShapeError } from '../errors.js';
import { isFloat } from '../tensor/dtype.js';
import { formatShape } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';

/** A metric accumulated over batches: reset, update per batch, read the result. */
export interface Metric {
  /** Key in logs and history (`accuracy`, `f1`, `rmse`, …); validation values get a `val_` prefix. */
  readonly name: string;
  /** Whether larger is better (for early stopping and checkpoints in 'auto' mode). */
  readonly higherIsBetter: boolean;
  reset(): void;
  update(outputs: Tensor, targets: Tensor): void;
  result(): number;
}

/** Predicted class per sample from scores, binary logits or indices. */
export function predictedClasses(outputs: Tensor): Int32Array {
  const data = outputs.contiguousData();
  if (!isFloat(outputs.dtype)) return Int32Array.from(data);
  if (outputs.ndim === 1 || (outputs.ndim === 2 && outputs.shape[1] === 1)) return Int32Array.from(data, (v) => (v > 0 ? 1 : 0));
  if (outputs.ndim !== 2) throw new ShapeError(`metrics: expected scores [N, C], binary logits [N] or class indices [N], got ${formatShape(outputs.shape)}`);
  const [n, c] = outputs.shape as [number, number];
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let j = 1; j < c; j++) if (data[i * c + j]! > data[i * c + best]!) best = j;
    out[i] = best;
  }
  return out;
}

function targetClasses(targets: Tensor, n: number, what: string): Int32Array {
  if (isFloat(targets.dtype) && targets.ndim > 1) {
    throw new ShapeError(`${what}: targets must be class indices [N], got ${targets.dtype} ${formatShape(targets.shape)}`);
  }
  if (targets.size !== n) throw new ShapeError(`${what}: ${targets.size} targets for ${n} predictions`);
  return Int32Array.from(targets.contiguousData());
}

/**
 * Counts of (true class, predicted class) pairs; the source of accuracy, precision, recall and F1.
 * It grows as new classes appear.
 */
export class ConfusionMatrix {
  private counts: number[][] = [];

  /** Adds a batch. */
  update(outputs: Tensor, targets: Tensor): void {
    const predicted = predictedClasses(outputs);
    const actual = targetClasses(targets, predicted.length, 'ConfusionMatrix');
    let classes = Math.max(this.counts.length, outputs.ndim === 2 && outputs.shape[1]! > 1 ? outputs.shape[1]! : 0);
    for (let i = 0; i < predicted.length; i++) {
      if (actual[i]! < 0) throw new ArgumentError(`ConfusionMatrix: negative target ${actual[i]} at position ${i}`);
      classes = Math.max(classes, predicted[i]! + 1, actual[i]! + 1);
    }
    this.grow(classes);
    for (let i = 0; i < predicted.length; i++) this.counts[actual[i]!]![predicted[i]!]!++;
  }

  private grow(classes: number): void {
    for (const row of this.counts) while (row.length < classes) row.push(0);
    while (this.counts.length < classes) this.counts.push(new Array<number>(classes).fill(0));
  }

  reset(): void {
    this.counts = [];
  }

  /** matrix[trueClass][predictedClass] (a copy). */
  matrix(): number[][] {
    return this.counts.map((row) => [...row]);
  }

  /** Number of samples seen. */
  total(): number {
    return this.counts.reduce((n, row) => n + row.reduce((a, b) => a + b, 0), 0);
  }

  /** Fraction of samples on the diagonal. */
  accuracy(): number {
    const total = this.total();
    return total === 0 ? NaN : this.counts.reduce((n, row, i) => n + row[i]!, 0) / total;
  }

  /** Precision, recall, F1 and support per class (0 where undefined, as scikit-learn's zero_division=0). */
  perClass(): { precision: number; recall: number; f1: number; support: number }[] {
    return this.counts.map((row, c) => {
      const truePositive = row[c]!;
      const support = row.reduce((a, b) => a + b, 0);
      const predicted = this.counts.reduce((n, r) => n + r[c]!, 0);
      const precision = predicted === 0 ? 0 : truePositive / predicted;
      const recall = support === 0 ? 0 : truePositive / support;
      const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
      return { precision, recall, f1, support };
    });
  }
}

/** How per-class scores are combined. */
export type Average = 'macro' | 'weighted';

class ConfusionMetric implements Metric {
  readonly higherIsBetter = true;
  private readonly confusion = new ConfusionMatrix();

  constructor(
    readonly name: string,
    private readonly read: (m: ConfusionMatrix) => number,
  ) {}

  reset(): void {
    this.confusion.reset();
  }

  update(outputs: Tensor, targets: Tensor): void {
    this.confusion.update(outputs, targets);
  }

  result(): number {
    return this.read(this.confusion);
  }
}

function averaged(key: 'precision' | 'recall' | 'f1', average: Average): (m: ConfusionMatrix) => number {
  return (m) => {
    const rows = m.perClass().filter((r) => r.support > 0 || r[key] > 0);
    if (rows.length === 0) return NaN;
    if (average === 'macro') return rows.reduce((s, r) => s + r[key], 0) / rows.length;
    const support = rows.reduce((s, r) => s + r.support, 0);
    return rows.reduce((s, r) => s + r[key] * r.support, 0) / support;
  };
}

/** Fraction of samples whose predicted class is the target. */
export function accuracy(): Metric {
  return new ConfusionMetric('accuracy', (m) => m.accuracy());
}

/** Precision averaged over the classes present ('macro', the default, or support-'weighted'). */
export function precision(average: Average = 'macro'): Metric {
  return new ConfusionMetric(average === 'macro' ? 'precision' : 'weighted_precision', averaged('precision', average));
}

/** Recall averaged over the classes present. */
export function recall(average: Average = 'macro'): Metric {
  return new ConfusionMetric(average === 'macro' ? 'recall' : 'weighted_recall', averaged('recall', average));
}

/** F1 (harmonic mean of precision and recall) averaged over the classes present. */
export function f1(average: Average = 'macro'): Metric {
  return new ConfusionMetric(average === 'macro' ? 'f1' : 'weighted_f1', averaged('f1', average));
}

/** Fraction of samples whose target is among the k highest scores. */
export function topKAccuracy(k: number): Metric {
  if (!Number.isInteger(k) || k < 1) throw new ArgumentError(`topKAccuracy: k must be a positive integer, got ${k}`);
  let hits = 0;
  let total = 0;
  return {
    name: `top${k}_accuracy`,
    higherIsBetter: true,
    reset() {
      hits = 0;
      total = 0;
    },
    update(outputs, targets) {
      if (outputs.ndim !== 2) throw new ShapeError(`top${k}_accuracy: expected scores [N, C], got ${formatShape(outputs.shape)}`);
      const [n, c] = outputs.shape as [number, number];
      const scores = outputs.contiguousData();
      const actual = targetClasses(targets, n, `top${k}_accuracy`);
      for (let i = 0; i < n; i++) {
        const target = scores[i * c + actual[i]!]!;
        // The target is in the top k when fewer than k classes score strictly higher.
        let higher = 0;
        for (let j = 0; j < c; j++) if (scores[i * c + j]! > target) higher++;
        if (higher < k) hits++;
      }
      total += n;
    },
    result: () => (total === 0 ? NaN : hits / total),
  };
}

/** Shared accumulation of regression errors. */
function regressionMetric(name: string, higherIsBetter: boolean, finish: (s: RegressionSums) => number): Metric {
  let sums = emptySums();
  return {
    name,
    higherIsBetter,
    reset() {
      sums = emptySums();
    },
    update(outputs, targets) {
      if (outputs.size !== targets.size) {
        throw new ShapeError(`${name}: outputs ${formatShape(outputs.shape)} and targets ${formatShape(targets.shape)} must have the same number of elements`);
      }
      const p = outputs.contiguousData();
      const t = targets.contiguousData();
      for (let i = 0; i < p.length; i++) {
        const error = p[i]! - t[i]!;
        sums.count++;
        sums.absolute += Math.abs(error);
        sums.squared += error * error;
        sums.target += t[i]!;
        sums.targetSquared += t[i]! * t[i]!;
      }
    },
    result: () => (sums.count === 0 ? NaN : finish(sums)),
  };
}

interface RegressionSums {
  count: number;
  absolute: number;
  squared: number;
  target: number;
  targetSquared: number;
}

function emptySums(): RegressionSums {
  return { count: 0, absolute: 0, squared: 0, target: 0, targetSquared: 0 };
}

/** Mean absolute error. */
export function mae(): Metric {
  return regressionMetric('mae', false, (s) => s.absolute / s.count);
}

/** Root mean squared error. */
export function rmse(): Metric {
  return regressionMetric('rmse', false, (s) => Math.sqrt(s.squared / s.count));
}

/** Coefficient of determination: 1 − SS_res / SS_tot (NaN when the targets are constant). */
export function r2(): Metric {
  return regressionMetric('r2', true, (s) => {
    const total = s.targetSquared - (s.target * s.target) / s.count;
    return total === 0 ? NaN : 1 - s.squared / total;
  });
}

/** Metric names accepted by {@link metricFromName} (`top5` means top-5 accuracy). */
export const METRIC_NAMES = ['accuracy', 'top5', 'precision', 'recall', 'f1', 'mae', 'rmse', 'r2'] as const;

/** A metric by name, for configs and the CLI: any of {@link METRIC_NAMES}, or `topK` for any K. */
export function metricFromName(name: string): Metric {
  const topK = /^top(\d+)$/.exec(name);
  if (topK) return topKAccuracy(Number(topK[1]));
  switch (name) {
    case 'accuracy':
      return accuracy();
    case 'precision':
      return precision();
    case 'recall':
      return recall();
    case 'f1':
      return f1();
    case 'mae':
      return mae();
    case 'rmse':
      return rmse();
    case 'r2':
      return r2();
    default:
      throw new ArgumentError(`unknown metric '${name}'; available: ${METRIC_NAMES.join(', ')} (topK for any K)`);
  }
}
