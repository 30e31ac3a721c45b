/** Label encoding of a classification target: class names ↔ class indices 0…K−1. */
import { DataError } from '../../errors.js';
import { Tensor } from '../../tensor/tensor.js';
import { cellValue, parseNumber, type Column } from '../table.js';
import { jsonObject, jsonStrings, notFitted } from './step.js';

/** Labels as a table column, or as a list of names (numbers stand for their text: 3 is class '3'). */
export type Labels = Column | readonly (string | number)[];

function labelNames(labels: Labels, what: string): string[] {
  if (Array.isArray(labels)) return (labels as readonly (string | number)[]).map(String);
  const column = labels as Column;
  const length = column.type === 'numeric' ? column.values.length : column.codes.length;
  return Array.from({ length }, (_, row) => {
    const value = cellValue(column, row);
    if (value === null) {
      throw new DataError(`${what}: the label column '${column.name}' has a missing value at row ${row}; drop such rows first (readCsv with a target does)`);
    }
    return String(value);
  });
}

/**
 * Code-point order, except that when every name is a number the order is numeric, so classes '2' and '10'
 * come out as 2 < 10.
 */
function classOrder(names: string[]): string[] {
  if (names.every((n) => Number.isFinite(parseNumber(n)))) return names.sort((a, b) => parseNumber(a) - parseNumber(b));
  return names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * Maps class names to indices and back. Fitted classes are the distinct labels sorted in a stable order that
 * does not depend on row order or locale: numerically when every class name is a number, else by Unicode
 * code point (`'Cat' < 'cat' < 'dog'`). Index `i` is class `classes[i]`.
 */
export class LabelEncoder {
  readonly type = 'LabelEncoder';
  private names: readonly string[] | undefined;
  private index: ReadonlyMap<string, number> = new Map();

  /** The fitted class names; index `i` is class `classes[i]`. */
  get classes(): readonly string[] {
    if (this.names === undefined) throw notFitted('LabelEncoder', 'read classes');
    return this.names;
  }

  get isFitted(): boolean {
    return this.names !== undefined;
  }

  /** Learns the classes from the training labels. @throws DataError for a missing label or no labels */
  fit(labels: Labels): this {
    const distinct = [...new Set(labelNames(labels, 'LabelEncoder.fit'))];
    if (distinct.length === 0) throw new DataError('LabelEncoder.fit: there are no labels to learn classes from');
    this.setClasses(classOrder(distinct));
    return this;
  }

  private setClasses(names: readonly string[]): void {
    this.names = names;
    this.index = new Map(names.map((name, i) => [name, i]));
  }

  /** The class index of each label. @throws DataError naming a label that is not a fitted class */
  encode(labels: Labels): Int32Array {
    const classes = this.classes;
    const names = labelNames(labels, 'LabelEncoder.encode');
    return Int32Array.from(names, (name, row) => {
      const index = this.index.get(name);
      if (index === undefined) {
        throw new DataError(`LabelEncoder: label '${name}' (row ${row}) is not one of the ${classes.length} training classes: ${classes.join(', ')}`);
      }
      return index;
    });
  }

  /** {@link encode} as an int32 tensor `[N]`, the form classification losses take. */
  transform(labels: Labels): Tensor {
    const codes = this.encode(labels);
    return new Tensor(codes, [codes.length]);
  }

  /** The class name of index `index`. @throws DataError for an index outside 0…K−1 */
  decode(index: number): string {
    const classes = this.classes;
    const name = Number.isInteger(index) ? classes[index] : undefined;
    if (name === undefined) throw new DataError(`LabelEncoder.decode: ${index} is not a class index; valid indices are 0…${classes.length - 1}`);
    return name;
  }

  /** The fitted classes as JSON. */
  toJSON(): { type: 'LabelEncoder'; classes: string[] } {
    return { type: this.type, classes: [...this.classes] };
  }

  /** Restores a fitted encoder from {@link toJSON}'s output, keeping its class order. @throws DataError for malformed JSON */
  static fromJSON(json: unknown): LabelEncoder {
    const classes = jsonStrings(jsonObject(json, 'LabelEncoder'), 'classes', 'LabelEncoder');
    if (classes.length === 0 || new Set(classes).size !== classes.length) {
      throw new DataError("LabelEncoder: field 'classes' must hold at least one class name and no repeats");
    }
    const encoder = new LabelEncoder();
    encoder.setClasses(classes);
    return encoder;
  }
}
