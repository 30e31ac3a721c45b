import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DTYPES, allocate, allocateUninitialized, dtypeOfArray } from '../../src/tensor/dtype.js';

test('allocateUninitialized gives storage of the dtype and length that owns its whole buffer', () => {
  for (const dtype of DTYPES) {
    for (const length of [0, 3, 100_000]) {
      const a = allocateUninitialized(dtype, length);
      assert.equal(dtypeOfArray(a), dtype);
      assert.equal(a.length, length);
      // A buffer of its own: nothing else (Node's shared Buffer pool, another tensor) can see these bytes.
      assert.equal(a.byteOffset, 0);
      assert.equal(a.buffer.byteLength, a.byteLength);
    }
  }
});

test('allocateUninitialized never hands out memory another array still uses', () => {
  const live = Array.from({ length: 8 }, (_, i) => (allocateUninitialized('float32', 50_000) as Float32Array).fill(i));
  const fresh = Array.from({ length: 8 }, () => allocateUninitialized('float32', 50_000));
  fresh.forEach((a) => a.fill(-1));
  live.forEach((a, i) => assert.ok(a.every((v) => v === i), `array ${i} kept its values`));
});

test('small arrays are zeroed like allocate', () => {
  assert.deepEqual(allocateUninitialized('float64', 4), allocate('float64', 4));
});
