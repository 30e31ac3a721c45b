/**
 * Checks of hyperparameter values shared by the optimizers, the schedules and gradient clipping. Every
 * failure is an ArgumentError that names where the value was given, the value, and the valid range.
 */
import { ArgumentError } from '../errors.js';

/** The valid range of a number; both ends inclusive unless marked exclusive. */
export interface NumberRange {
  min?: number;
  max?: number;
  minExclusive?: boolean;
  maxExclusive?: boolean;
  /** Only whole numbers. */
  integer?: boolean;
  /** Also accept +∞ (a norm type, an unlimited norm). */
  allowInfinity?: boolean;
}

function describe(range: NumberRange): string {
  const kind = range.integer ? 'an integer' : range.allowInfinity ? 'a number' : 'a finite number';
  const { min, max } = range;
  if (min !== undefined && max !== undefined) {
    return `${kind} in ${range.minExclusive ? '(' : '['}${min}, ${max}${range.maxExclusive ? ')' : ']'}`;
  }
  if (min !== undefined) return `${kind} ${range.minExclusive ? '>' : '≥'} ${min}${range.allowInfinity ? ' (or Infinity)' : ''}`;
  if (max !== undefined) return `${kind} ${range.maxExclusive ? '<' : '≤'} ${max}`;
  return kind;
}

/** Renders a bad value for a message: numbers as written, anything else as JSON-ish text. */
export function formatValue(value: unknown): string {
  if (typeof value === 'number' || value === undefined) return String(value);
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** Names what kind of thing `value` is, for messages about values that are not what was expected. */
export function describeKind(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') {
    const name = (value as object).constructor?.name;
    if (name === undefined || name === 'Object') return 'an object';
    return `${/^[AEIOU]/i.test(name) ? 'an' : 'a'} ${name}`;
  }
  return typeof value === 'function' ? 'a function' : formatValue(value);
}

/** Returns `value` when it is a number within `range`; throws an ArgumentError naming `where` and `name` otherwise. */
export function checkNumber(value: unknown, name: string, where: string, range: NumberRange = {}): number {
  const ok =
    typeof value === 'number' &&
    !Number.isNaN(value) &&
    (Number.isFinite(value) || (range.allowInfinity === true && value === Infinity)) &&
    (!range.integer || Number.isInteger(value)) &&
    (range.min === undefined || (range.minExclusive ? value > range.min : value >= range.min)) &&
    (range.max === undefined || (range.maxExclusive ? value < range.max : value <= range.max));
  if (!ok) throw new ArgumentError(`${where}: ${name} must be ${describe(range)}, got ${formatValue(value)}`);
  return value as number;
}

/** Returns `value` when it is a boolean; throws an ArgumentError otherwise. */
export function checkBoolean(value: unknown, name: string, where: string): boolean {
  if (typeof value !== 'boolean') throw new ArgumentError(`${where}: ${name} must be true or false, got ${formatValue(value)}`);
  return value;
}

/** Returns `value` when it is one of `choices`; throws an ArgumentError listing them otherwise. */
export function checkChoice<T extends string>(value: unknown, name: string, where: string, choices: readonly T[]): T {
  if (!(choices as readonly unknown[]).includes(value)) {
    throw new ArgumentError(`${where}: ${name} must be one of ${choices.map((c) => `'${c}'`).join(', ')}, got ${formatValue(value)}`);
  }
  return value as T;
}
