/**
 * CSV and TSV files: a header row, then one record per line, RFC 4180 quoting (delimiters, newlines and
 * doubled `""` quotes inside quoted fields), LF or CRLF line ends, an optional UTF-8 byte-order mark.
 *
 * Files are streamed: {@link readCsvBatches} parses fixed-size chunks of a file stream into batches of rows,
 * so a file larger than memory can be scanned; {@link readCsv} makes two such passes to build a typed
 * {@link Table} (see table.ts).
 */
import { createReadStream } from 'node:fs';
import { DataError } from '../errors.js';
import {
  ColumnTypeSniffer,
  MissingMarkers,
  TableAccumulator,
  unknownColumnError,
  type Table,
  type TableOptions,
} from './table.js';

/** The delimiters {@link detectDelimiter} tries, in order of preference when they tie. */
export const CSV_DELIMITERS: readonly string[] = [',', ';', '\t', '|'];

/** Options of {@link readCsvBatches}. */
export interface CsvStreamOptions {
  /** The field delimiter (one character); detected from the first lines when omitted. */
  delimiter?: string;
  /** Bytes read from the file at a time; default 64 KiB. */
  chunkSize?: number;
  /** Rows per batch; default 4096. */
  batchSize?: number;
}

/** Options of {@link readCsv}. */
export interface CsvOptions extends CsvStreamOptions, TableOptions {}

/** A batch of rows from {@link readCsvBatches}. */
export interface CsvBatch {
  /** The header's column names (trimmed; an empty name becomes `column_<n>`, 1-based). */
  readonly columns: readonly string[];
  /** The delimiter in use, given or detected. */
  readonly delimiter: string;
  /** The rows, each with one raw text field per column. */
  readonly rows: readonly string[][];
  /** The 1-based line of the file where each row starts (rows may span lines inside quotes). */
  readonly lines: readonly number[];
}

interface CsvRecord {
  readonly fields: string[];
  readonly line: number;
}

const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;

const FIELD_START = 0;
const UNQUOTED = 1;
const QUOTED = 2;
/** Just read a quote inside a quoted field: either the first of `""` or the closing quote. */
const QUOTE_SEEN = 3;
/** After a closing quote; anything before the next delimiter is kept literally, as Python's csv module does. */
const AFTER_QUOTED = 4;

/**
 * An incremental RFC 4180 parser: feed it text in pieces of any size; it emits each record once its line
 * end is seen. Blank lines are skipped.
 */
class CsvParser {
  private state = FIELD_START;
  private field = '';
  private record: string[] = [];
  /** Whether the current record has any character yet: distinguishes a blank line from a record. */
  private touched = false;
  private line = 1;
  private recordLine = 1;
  private quoteLine = 1;
  /** A CR ended the previous piece: a LF at the start of the next one belongs to it. */
  private skipLF = false;
  private readonly delimiter: number;

  constructor(delimiter: string, private readonly source: string) {
    this.delimiter = delimiter.charCodeAt(0);
  }

  push(text: string, out: CsvRecord[]): void {
    const n = text.length;
    let i = 0;
    if (this.skipLF && n > 0) {
      if (text.charCodeAt(0) === LF) i = 1;
      this.skipLF = false;
    }
    // Start of the current field's text within this piece, for the unquoted states.
    let start = i;
    while (i < n) {
      if (this.state === QUOTED) {
        const quote = text.indexOf('"', i);
        const stop = quote < 0 ? n : quote;
        this.field += text.slice(i, stop);
        for (let j = text.indexOf('\n', i); j >= 0 && j < stop; j = text.indexOf('\n', j + 1)) this.line++;
        if (quote < 0) return;
        i = quote + 1;
        this.state = QUOTE_SEEN;
        continue;
      }
      const c = text.charCodeAt(i);
      if (this.state === QUOTE_SEEN) {
        if (c === QUOTE) {
          this.field += '"';
          this.state = QUOTED;
          i++;
          continue;
        }
        this.state = AFTER_QUOTED;
        start = i;
      }
      if (c === LF || c === CR) {
        this.field += text.slice(start, i);
        this.endRecord(out);
        this.line++;
        this.recordLine = this.line;
        i++;
        if (c === CR) {
          if (i === n) this.skipLF = true;
          else if (text.charCodeAt(i) === LF) i++;
        }
        start = i;
        continue;
      }
      this.touched = true;
      if (c === this.delimiter) {
        this.field += text.slice(start, i);
        this.record.push(this.field);
        this.field = '';
        this.state = FIELD_START;
        start = ++i;
        continue;
      }
      if (this.state === FIELD_START) {
        if (c === QUOTE) {
          this.state = QUOTED;
          this.quoteLine = this.line;
          i++;
          continue;
        }
        this.state = UNQUOTED;
        start = i;
      }
      i++;
    }
    if (this.state === UNQUOTED || this.state === AFTER_QUOTED) this.field += text.slice(start, n);
  }

  /** Emits the last record when the input does not end with a line end. @throws DataError inside an open quote */
  end(out: CsvRecord[]): void {
    if (this.state === QUOTED) {
      throw new DataError(
        `${this.source}: the quoted field that starts on line ${this.quoteLine} is never closed; ` +
          'a field starting with " must end with " (write a quote inside it as "")',
      );
    }
    this.endRecord(out);
  }

  private endRecord(out: CsvRecord[]): void {
    if (this.touched) {
      this.record.push(this.field);
      out.push({ fields: this.record, line: this.recordLine });
    }
    this.record = [];
    this.field = '';
    this.state = FIELD_START;
    this.touched = false;
  }
}

/** Parses `sample` with `delimiter`, dropping the last record unless the sample is the whole input. */
function sampleRecords(sample: string, delimiter: string, complete: boolean): CsvRecord[] | undefined {
  const parser = new CsvParser(delimiter, 'sample');
  const records: CsvRecord[] = [];
  parser.push(sample, records);
  if (!complete) return records;
  try {
    parser.end(records);
  } catch {
    return undefined;
  }
  return records;
}

/**
 * Guesses the delimiter from the first lines of a file: among comma, semicolon, tab and pipe, the one that
 * splits the header into the most fields while giving every sampled record that many fields; failing that,
 * the one that splits the header most. A file where none splits the header has one column (comma).
 * @param complete whether `sample` is the whole file (its last line is then complete too)
 */
export function detectDelimiter(sample: string, complete = false): string {
  let best = ',';
  let bestScore = 0;
  for (const delimiter of CSV_DELIMITERS) {
    const records = sampleRecords(sample, delimiter, complete);
    const header = records?.[0]?.fields.length ?? 0;
    if (header < 2) continue;
    const consistent = records!.every((r) => r.fields.length === header);
    // Consistency outranks width: a comma inside every text field must not beat the real delimiter.
    const score = (consistent ? 1_000_000 : 0) + header;
    if (score > bestScore) [best, bestScore] = [delimiter, score];
  }
  return best;
}

function headerNames(record: CsvRecord, path: string): string[] {
  const names = record.fields.map((f, i) => f.trim() || `column_${i + 1}`);
  const seen = new Set<string>();
  for (const name of names) {
    if (seen.has(name)) {
      throw new DataError(`${path}: line ${record.line}: the header names the column '${name}' twice; column names must be unique`);
    }
    seen.add(name);
  }
  return names;
}

const SAMPLE_LINES = 20;
const SAMPLE_CHARS = 64 * 1024;

/**
 * Streams a CSV/TSV file as batches of rows (raw text fields), reading `chunkSize` bytes at a time so the
 * whole file never has to fit in memory. Every row is checked against the header's column count.
 * @throws DataError naming the file for an unreadable or empty file, a header without data rows, a row
 *   whose field count differs from the header's (with its line number), or an unclosed quote
 */
export async function* readCsvBatches(path: string, options: CsvStreamOptions = {}): AsyncGenerator<CsvBatch> {
  const { delimiter: given, chunkSize = 64 * 1024, batchSize = 4096 } = options;
  if (given !== undefined && given.length !== 1) {
    throw new DataError(`${path}: the delimiter must be one character, got ${JSON.stringify(given)}`);
  }
  if (given === '"' || given === '\n' || given === '\r') {
    throw new DataError(`${path}: ${JSON.stringify(given)} cannot be a delimiter`);
  }
  const stream = createReadStream(path, { encoding: 'utf8', highWaterMark: chunkSize });
  let parser: CsvParser | undefined;
  let delimiter = given ?? ',';
  let sample = '';
  let columns: string[] | undefined;
  let rows: string[][] = [];
  let lines: number[] = [];
  let dataRows = 0;
  const records: CsvRecord[] = [];

  // Moves parsed records into the current batch; returns the full batches to yield.
  const collect = (): CsvBatch[] => {
    const full: CsvBatch[] = [];
    for (const record of records) {
      if (columns === undefined) {
        columns = headerNames(record, path);
        continue;
      }
      if (record.fields.length !== columns.length) {
        throw new DataError(
          `${path}: line ${record.line} has ${record.fields.length} fields but the header has ${columns.length} ` +
            `(delimiter ${JSON.stringify(delimiter)}); check for an unquoted delimiter or a missing quote on that line`,
        );
      }
      rows.push(record.fields);
      lines.push(record.line);
      dataRows++;
      if (rows.length === batchSize) {
        full.push({ columns, delimiter, rows, lines });
        rows = [];
        lines = [];
      }
    }
    records.length = 0;
    return full;
  };

  const startParsing = (complete: boolean): void => {
    delimiter = given ?? detectDelimiter(sample, complete);
    parser = new CsvParser(delimiter, path);
    parser.push(sample, records);
    sample = '';
  };

  try {
    let first = true;
    for await (const chunk of stream) {
      let text = chunk as string;
      if (first && text.length > 0) {
        if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
        first = false;
      }
      if (parser === undefined) {
        sample += text;
        if (sample.length < SAMPLE_CHARS && countLines(sample) < SAMPLE_LINES) continue;
        startParsing(false);
      } else {
        parser.push(text, records);
      }
      yield* collect();
    }
    if (parser === undefined) startParsing(true);
    parser!.end(records);
    yield* collect();
  } catch (error) {
    if (error instanceof DataError) throw error;
    throw new DataError(`${path}: cannot read the file (${(error as Error).message})`);
  } finally {
    stream.destroy();
  }
  if (columns === undefined) throw new DataError(`${path}: the file is empty; a CSV file needs a header row and data rows`);
  if (dataRows === 0) throw new DataError(`${path}: the file has a header row (${columns.join(', ')}) but no data rows`);
  if (rows.length > 0) yield { columns, delimiter, rows, lines };
}

function countLines(text: string): number {
  let count = 0;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) count++;
  return count;
}

/**
 * Reads a CSV/TSV file into a {@link Table}: detects the delimiter, infers each column's type (numeric when
 * at least 95% of its non-missing values are numbers, see `NUMERIC_MAJORITY`), turns missing markers into
 * missing values, drops rows with a missing or invalid target (and duplicates if asked), and records the
 * counts in `table.report`. The file is streamed twice (types, then values) instead of held in memory.
 * @throws DataError for an empty file, a ragged row (file, line, expected and found field counts), or a
 *   target or `columnTypes` column that does not exist (listing the columns that do)
 */
export async function readCsv(path: string, options: CsvOptions = {}): Promise<Table> {
  const markers = new MissingMarkers(options.missingValues);
  const sniffer = new ColumnTypeSniffer(markers);
  let columns: readonly string[] = [];
  for await (const batch of readCsvBatches(path, options)) {
    if (columns.length === 0) {
      columns = batch.columns;
      if (options.target !== undefined && !columns.includes(options.target)) {
        throw unknownColumnError(options.target, columns, path, 'target column');
      }
    }
    for (const row of batch.rows) for (let c = 0; c < row.length; c++) sniffer.observe(c, row[c]);
  }
  const types = sniffer.types(columns, options.columnTypes, path);
  const accumulator = new TableAccumulator(columns, types, options, markers, path);
  for await (const batch of readCsvBatches(path, options)) for (const row of batch.rows) accumulator.add(row);
  return accumulator.finish();
}
