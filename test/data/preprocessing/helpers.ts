import type { CategoricalColumn, Column, NumericColumn } from '../../../src/data/table.js';

/** A numeric column; null stands for a missing value. */
export function num(name: string, values: readonly (number | null)[]): NumericColumn {
  return { name, type: 'numeric', values: Float64Array.from(values, (v) => v ?? NaN) };
}

/** A categorical column; null stands for a missing value. */
export function cat(name: string, values: readonly (string | null)[]): CategoricalColumn {
  const categories = [...new Set(values.filter((v): v is string => v !== null))];
  return { name, type: 'categorical', codes: Int32Array.from(values, (v) => (v === null ? -1 : categories.indexOf(v))), categories };
}

/** The values of column `name`: numbers (NaN for missing) or category names (null for missing). */
export function valuesOf(columns: readonly Column[], name: string): (number | string | null)[] {
  const column = columns.find((c) => c.name === name);
  if (column === undefined) throw new Error(`no column ${name} among ${columns.map((c) => c.name).join(', ')}`);
  if (column.type === 'numeric') return Array.from(column.values);
  return Array.from(column.codes, (code) => (code < 0 ? null : column.categories[code]!));
}

/** Deep copy through JSON text, as a saved model file would do. */
export function viaText<T>(value: T): unknown {
  return JSON.parse(JSON.stringify(value));
}

/** Rounds numbers to 12 significant digits, so float summation order does not fail a comparison. */
export function approx(values: readonly (number | string | null)[]): (number | string | null)[] {
  return values.map((v) => (typeof v === 'number' && Number.isFinite(v) ? Number(v.toPrecision(12)) : v));
}
