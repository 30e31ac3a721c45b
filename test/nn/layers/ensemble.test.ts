import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { ArgumentError, ShapeError, fromArray, sum } from '../../../src/index.js';
import { Dropout, Ensemble, Linear, Sequential } from '../../../src/nn/index.js';
import type { Module } from '../../../src/nn/index.js';
import { values } from '../util.js';

/** A bias-free linear layer with the given weights. */
function linear(weight: number[][]): Linear {
  const layer = new Linear(weight[0]!.length, weight.length, { bias: false });
  layer.loadStateDict({ weight: fromArray(weight) });
  return layer;
}

describe('Ensemble', () => {
  test('outputs the mean of its members’ outputs, and gradients reach every member', () => {
    const a = linear([[1, 0], [0, 1]]);
    const b = linear([[3, 2], [-1, 5]]);
    const ensemble = new Ensemble([a, b]);
    // a: [2, −1]; b: [3·2 − 2, −2 − 5] = [4, −7]; mean [3, −4].
    const x = fromArray([[2, -1]]);
    assert.deepEqual(values(ensemble.forward(x)), [3, -4]);
    sum(ensemble.forward(x)).backward();
    // d mean / d w_ij = x_j / 2 for each member.
    assert.deepEqual(values(a.weight.grad!), [1, -0.5, 1, -0.5]);
    assert.deepEqual(values(b.weight.grad!), [1, -0.5, 1, -0.5]);
  });

  test('one member is that member, exactly', () => {
    const a = linear([[0.1, 0.7], [0.3, -0.2]]);
    const x = fromArray([[0.3, 0.9], [-1.1, 2]]);
    assert.deepEqual(values(new Ensemble([a]).forward(x)), values(a.forward(x)));
  });

  test('children are the members by index; parameters add up; training mode reaches every member', () => {
    const members = [new Sequential(new Linear(3, 4), new Dropout(0.5)), new Sequential(new Linear(3, 4))];
    const ensemble = new Ensemble(members);
    assert.deepEqual(Object.keys(ensemble.stateDict()), ['0.0.weight', '0.0.bias', '1.0.weight', '1.0.bias']);
    assert.equal(ensemble.parameterCount(), 2 * (3 * 4 + 4));
    ensemble.eval();
    assert.deepEqual(ensemble.namedModules().map(([, m]) => m.training), [false, false, false, false, false, false]);
    ensemble.train();
    assert.ok(members.every((m) => m.training));
  });

  test('refuses no members, a member that is not a module, and members whose outputs differ in shape', () => {
    assert.throws(() => new Ensemble([]), ArgumentError);
    assert.throws(() => new Ensemble([linear([[1]]), {} as Module]), /member 1 is not a module/);
    const mismatched = new Ensemble([linear([[1, 0]]), linear([[1, 0], [0, 1]])]);
    assert.throws(() => mismatched.forward(fromArray([[1, 2]])), (error: Error) => error instanceof ShapeError && /member 1 gives outputs of shape \[1,2\] but member 0 gives \[1,1\]/.test(error.message));
  });
});
