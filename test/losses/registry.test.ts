import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ArgumentError, logSoftmax, zeros } from '../../src/index.js';
import {
  LOSS_NAMES,
  binaryCrossEntropyWithLogits,
  crossEntropy,
  huberLoss,
  isLossName,
  klDivLoss,
  l1Loss,
  lossFromName,
  mseLoss,
  nllLoss,
  smoothL1Loss,
} from '../../src/losses/index.js';
import { leaf } from '../helpers/gradcheck.js';
import { assertClose, assertThrows, f64, ints, values } from './util.js';

describe('lossFromName', () => {
  const logits = leaf([4, 3], 1);
  const labels = ints([0, 2, 1, 2]);
  const other = leaf([4, 3], 2);
  const probabilities = logSoftmax(other, 1).exp();

  test('every name gives its loss with its options', () => {
    const cases = [
      [lossFromName('cross-entropy', { labelSmoothing: 0.1 })(logits, labels), crossEntropy(logits, labels, { labelSmoothing: 0.1 })],
      [lossFromName('bce-with-logits', { reduction: 'sum' })(logits, probabilities), binaryCrossEntropyWithLogits(logits, probabilities, { reduction: 'sum' })],
      [lossFromName('mse')(logits, other), mseLoss(logits, other)],
      [lossFromName('l1', { reduction: 'none' })(logits, other), l1Loss(logits, other, { reduction: 'none' })],
      [lossFromName('huber', { delta: 0.5 })(logits, other), huberLoss(logits, other, { delta: 0.5 })],
      [lossFromName('smooth-l1', { beta: 0.5 })(logits, other), smoothL1Loss(logits, other, { beta: 0.5 })],
      [lossFromName('nll', { ignoreIndex: 2 })(logits, labels), nllLoss(logits, labels, { ignoreIndex: 2 })],
      [lossFromName('kl-div', { reduction: 'batchmean' })(logits, probabilities), klDivLoss(logits, probabilities, { reduction: 'batchmean' })],
    ] as const;
    assert.equal(cases.length, LOSS_NAMES.length);
    for (const [fromRegistry, direct] of cases) assertClose(fromRegistry, values(direct), 0);
  });
  test('tensor options may be plain arrays (as in a JSON config)', () => {
    const weighted = lossFromName('cross-entropy', { weight: [1, 2, 3] })(logits, labels);
    assertClose(weighted, values(crossEntropy(logits, labels, { weight: f64([1, 2, 3]) })), 0);
    const fromConfig = lossFromName('bce-with-logits', JSON.parse('{"posWeight": [2, 1, 0.5], "weight": [[1], [2], [1], [2]]}'));
    assertClose(fromConfig(logits, probabilities), values(binaryCrossEntropyWithLogits(logits, probabilities, {
      posWeight: f64([2, 1, 0.5]),
      weight: f64([1, 2, 1, 2], [4, 1]),
    })), 0);
  });
  test('the returned loss is differentiable', () => {
    const x = leaf([4, 3], 3);
    lossFromName('cross-entropy')(x, labels).backward();
    assert.deepEqual(x.grad!.shape, [4, 3]);
  });
  test('an unknown name lists the valid ones', () => {
    assertThrows(() => lossFromName('cross_entropy'), ArgumentError, "unknown loss 'cross_entropy'", LOSS_NAMES.join(', '));
    assert.ok(isLossName('kl-div'));
    assert.ok(!isLossName('toString'));
  });
  test('an option the loss does not take is reported with the valid ones', () => {
    assertThrows(() => lossFromName('huber', { beta: 2 } as never), ArgumentError, "'huber' has no option 'beta'", 'delta, reduction');
    assertThrows(() => lossFromName('mse', null as never), ArgumentError, 'must be an object');
    assertThrows(() => lossFromName('nll', { weight: 'heavy' } as never), ArgumentError, "'weight'", 'array of numbers');
  });
  test('option values are checked by the loss with its own message', () => {
    assertThrows(() => lossFromName('smooth-l1', { beta: -1 })(zeros([2]), zeros([2])), ArgumentError, 'smoothL1Loss', 'beta');
  });
});
