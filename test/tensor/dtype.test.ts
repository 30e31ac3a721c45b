import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DTYPES, DTypeError, isFloat, promoteTypes, type DType } from '../../src/index.js';
import { allocate, assertFloat, dtypeOfArray, parseDType } from '../../src/tensor/dtype.js';

describe('promoteTypes', () => {
  // Rows and columns in DTYPES order: uint8, int8, int32, float32, float64.
  const table: Record<DType, DType[]> = {
    uint8: ['uint8', 'int32', 'int32', 'float32', 'float64'],
    int8: ['int32', 'int8', 'int32', 'float32', 'float64'],
    int32: ['int32', 'int32', 'int32', 'float32', 'float64'],
    float32: ['float32', 'float32', 'float32', 'float32', 'float64'],
    float64: ['float64', 'float64', 'float64', 'float64', 'float64'],
  };

  test('DTYPES lists every dtype in promotion order', () => {
    assert.deepEqual(DTYPES, ['uint8', 'int8', 'int32', 'float32', 'float64']);
  });

  for (const a of DTYPES) {
    test(`${a} with every dtype`, () => {
      DTYPES.forEach((b, j) => {
        assert.equal(promoteTypes(a, b), table[a][j], `${a} + ${b}`);
        assert.equal(promoteTypes(b, a), table[a][j], `${b} + ${a} (symmetric)`);
      });
    });
  }
});

describe('isFloat / assertFloat', () => {
  test('only float32 and float64 are float', () => {
    assert.deepEqual(DTYPES.filter(isFloat), ['float32', 'float64']);
  });

  test('assertFloat names the input and suggests a fix', () => {
    assert.doesNotThrow(() => assertFloat('float64', 'x'));
    assert.throws(
      () => assertFloat('int32', 'conv2d: weight'),
      (e: unknown) => e instanceof DTypeError && /conv2d: weight must be float32 or float64, got int32/.test(e.message) && /toType/.test(e.message),
    );
  });
});

describe('parseDType', () => {
  test('accepts every dtype name', () => {
    for (const d of DTYPES) assert.equal(parseDType(d), d);
  });

  test('rejects anything else listing the valid names', () => {
    for (const bad of ['bool', 'float', 'Float32', '', 'int64']) {
      assert.throws(
        () => parseDType(bad),
        (e: unknown) => e instanceof DTypeError && e.message.includes(`'${bad}'`) && e.message.includes(DTYPES.join(', ')),
        bad,
      );
    }
  });
});

describe('allocate / dtypeOfArray', () => {
  test('round trip for every dtype, zero-filled', () => {
    for (const d of DTYPES) {
      const a = allocate(d, 3);
      assert.equal(a.length, 3);
      assert.ok(a.every((v) => v === 0));
      assert.equal(dtypeOfArray(a), d);
    }
  });
});
