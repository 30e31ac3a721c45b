/**
 * What every column preprocessing step shares: fit on training columns, transform any columns with the
 * statistics fitted then, and save those statistics as plain JSON.
 */
import { DataError } from '../../errors.js';
import { unknownColumnError, type Column, type ColumnType, type NumericColumn } from '../table.js';

/** The column step types a saved pipeline may name. */
export type ColumnStepType = 'Imputer' | 'StandardScaler' | 'MinMaxScaler' | 'OutlierClipper' | 'OneHotEncoder';

/** A JSON object as read back from a file. */
export type JsonObject = { readonly [key: string]: unknown };

/** The JSON form of a fitted column step: its type and its fitted statistics. */
export interface ColumnStepJSON extends JsonObject {
  readonly type: ColumnStepType;
}

/**
 * A preprocessing step over named table columns. `fit` learns statistics from training columns only;
 * `transform` applies them, unchanged, to any columns (training, validation, test or one inference record)
 * and returns new columns, leaving the columns it does not handle as they are.
 */
export interface ColumnStep {
  readonly type: ColumnStepType;
  /** Whether `fit` has run (or the step was restored from JSON). */
  readonly isFitted: boolean;
  /** Learns the step's statistics from `columns` (the training data). @throws DataError for unusable columns */
  fit(columns: readonly Column[]): void;
  /** Applies the fitted statistics. @throws DataError when not fitted or when a fitted column is absent */
  transform(columns: readonly Column[]): Column[];
  /** The fitted statistics as JSON. @throws DataError when not fitted */
  toJSON(): ColumnStepJSON;
}

/**
 * The columns a step works on at fit time: those requested (each must exist and have the kind the step
 * needs), or, when none are requested, every column of that kind (every column for `kind` undefined).
 */
export function chooseColumns(
  columns: readonly Column[],
  requested: readonly string[] | undefined,
  kind: ColumnType | undefined,
  step: string,
): string[] {
  if (requested === undefined) return columns.filter((c) => kind === undefined || c.type === kind).map((c) => c.name);
  const names = columns.map((c) => c.name);
  for (const name of requested) {
    const column = columns.find((c) => c.name === name);
    if (column === undefined) throw unknownColumnError(name, names, step);
    if (kind !== undefined && column.type !== kind) {
      throw new DataError(`${step}: column '${name}' is ${column.type}, but ${step} works on ${kind} columns`);
    }
  }
  return [...requested];
}

/** The column called `name` among `columns`, for a step applying its fitted statistics. */
export function requireColumn(columns: readonly Column[], name: string, step: string): Column {
  const column = columns.find((c) => c.name === name);
  if (column === undefined) {
    throw new DataError(
      `${step}: the input has no column '${name}', which the step was fitted on; the input columns are: ` +
        columns.map((c) => `'${c.name}'`).join(', '),
    );
  }
  return column;
}

/** `requireColumn` for a step that needs a numeric column. */
export function requireNumeric(columns: readonly Column[], name: string, step: string): NumericColumn {
  const column = requireColumn(columns, name, step);
  if (column.type !== 'numeric') throw new DataError(`${step}: column '${name}' must be numeric, found categorical`);
  return column;
}

/** The non-missing values of a numeric column, sorted ascending. */
export function sortedValues(column: NumericColumn): Float64Array {
  return column.values.filter((v) => !Number.isNaN(v)).sort();
}

/** Throws the error every step gives when used before `fit`. */
export function notFitted(step: string, action: string): DataError {
  return new DataError(`${step}: cannot ${action} before fit(); fit it on the training data first (or restore it with fromJSON)`);
}

/** Replaces the columns named in `replacements` (same positions), keeping the others. */
export function replaceColumns(columns: readonly Column[], replacements: ReadonlyMap<string, readonly Column[]>): Column[] {
  return columns.flatMap((c) => replacements.get(c.name) ?? [c]);
}

/** Reads a JSON object, naming `what` in the error. */
export function jsonObject(json: unknown, what: string): JsonObject {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new DataError(`${what}: expected a JSON object, found ${json === null ? 'null' : Array.isArray(json) ? 'an array' : typeof json}`);
  }
  return json as JsonObject;
}

/** Reads field `key` of `json` as a finite number. */
export function jsonNumber(json: JsonObject, key: string, what: string): number {
  const value = json[key];
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new DataError(`${what}: field '${key}' must be a finite number, found ${JSON.stringify(value)}`);
  }
  return value;
}

/** Reads field `key` of `json` as an array of strings. */
export function jsonStrings(json: JsonObject, key: string, what: string): string[] {
  const value = json[key];
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
    throw new DataError(`${what}: field '${key}' must be an array of strings`);
  }
  return value as string[];
}

/** Reads field `key` of `json` as an array of finite numbers, of length `length` when given. */
export function jsonNumbers(json: JsonObject, key: string, what: string, length?: number): number[] {
  const value = json[key];
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'number' && Number.isFinite(v))) {
    throw new DataError(`${what}: field '${key}' must be an array of finite numbers`);
  }
  if (length !== undefined && value.length !== length) {
    throw new DataError(`${what}: field '${key}' must have ${length} entries (one per column), found ${value.length}`);
  }
  return value as number[];
}

/** Reads field `key` of `json` as one of `choices`. */
export function jsonChoice<T extends string>(json: JsonObject, key: string, choices: readonly T[], what: string): T {
  const value = json[key];
  if (typeof value !== 'string' || !(choices as readonly string[]).includes(value)) {
    throw new DataError(`${what}: field '${key}' must be one of ${choices.map((c) => `'${c}'`).join(', ')}, found ${JSON.stringify(value)}`);
  }
  return value as T;
}
