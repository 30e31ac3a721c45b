import { ArgumentError } from '../errors.js';
import { isFloat } from '../tensor/dtype.js';
import { Tensor } from '../tensor/tensor.js';

/**
 * A trainable tensor of a module. It owns contiguous storage (copied from the tensor it is made from), so
 * optimizers can update it in place, and it requires gradients.
 */
export class Parameter extends Tensor {
  constructor(value: Tensor) {
    if (!isFloat(value.dtype)) {
      throw new ArgumentError(`Parameter: parameters must be float32 or float64, got ${value.dtype}`);
    }
    super(value.toTypedArray(), value.shape);
    this.requiresGrad = true;
  }
}
