import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { enableGrad, fromArray, isGradEnabled, noGrad } from '../../src/index.js';

describe('grad mode', () => {
  test('enabled by default', () => {
    assert.equal(isGradEnabled(), true);
  });

  test('noGrad disables recording and returns the callback result', () => {
    const x = fromArray([1, 2]).setRequiresGrad();
    const y = noGrad(() => {
      assert.equal(isGradEnabled(), false);
      return x.mul(2);
    });
    assert.equal(y.requiresGrad, false);
    assert.equal(y.gradFn, null);
    assert.deepEqual(y.toArray(), [2, 4]);
    assert.equal(isGradEnabled(), true);
    assert.notEqual(x.mul(2).gradFn, null, 'recording resumes afterwards');
  });

  test('noGrad restores the mode when the callback throws', () => {
    assert.throws(() => noGrad(() => {
      throw new Error('boom');
    }), /boom/);
    assert.equal(isGradEnabled(), true);
  });

  test('enableGrad inside noGrad records again, then noGrad resumes', () => {
    const x = fromArray([1, 2]).setRequiresGrad();
    const y = noGrad(() => {
      const recorded = enableGrad(() => {
        assert.equal(isGradEnabled(), true);
        return x.mul(3);
      });
      assert.equal(isGradEnabled(), false);
      assert.equal(x.mul(3).gradFn, null, 'not recorded outside enableGrad');
      return recorded;
    });
    assert.equal(y.requiresGrad, true);
    assert.equal(y.gradFn?.name, 'mul');
    y.sum().backward();
    assert.deepEqual(Array.from(x.grad!.toTypedArray()), [3, 3]);
  });

  test('enableGrad restores noGrad mode when the callback throws', () => {
    noGrad(() => {
      assert.throws(() => enableGrad(() => {
        throw new Error('inner');
      }), /inner/);
      assert.equal(isGradEnabled(), false);
    });
    assert.equal(isGradEnabled(), true);
  });

  test('nested noGrad keeps recording off until the outermost returns', () => {
    noGrad(() => {
      noGrad(() => assert.equal(isGradEnabled(), false));
      assert.equal(isGradEnabled(), false);
    });
    assert.equal(isGradEnabled(), true);
  });

  test('backward leaves the mode as it found it, and does not record', () => {
    const x = fromArray([1, 2]).setRequiresGrad();
    x.mul(x).sum().backward();
    assert.equal(isGradEnabled(), true);
    assert.equal(x.grad!.gradFn, null);
    assert.equal(x.grad!.requiresGrad, false);
  });
});
