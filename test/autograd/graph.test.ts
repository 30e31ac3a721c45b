import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AutogradError, arange, fromArray, noGrad, scalar, zeros } from '../../src/index.js';
import { Node, record } from '../../src/autograd/graph.js';

describe('record', () => {
  test('records a node when an input requires grad', () => {
    const x = fromArray([1, 2]).setRequiresGrad();
    const out = zeros([2]);
    const rule = () => [null];
    assert.equal(record('neg', [x], out, rule), out);
    assert.ok(out.gradFn instanceof Node);
    assert.equal(out.gradFn.name, 'neg');
    assert.deepEqual(out.gradFn.inputs, [x]);
    assert.equal(out.requiresGrad, true);
    assert.equal(out.isLeaf, false);
  });

  test('records nothing when no input requires grad', () => {
    const out = record('neg', [fromArray([1])], zeros([1]), () => [null]);
    assert.equal(out.gradFn, null);
    assert.equal(out.requiresGrad, false);
  });

  test('records nothing inside noGrad', () => {
    const x = fromArray([1]).setRequiresGrad();
    const out = noGrad(() => record('neg', [x], zeros([1]), () => [null]));
    assert.equal(out.gradFn, null);
  });

  test('integer outputs never get a gradFn', () => {
    const x = fromArray([1]).setRequiresGrad();
    const out = record('neg', [x], arange(1), () => [null]);
    assert.equal(out.gradFn, null);
    assert.equal(out.requiresGrad, false);
  });

  test('comparisons and argmax of a requiresGrad tensor build no graph', () => {
    const x = fromArray([1, 5, 3]).setRequiresGrad();
    for (const out of [x.gt(2), x.eq(x), x.le(scalar(3)), x.argmax()]) {
      assert.equal(out.gradFn, null);
      assert.equal(out.requiresGrad, false);
      assert.ok(out.dtype === 'uint8' || out.dtype === 'int32', out.dtype);
    }
  });

  test('ops on int tensors build no graph', () => {
    const i = arange(3);
    assert.equal(i.add(i).gradFn, null);
  });
});

describe('Node', () => {
  test('apply runs the rule', () => {
    const x = fromArray([1, 2]);
    const node = new Node('mul', [x], (g) => [g.mul(2)]);
    const [g] = node.apply(fromArray([3, 4]));
    assert.deepEqual(g!.toArray(), [6, 8]);
  });

  test('apply after release is an AutogradError naming the op and retainGraph', () => {
    const node = new Node('conv2d', [], () => []);
    node.release();
    assert.throws(
      () => node.apply(scalar(1)),
      (e: unknown) => e instanceof AutogradError && /'conv2d'/.test(e.message) && /retainGraph: true/.test(e.message),
    );
  });
});
