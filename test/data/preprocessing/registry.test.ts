import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DataError } from '../../../src/errors.js';
import { ImageNormalizer } from '../../../src/data/preprocessing/image-normalizer.js';
import { ImageResize } from '../../../src/data/preprocessing/image-resize.js';
import { Imputer } from '../../../src/data/preprocessing/imputer.js';
import { LabelEncoder } from '../../../src/data/preprocessing/label-encoder.js';
import { MinMaxScaler } from '../../../src/data/preprocessing/min-max-scaler.js';
import { OneHotEncoder } from '../../../src/data/preprocessing/one-hot-encoder.js';
import { OutlierClipper } from '../../../src/data/preprocessing/outlier-clipper.js';
import { Pipeline } from '../../../src/data/preprocessing/pipeline.js';
import { PREPROCESSOR_TYPES, preprocessingFromJSON } from '../../../src/data/preprocessing/registry.js';
import { StandardScaler } from '../../../src/data/preprocessing/standard-scaler.js';
import { Table } from '../../../src/data/table.js';
import { cat, num, viaText } from './helpers.js';

describe('preprocessingFromJSON', () => {
  const columns = [num('a', [1, null, 5]), cat('c', ['x', 'y', null])];
  const fitted = <T extends { fit(c: typeof columns): void }>(step: T): T => {
    step.fit(columns);
    return step;
  };

  test('restores every type as the class that wrote it, with the same JSON', () => {
    const objects = [
      fitted(new Imputer({ strategy: 'most_frequent' })),
      fitted(new StandardScaler()),
      fitted(new MinMaxScaler()),
      fitted(new OutlierClipper()),
      fitted(new OneHotEncoder()),
      new Pipeline().fit(Table.fromRecords([{ a: 1, c: 'x' }, { a: 2, c: 'y' }])),
      new LabelEncoder().fit(['b', 'a']),
      new ImageNormalizer({ mean: [0.5], std: [0.25] }),
      new ImageResize({ size: [8, 6], channels: 1, fit: 'contain' }),
    ];
    assert.deepEqual(new Set(objects.map((o) => o.toJSON().type)), new Set(PREPROCESSOR_TYPES));
    for (const object of objects) {
      const restored = preprocessingFromJSON(viaText(object.toJSON()));
      assert.equal(restored.constructor, object.constructor);
      assert.deepEqual(restored.toJSON(), object.toJSON());
    }
  });

  test('rejects unknown types, inherited property names and non-objects with a clear error', () => {
    for (const type of ['Function', 'constructor', '__proto__', 'toString', undefined, 7]) {
      assert.throws(() => preprocessingFromJSON({ type }), (e: Error) => {
        assert.ok(e instanceof DataError, String(e));
        assert.match(e.message, /unknown preprocessing type .*; known types: Pipeline, LabelEncoder, ImageNormalizer, ImageResize, Imputer/);
        return true;
      });
    }
    assert.throws(() => preprocessingFromJSON(null), /expected a JSON object, found null/);
    assert.throws(() => preprocessingFromJSON(JSON.parse('{"__proto__": {"type": "Imputer"}}')), /unknown preprocessing type undefined/);
  });
});
