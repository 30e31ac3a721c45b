import { record } from '../autograd/graph.js';
import { ArgumentError } from '../errors.js';
import { allocate } from '../tensor/dtype.js';
import { defaultGenerator, type Generator } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import { binaryKernel } from './primitives.js';

/** Options of {@link dropout}. */
export interface DropoutOptions {
  /** Drop only while training (default true); in evaluation dropout is the identity. */
  training?: boolean;
  /** The generator of the mask; the default one when omitted. */
  generator?: Generator;
}

/**
 * Zeroes each element with probability p and scales the survivors by 1/(1 − p) (inverted dropout), so
 * evaluation needs no rescaling. The mask is drawn from the seeded generator.
 */
export function dropout(x: Tensor, p: number, options: DropoutOptions = {}): Tensor {
  if (!(p >= 0 && p <= 1)) throw new ArgumentError(`dropout: p must be in [0, 1], got ${p}`);
  if (options.training === false || p === 0) return x;
  const generator = options.generator ?? defaultGenerator;
  const scale = p === 1 ? 0 : 1 / (1 - p);
  const mask = allocate(x.dtype === 'float64' ? 'float64' : 'float32', x.size);
  for (let i = 0; i < mask.length; i++) mask[i] = generator.nextDouble() < p ? 0 : scale;
  const maskTensor = new Tensor(mask, x.shape);
  return record('dropout', [x], binaryKernel('mul', x, maskTensor), (g) => [binaryKernel('mul', g, maskTensor)]);
}
