import { Tensor } from '../tensor/tensor.js';
import { backward, type BackwardOptions } from './backward.js';

declare module '../tensor/tensor.js' {
  interface Tensor {
    /**
     * Backpropagates from this tensor: fills `grad` of every leaf that requires gradients.
     * @param gradient the gradient with respect to this tensor; omit it for a single-element tensor (a loss)
     */
    backward(gradient?: Tensor, options?: BackwardOptions): void;
  }
}

Tensor.prototype.backward = function (this: Tensor, gradient?: Tensor, options?: BackwardOptions): void {
  backward(this, gradient, options);
};
