/** Facts about tensor storage that in-place updates (optimizer steps, gradient clipping) rely on. */
import type { FloatArray } from '../backend/backend.js';
import type { Tensor } from '../tensor/tensor.js';

/**
 * True when element i of `t` is `t.data[i]` and `t.data` holds nothing else: contiguous, no offset, no
 * larger shared storage. Such a tensor can be updated in place by writing its storage.
 */
export function ownsStorage(t: Tensor): boolean {
  return t.isContiguous() && t.offset === 0 && t.data.length === t.size;
}

/** A zero-filled array of the same float type as `like`, with `length` elements. */
export function allocateLike(like: FloatArray, length: number): FloatArray {
  return like instanceof Float64Array ? new Float64Array(length) : new Float32Array(length);
}
