import { ArgumentError } from '../../errors.js';
import { dropout } from '../../ops/dropout.js';
import type { Generator } from '../../tensor/random.js';
import type { Tensor } from '../../tensor/tensor.js';
import { Module } from '../module.js';

/** Inverted dropout while training; the identity in evaluation mode. */
export class Dropout extends Module {
  private readonly generator: Generator | undefined;

  constructor(
    readonly p = 0.5,
    options: { generator?: Generator } = {},
  ) {
    super();
    if (!(p >= 0 && p < 1)) throw new ArgumentError(`Dropout: p must be in [0, 1), got ${p}`);
    this.generator = options.generator;
  }

  forward(x: Tensor): Tensor {
    return dropout(x, this.p, { training: this.training, generator: this.generator });
  }

  override describe(): string {
    return `Dropout(p=${this.p})`;
  }
}
