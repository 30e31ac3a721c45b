/**
 * A preprocessing pipeline: column steps fitted together on a training table, then applied unchanged to
 * other tables and to single records at inference, ending in a float32 feature matrix `[N, F]`.
 */
import { DataError } from '../../errors.js';
import { Tensor } from '../../tensor/tensor.js';
import { castColumn, MissingMarkers, parseNumber, unknownColumnError, type Column, type ColumnType, type Table } from '../table.js';
import { columnStepFromJSON } from './column-steps.js';
import { Imputer } from './imputer.js';
import { OneHotEncoder } from './one-hot-encoder.js';
import { StandardScaler } from './standard-scaler.js';
import { jsonNumber, jsonObject, type ColumnStep, type ColumnStepJSON, type JsonObject } from './step.js';

/** The version of the pipeline JSON layout written by {@link Pipeline.toJSON}. */
export const PIPELINE_FORMAT_VERSION = 1;

/** A column the pipeline reads, with the type it was fitted on. */
export interface InputColumn {
  readonly name: string;
  readonly type: ColumnType;
}

/** Options of {@link Pipeline}. */
export interface PipelineOptions {
  /** The input columns, by name; default every column of the table except its target. */
  columns?: readonly string[];
  /**
   * The steps, applied in order; default (see {@link autoSteps}): numeric columns → mean imputation then
   * standardization; categorical columns → most-frequent imputation then one-hot encoding.
   */
  steps?: readonly ColumnStep[];
}

/** The JSON form of a fitted pipeline. */
export interface PipelineJSON {
  readonly type: 'Pipeline';
  readonly version: number;
  readonly inputs: InputColumn[];
  readonly target: string | null;
  readonly steps: ColumnStepJSON[];
}

/**
 * The default steps for `inputs`: numeric columns get `Imputer({ strategy: 'mean' })` and `StandardScaler`;
 * categorical columns get `Imputer({ strategy: 'most_frequent' })` and `OneHotEncoder` (which rejects
 * categories not seen in training; pass your own steps with `handleUnknown: 'ignore'` to accept them).
 */
export function autoSteps(inputs: readonly InputColumn[]): ColumnStep[] {
  const numeric = inputs.filter((c) => c.type === 'numeric').map((c) => c.name);
  const categorical = inputs.filter((c) => c.type === 'categorical').map((c) => c.name);
  const steps: ColumnStep[] = [];
  if (numeric.length > 0) steps.push(new Imputer({ strategy: 'mean', columns: numeric }), new StandardScaler({ columns: numeric }));
  if (categorical.length > 0) {
    steps.push(new Imputer({ strategy: 'most_frequent', columns: categorical }), new OneHotEncoder({ columns: categorical }));
  }
  return steps;
}

interface Fitted {
  readonly inputs: readonly InputColumn[];
  readonly target: string | undefined;
  readonly steps: readonly ColumnStep[];
  readonly features: readonly string[];
}

const DEFAULT_MARKERS = new MissingMarkers();

/** Column `name` of type `type` built from one field of several records, checking each value. */
function recordColumn(name: string, type: ColumnType, values: readonly unknown[]): Column {
  const problem = (value: unknown, row: number, expected: string): DataError =>
    new DataError(
      `Pipeline: field '${name}'${values.length > 1 ? ` of record ${row}` : ''} must be ${expected}, got ${JSON.stringify(value)}`,
    );
  const texts = values.map((value, row) => {
    if (value !== null && value !== undefined && !['string', 'number', 'boolean'].includes(typeof value)) {
      throw problem(value, row, 'a number, a string, a boolean or null');
    }
    return DEFAULT_MARKERS.text(value as string | number | boolean | null | undefined);
  });
  if (type === 'numeric') {
    const numbers = values.map((value, row) => {
      const text = texts[row]!;
      if (text === null) return NaN;
      const number = typeof value === 'number' ? value : parseNumber(text);
      if (!Number.isFinite(number)) throw problem(value, row, 'a finite number (or null when missing)');
      return number;
    });
    return { name, type, values: Float64Array.from(numbers) };
  }
  const lookup = new Map<string, number>();
  const codes = Int32Array.from(texts, (t) => {
    if (t === null) return -1;
    if (!lookup.has(t)) lookup.set(t, lookup.size);
    return lookup.get(t)!;
  });
  return { name, type, codes, categories: [...lookup.keys()] };
}

/**
 * Preprocessing that travels with the model. `fit(train)` picks the input columns and fits every step, in
 * order, on the training table only; `transform` then applies those statistics, unchanged, to any table or
 * record and returns a float32 `[N, F]` tensor whose columns are {@link featureNames}. The fitted pipeline
 * saves to JSON and restores from it without running any code from the file.
 */
export class Pipeline {
  private readonly options: PipelineOptions;
  private fitted: Fitted | undefined;

  constructor(options: PipelineOptions = {}) {
    this.options = options;
  }

  get isFitted(): boolean {
    return this.fitted !== undefined;
  }

  private get state(): Fitted {
    if (this.fitted === undefined) throw new DataError('Pipeline: fit it on the training table first (or restore it with Pipeline.fromJSON)');
    return this.fitted;
  }

  /** The input columns and the types they were fitted with. */
  get inputs(): readonly InputColumn[] {
    return this.state.inputs;
  }

  /** The fitted steps, in order. */
  get steps(): readonly ColumnStep[] {
    return this.state.steps;
  }

  /** The name of the target column of the training table, if it had one; records may carry it and it is ignored. */
  get target(): string | undefined {
    return this.state.target;
  }

  /**
   * The name of each output feature, in column order: a numeric input keeps its name, a one-hot encoded
   * column `c` becomes `c=category` per category, an imputation indicator is `c_missing`.
   */
  featureNames(): string[] {
    return [...this.state.features];
  }

  /**
   * Fits the steps on `train`, one after the other, each on the output of the ones before.
   * @throws DataError for an unknown input column (listing the table's), the target used as an input, or a
   *   result that is still categorical or missing values after the last step
   */
  fit(train: Table): this {
    const names = this.options.columns ?? train.featureColumns.map((c) => c.name);
    if (names.length === 0) throw new DataError('Pipeline: there are no input columns; the table has no columns besides its target');
    for (const name of names) {
      if (!train.has(name)) throw unknownColumnError(name, train.columnNames, 'Pipeline', 'input column');
      if (name === train.target) throw new DataError(`Pipeline: '${name}' is the table's target; it cannot also be an input column`);
    }
    const inputs = names.map((name): InputColumn => ({ name, type: train.column(name).type }));
    const steps = this.options.steps ? [...this.options.steps] : autoSteps(inputs);
    let columns: Column[] = names.map((name) => train.column(name));
    for (const step of steps) {
      step.fit(columns);
      columns = step.transform(columns);
    }
    const features = assemble(columns, train.rowCount).features;
    this.fitted = { inputs, target: train.target, steps, features };
    return this;
  }

  /** `fit(train)` then `transform(train)`. */
  fitTransform(train: Table): Tensor {
    return this.fit(train).transform(train);
  }

  /**
   * The feature matrix of `table`, float32 `[N, F]`. A column whose inferred type differs from the one fitted
   * is converted (numbers ↔ category names) first.
   * @throws DataError for a missing input column (listing the table's columns)
   */
  transform(table: Table): Tensor {
    const { inputs } = this.state;
    const columns = inputs.map(({ name, type }) => {
      if (!table.has(name)) throw unknownColumnError(name, table.columnNames, 'Pipeline.transform', 'input column');
      return castColumn(table.column(name), type);
    });
    return this.run(columns, table.rowCount);
  }

  /**
   * The features of one record (`{ field: value }`) for inference, float32 `[1, F]`. Values may be numbers,
   * strings (parsed like CSV cells), booleans, or null for missing.
   * @throws DataError for a missing field, a field the pipeline does not know, or a non-numeric value of a numeric field
   */
  transformRecord(record: Readonly<Record<string, unknown>>): Tensor {
    return this.transformRecords([record]);
  }

  /** {@link transformRecord} for several records: float32 `[N, F]`. */
  transformRecords(records: readonly Readonly<Record<string, unknown>>[]): Tensor {
    const { inputs, target } = this.state;
    const expected = inputs.map((c) => `'${c.name}'`).join(', ');
    records.forEach((record, i) => {
      const where = records.length > 1 ? ` (record ${i})` : '';
      if (typeof record !== 'object' || record === null || Array.isArray(record)) {
        throw new DataError(`Pipeline: a record must be an object { field: value }${where}, got ${JSON.stringify(record)}`);
      }
      for (const { name } of inputs) {
        if (!Object.hasOwn(record, name)) throw new DataError(`Pipeline: the record${where} has no field '${name}'; expected fields: ${expected} (use null for a missing value)`);
      }
      for (const key of Object.keys(record)) {
        if (key !== target && !inputs.some((c) => c.name === key)) {
          throw new DataError(`Pipeline: the record${where} has an unknown field '${key}'; expected fields: ${expected}`);
        }
      }
    });
    const columns = inputs.map(({ name, type }) => recordColumn(name, type, records.map((r) => r[name])));
    return this.run(columns, records.length);
  }

  private run(columns: Column[], rows: number): Tensor {
    for (const step of this.state.steps) columns = step.transform(columns);
    const { data, features } = assemble(columns, rows);
    return new Tensor(data, [rows, features.length]);
  }

  /** The fitted pipeline as JSON: input columns and types, target name, and each step's statistics. */
  toJSON(): PipelineJSON {
    const { inputs, target, steps } = this.state;
    return {
      type: 'Pipeline',
      version: PIPELINE_FORMAT_VERSION,
      inputs: inputs.map((c) => ({ ...c })),
      target: target ?? null,
      steps: steps.map((s) => s.toJSON()),
    };
  }

  /**
   * Restores a fitted pipeline from {@link toJSON}'s output; it transforms exactly as the original did.
   * @throws DataError for another format version, an unknown step type, or fields that do not fit together
   */
  static fromJSON(json: unknown): Pipeline {
    const o = jsonObject(json, 'Pipeline');
    if (o['type'] !== 'Pipeline') throw new DataError(`Pipeline: expected "type": "Pipeline", found ${JSON.stringify(o['type'])}`);
    const version = jsonNumber(o, 'version', 'Pipeline');
    if (version !== PIPELINE_FORMAT_VERSION) {
      throw new DataError(`Pipeline: format version ${version} is not supported; this Kiln reads version ${PIPELINE_FORMAT_VERSION}`);
    }
    const inputs = readInputs(o['inputs']);
    const target = o['target'];
    if (target !== null && typeof target !== 'string') throw new DataError("Pipeline: field 'target' must be a string or null");
    if (!Array.isArray(o['steps'])) throw new DataError("Pipeline: field 'steps' must be an array");
    const steps = o['steps'].map((step: unknown) => columnStepFromJSON(step));
    // Running the steps over zero rows checks that they fit the inputs and yields the feature names.
    let columns: Column[] = inputs.map(({ name, type }) => recordColumn(name, type, []));
    for (const step of steps) columns = step.transform(columns);
    const pipeline = new Pipeline();
    pipeline.fitted = { inputs, target: target ?? undefined, steps, features: assemble(columns, 0).features };
    return pipeline;
  }
}

function readInputs(value: unknown): InputColumn[] {
  if (!Array.isArray(value)) throw new DataError("Pipeline: field 'inputs' must be an array of { name, type }");
  const inputs = value.map((entry: unknown): InputColumn => {
    const o: JsonObject = jsonObject(entry, 'Pipeline input');
    if (typeof o['name'] !== 'string' || (o['type'] !== 'numeric' && o['type'] !== 'categorical')) {
      throw new DataError(`Pipeline: each input must be { "name": string, "type": "numeric" | "categorical" }, found ${JSON.stringify(entry)}`);
    }
    return { name: o['name'], type: o['type'] };
  });
  if (new Set(inputs.map((c) => c.name)).size !== inputs.length) throw new DataError('Pipeline: an input column is listed twice');
  return inputs;
}

/** Packs the final columns into a row-major float32 matrix, refusing anything a model cannot take. */
function assemble(columns: readonly Column[], rows: number): { data: Float32Array; features: string[] } {
  const features = columns.map((c) => c.name);
  const seen = new Set<string>();
  for (const name of features) {
    if (seen.has(name)) throw new DataError(`Pipeline: two output features are both named '${name}'; rename a column so the names are unique`);
    seen.add(name);
  }
  const width = columns.length;
  const data = new Float32Array(rows * width);
  columns.forEach((column, j) => {
    if (column.type !== 'numeric') {
      throw new DataError(`Pipeline: column '${column.name}' is still categorical after the last step; add a OneHotEncoder for it`);
    }
    for (let row = 0; row < rows; row++) {
      const value = Math.fround(column.values[row]!);
      if (!Number.isFinite(value)) {
        const problem = Number.isNaN(value)
          ? `a missing value at row ${row} after the last step; add an Imputer for it`
          : `the value ${column.values[row]} at row ${row}, too large for float32; add an OutlierClipper or a scaler for it`;
        throw new DataError(`Pipeline: feature '${column.name}' has ${problem}`);
      }
      data[row * width + j] = value;
    }
  });
  return { data, features };
}
