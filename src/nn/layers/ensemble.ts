import { ArgumentError, ShapeError } from '../../errors.js';
import { add, mul } from '../../ops/arithmetic.js';
import { formatShape, sameShape } from '../../tensor/shape.js';
import type { Tensor } from '../../tensor/tensor.js';
import { Module } from '../module.js';

/**
 * Several models run as one: the output is the mean of the members' outputs. For classifiers those are
 * logits, and the softmax of their mean is the normalized geometric mean of the members' probabilities.
 * An ensemble of independently trained models is usually more accurate than any one of them, which makes
 * it a strong teacher for `distill` (Hinton et al. 2015). Children are the members, named by index
 * (`0.weight`, `1.0.bias`, …); training and evaluation mode reach every member.
 */
export class Ensemble extends Module {
  readonly members: readonly Module[];

  /** @throws ArgumentError when `members` is empty or holds something that is not a module */
  constructor(members: readonly Module[]) {
    super();
    if (!Array.isArray(members) || members.length === 0) throw new ArgumentError('Ensemble: give at least one member model');
    members.forEach((member, i) => {
      if (!(member instanceof Module)) throw new ArgumentError(`Ensemble: member ${i} is not a module`);
    });
    this.members = [...members];
  }

  /** @throws ShapeError when a member's output shape differs from the first member's */
  forward(x: Tensor): Tensor {
    const outputs = this.members.map((member) => member.forward(x));
    const first = outputs[0]!;
    outputs.forEach((output, i) => {
      if (!sameShape(output.shape, first.shape)) {
        throw new ShapeError(`Ensemble: member ${i} gives outputs of shape ${formatShape(output.shape)} but member 0 gives ${formatShape(first.shape)}; members must share their outputs`);
      }
    });
    if (outputs.length === 1) return first;
    return mul(outputs.reduce((sum, output) => add(sum, output)), 1 / outputs.length);
  }

  override namedChildren(): [string, Module][] {
    return this.members.map((member, i) => [String(i), member]);
  }
}
