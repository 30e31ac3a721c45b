/**
 * JSON lines files: one JSON object per line, its keys naming columns (`{"age": 31, "city": "Oslo"}`). A key
 * absent from a line is a missing value there. Files are streamed line by line, in two passes, into the same
 * {@link Table} the CSV reader builds.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { DataError } from '../errors.js';
import {
  ColumnTypeSniffer,
  MissingMarkers,
  TableAccumulator,
  unknownColumnError,
  type RawCell,
  type Table,
  type TableOptions,
} from './table.js';

/** Options of {@link readJsonlBatches}. */
export interface JsonlStreamOptions {
  /** Bytes read from the file at a time; default 64 KiB. */
  chunkSize?: number;
  /** Records per batch; default 4096. */
  batchSize?: number;
}

/** Options of {@link readJsonl}. */
export interface JsonlOptions extends JsonlStreamOptions, TableOptions {}

/** A batch of records from {@link readJsonlBatches}. */
export interface JsonlBatch {
  /** One object per line; every value is a number, string, boolean or null. */
  readonly records: readonly Readonly<Record<string, RawCell>>[];
  /** The 1-based line of each record. */
  readonly lines: readonly number[];
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/**
 * Streams a JSON lines file as batches of records. Blank lines are skipped; a UTF-8 byte-order mark is ignored.
 * @throws DataError naming the file and line for a line that is not valid JSON, not an object, or holds a
 *   nested object or array as a value; and for an unreadable or empty file
 */
export async function* readJsonlBatches(path: string, options: JsonlStreamOptions = {}): AsyncGenerator<JsonlBatch> {
  const { chunkSize = 64 * 1024, batchSize = 4096 } = options;
  const stream = createReadStream(path, { encoding: 'utf8', highWaterMark: chunkSize });
  const lineReader = createInterface({ input: stream, crlfDelay: Infinity });
  let records: Record<string, RawCell>[] = [];
  let lines: number[] = [];
  let lineNumber = 0;
  let total = 0;
  try {
    for await (const raw of lineReader) {
      lineNumber++;
      const text = (lineNumber === 1 && raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw).trim();
      if (text === '') continue;
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch (cause) {
        throw new DataError(`${path}: line ${lineNumber} is not valid JSON (${(cause as Error).message}); each line must hold one JSON object`);
      }
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
        throw new DataError(`${path}: line ${lineNumber} holds ${describe(parsed)}; each line must hold one JSON object like {"column": value}`);
      }
      for (const [key, value] of Object.entries(parsed)) {
        if (typeof value === 'object' && value !== null) {
          throw new DataError(
            `${path}: line ${lineNumber}: the value of '${key}' is ${describe(value)}; table cells must be numbers, strings, booleans or null (flatten nested data first)`,
          );
        }
      }
      records.push(parsed as Record<string, RawCell>);
      lines.push(lineNumber);
      total++;
      if (records.length === batchSize) {
        yield { records, lines };
        records = [];
        lines = [];
      }
    }
  } catch (error) {
    if (error instanceof DataError) throw error;
    throw new DataError(`${path}: cannot read the file (${(error as Error).message})`);
  } finally {
    lineReader.close();
    stream.destroy();
  }
  if (total === 0) throw new DataError(`${path}: the file is empty; a JSON lines file needs one JSON object per line`);
  if (records.length > 0) yield { records, lines };
}

/**
 * Reads a JSON lines file into a {@link Table}: columns are the keys in order of first appearance, typed and
 * cleaned by the same rules as `readCsv` (type inference, missing markers in strings, dropped rows counted
 * in `table.report`).
 * @throws DataError for a bad line (with its number), an empty file, or a target or `columnTypes` column
 *   that does not exist (listing the columns that do)
 */
export async function readJsonl(path: string, options: JsonlOptions = {}): Promise<Table> {
  const markers = new MissingMarkers(options.missingValues);
  const sniffer = new ColumnTypeSniffer(markers);
  const index = new Map<string, number>();
  for await (const batch of readJsonlBatches(path, options)) {
    for (const record of batch.records) {
      for (const [key, value] of Object.entries(record)) {
        let i = index.get(key);
        if (i === undefined) index.set(key, (i = index.size));
        sniffer.observe(i, value);
      }
    }
  }
  const names = [...index.keys()];
  if (options.target !== undefined && !index.has(options.target)) {
    throw unknownColumnError(options.target, names, path, 'target column');
  }
  const accumulator = new TableAccumulator(names, sniffer.types(names, options.columnTypes, path), options, markers, path);
  for await (const batch of readJsonlBatches(path, options)) {
    for (const record of batch.records) {
      accumulator.add(names.map((name) => (Object.hasOwn(record, name) ? record[name] : undefined)));
    }
  }
  return accumulator.finish();
}
