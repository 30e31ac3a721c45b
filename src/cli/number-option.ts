/** Parsing of numeric command-line options, shared by the commands. */
import { ArgumentError } from '../errors.js';

/** The number `value` given to `flag`. @throws ArgumentError naming the flag for anything but a finite number */
export function parseNumberOption(value: string, flag: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new ArgumentError(`${flag}: expected a number, got '${value}'`);
  return n;
}

/** A commander argument parser for a numeric `flag`. */
export const numberOption = (flag: string) => (value: string): number => parseNumberOption(value, flag);
