/**
 * The Linear layers of a loaded model that run on the sparse-weight kernel: those with enough zeros for it to
 * beat the dense product ({@link SPARSE_LINEAR_MIN_SPARSITY}), replaced by {@link SparseLinear} copies in the
 * model a Predictor runs. The Predictor owns the loaded model and never trains it, so the copies keep its
 * weights.
 */
import { Sequential } from '../nn/layers/containers.js';
import { Linear } from '../nn/layers/linear.js';
import { SPARSE_LINEAR_MIN_SPARSITY, SparseLinear } from '../nn/layers/sparse-linear.js';
import type { SpecModel } from '../nn/spec.js';

/** A Linear layer that a Predictor runs on the sparse-weight kernel. */
export interface SparseLayerReport {
  /** Its place in the model's spec, e.g. `layers[7]`. */
  layer: string;
  inFeatures: number;
  outFeatures: number;
  /** Share of its weights that are zero. */
  sparsity: number;
  /**
   * The batches that take the sparse product: every batch, or batches of two rows or more (a single row
   * needs more zeros to gain, and takes the dense product).
   */
  batches: 'all' | 'multi-row';
}

/**
 * The model to run for inference, with its sparse enough top-level float32 Linear layers replaced (the
 * model itself when there are none), and those layers.
 */
export function withSparseLinear(model: SpecModel): { runner: Sequential; sparseLayers: SparseLayerReport[] } {
  const least = Math.min(SPARSE_LINEAR_MIN_SPARSITY.singleRow, SPARSE_LINEAR_MIN_SPARSITY.batch);
  const sparseLayers: SparseLayerReport[] = [];
  const layers = model.layers.map((layer, i) => {
    if (!(layer instanceof Linear) || layer.weight.dtype !== 'float32' || (layer.bias !== null && layer.bias.dtype !== 'float32')) return layer;
    // Counted before copying, so a dense model's layers are never copied.
    if (SparseLinear.zeroShare(layer) < least) return layer;
    const sparse = new SparseLinear(layer);
    sparseLayers.push({
      layer: `layers[${i}]`,
      inFeatures: sparse.inFeatures,
      outFeatures: sparse.outFeatures,
      sparsity: sparse.sparsity,
      batches: sparse.runsSparse(1) ? 'all' : 'multi-row',
    });
    return sparse;
  });
  return { runner: sparseLayers.length === 0 ? model : new Sequential(...layers), sparseLayers };
}
