/**
 * Restoring any saved preprocessing object from JSON by its `type` field, through a closed table of the
 * types Kiln defines. Nothing is evaluated or imported by name: a type outside the table is an error.
 */
import { DataError } from '../../errors.js';
import { COLUMN_STEP_TYPES, columnStepFromJSON, isColumnStepType } from './column-steps.js';
import { ImageNormalizer } from './image-normalizer.js';
import { ImageResize } from './image-resize.js';
import { LabelEncoder } from './label-encoder.js';
import { Pipeline } from './pipeline.js';
import { jsonObject, type ColumnStep } from './step.js';

/** Anything {@link preprocessingFromJSON} restores. */
export type Preprocessor = Pipeline | ColumnStep | LabelEncoder | ImageNormalizer | ImageResize;

const OTHER_TYPES = {
  Pipeline: (json: unknown) => Pipeline.fromJSON(json),
  LabelEncoder: (json: unknown) => LabelEncoder.fromJSON(json),
  ImageNormalizer: (json: unknown) => ImageNormalizer.fromJSON(json),
  ImageResize: (json: unknown) => ImageResize.fromJSON(json),
} as const satisfies Record<string, (json: unknown) => Preprocessor>;

/** Every type name {@link preprocessingFromJSON} accepts. */
export const PREPROCESSOR_TYPES: readonly string[] = [...Object.keys(OTHER_TYPES), ...COLUMN_STEP_TYPES];

/**
 * Restores a pipeline, column step, label encoder or image step from the JSON its `toJSON()` wrote, with its
 * fitted statistics. Only data is read from the JSON; the `type` field picks one of Kiln's own classes.
 * @throws DataError for a missing or unknown type (listing the known ones) or malformed fields
 */
export function preprocessingFromJSON(json: unknown): Preprocessor {
  const type = jsonObject(json, 'preprocessing JSON')['type'];
  if (isColumnStepType(type)) return columnStepFromJSON(json);
  if (typeof type === 'string' && Object.hasOwn(OTHER_TYPES, type)) return OTHER_TYPES[type as keyof typeof OTHER_TYPES](json);
  throw new DataError(`unknown preprocessing type ${JSON.stringify(type)}; known types: ${PREPROCESSOR_TYPES.join(', ')}`);
}
