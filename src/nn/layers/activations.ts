import { elu, gelu, leakyRelu, logSoftmax, relu, sigmoid, softmax, softplus, tanh } from '../../ops/activations.js';
import type { Tensor } from '../../tensor/tensor.js';
import { Module } from '../module.js';

/** max(x, 0). */
export class ReLU extends Module {
  forward(x: Tensor): Tensor {
    return relu(x);
  }
}

/** x for x > 0, negativeSlope · x otherwise. */
export class LeakyReLU extends Module {
  constructor(readonly negativeSlope = 0.01) {
    super();
  }

  forward(x: Tensor): Tensor {
    return leakyRelu(x, this.negativeSlope);
  }

  override describe(): string {
    return `LeakyReLU(negativeSlope=${this.negativeSlope})`;
  }
}

/** x for x > 0, alpha · (eˣ − 1) otherwise. */
export class ELU extends Module {
  constructor(readonly alpha = 1) {
    super();
  }

  forward(x: Tensor): Tensor {
    return elu(x, this.alpha);
  }

  override describe(): string {
    return `ELU(alpha=${this.alpha})`;
  }
}

/** Exact GELU. */
export class GELU extends Module {
  forward(x: Tensor): Tensor {
    return gelu(x);
  }
}

/** Logistic sigmoid. */
export class Sigmoid extends Module {
  forward(x: Tensor): Tensor {
    return sigmoid(x);
  }
}

/** Hyperbolic tangent. */
export class Tanh extends Module {
  forward(x: Tensor): Tensor {
    return tanh(x);
  }
}

/** log(1 + eˣ). */
export class Softplus extends Module {
  forward(x: Tensor): Tensor {
    return softplus(x);
  }
}

/** Softmax along `axis` (default: the last). */
export class Softmax extends Module {
  constructor(readonly axis = -1) {
    super();
  }

  forward(x: Tensor): Tensor {
    return softmax(x, this.axis);
  }

  override describe(): string {
    return `Softmax(axis=${this.axis})`;
  }
}

/** Log-softmax along `axis` (default: the last). */
export class LogSoftmax extends Module {
  constructor(readonly axis = -1) {
    super();
  }

  forward(x: Tensor): Tensor {
    return logSoftmax(x, this.axis);
  }

  override describe(): string {
    return `LogSoftmax(axis=${this.axis})`;
  }
}
