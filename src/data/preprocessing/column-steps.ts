/**
 * The closed table of column step types a saved pipeline may name. Restoring a step looks its type up here
 * and hands the JSON to that class's `fromJSON`, which only reads numbers and strings: nothing in a file can
 * name code to run.
 */
import { DataError } from '../../errors.js';
import { Imputer } from './imputer.js';
import { MinMaxScaler } from './min-max-scaler.js';
import { OneHotEncoder } from './one-hot-encoder.js';
import { OutlierClipper } from './outlier-clipper.js';
import { StandardScaler } from './standard-scaler.js';
import { jsonObject, type ColumnStep, type ColumnStepType } from './step.js';

// A mapped type: adding a ColumnStepType without its reader is a compile error.
const COLUMN_STEPS: { readonly [T in ColumnStepType]: (json: unknown) => ColumnStep } = {
  Imputer: (json) => Imputer.fromJSON(json),
  StandardScaler: (json) => StandardScaler.fromJSON(json),
  MinMaxScaler: (json) => MinMaxScaler.fromJSON(json),
  OutlierClipper: (json) => OutlierClipper.fromJSON(json),
  OneHotEncoder: (json) => OneHotEncoder.fromJSON(json),
};

/** Every column step type, in a fixed order. */
export const COLUMN_STEP_TYPES = Object.keys(COLUMN_STEPS) as readonly ColumnStepType[];

/** Whether `type` names a column step. Own keys only, so `'constructor'` or `'__proto__'` are not steps. */
export function isColumnStepType(type: unknown): type is ColumnStepType {
  return typeof type === 'string' && Object.hasOwn(COLUMN_STEPS, type);
}

/**
 * Restores a fitted column step from its JSON (`{ "type": "StandardScaler", … }`).
 * @throws DataError for a type that is not a column step (listing the ones that are) or malformed fields
 */
export function columnStepFromJSON(json: unknown): ColumnStep {
  const type = jsonObject(json, 'preprocessing step')['type'];
  if (!isColumnStepType(type)) {
    throw new DataError(`unknown column preprocessing step type ${JSON.stringify(type)}; known types: ${COLUMN_STEP_TYPES.join(', ')}`);
  }
  return COLUMN_STEPS[type](json);
}
