/**
 * A first look at a dataset before training on it: what a CSV/JSON lines table, an image folder or an IDX
 * file holds, and what is wrong with it (missing values, unbalanced classes, unreadable images), as data
 * ({@link inspectData}) and as text a person can read ({@link formatInspection}).
 */
import { open, stat } from 'node:fs/promises';
import { extname } from 'node:path';
import { loadSharp } from './sharp.js';
import { DataError } from '../errors.js';
import type { DType } from '../tensor/dtype.js';
import { formatShape } from '../tensor/shape.js';
import { readCsv } from './csv.js';
import { readIdx } from './idx.js';
import { forEachConcurrently, listImageFolder, type SkippedFile } from './image-folder.js';
import { readJsonl } from './jsonl.js';
import type { Column, ColumnType, ReadReport, Table } from './table.js';

/** A class (or label value) and how many samples have it. */
export interface ClassCount {
  readonly name: string;
  readonly count: number;
}

/** One column of an inspected table. */
export interface ColumnSummary {
  readonly name: string;
  readonly type: ColumnType;
  readonly missing: number;
  /** Distinct non-missing values. */
  readonly distinct: number;
  /** For numeric columns with values: their minimum, mean and maximum. */
  readonly min?: number;
  readonly mean?: number;
  readonly max?: number;
}

/** What {@link inspectData} found in a CSV or JSON lines file. */
export interface TableInspection {
  readonly kind: 'table';
  readonly path: string;
  readonly format: 'csv' | 'jsonl';
  readonly rows: number;
  readonly columns: readonly ColumnSummary[];
  /** The reader's counts of dropped rows and non-numeric values. */
  readonly report: ReadReport;
  readonly target?: string;
  /**
   * Samples per target value, most frequent first: for a categorical target, or a numeric one with at most
   * {@link MAX_BALANCE_CLASSES} distinct values (more looks like a regression target and is summarized as a column).
   */
  readonly classBalance?: readonly ClassCount[];
}

/** What {@link inspectData} found in an image folder. */
export interface ImageFolderInspection {
  readonly kind: 'image-folder';
  readonly path: string;
  /** Images per class folder, in class order (readable and not). */
  readonly classes: readonly ClassCount[];
  /** Image files found. */
  readonly images: number;
  /** Distinct stored sizes (from the file headers), most common first. */
  readonly sizes: readonly { width: number; height: number; channels: number; format: string; count: number }[];
  /** Images whose header sharp could not read, with the reason. */
  readonly skipped: readonly SkippedFile[];
  /** Files in class folders that are not images by their extension. */
  readonly ignored: readonly string[];
}

/** What {@link inspectData} found in an IDX file. */
export interface IdxInspection {
  readonly kind: 'idx';
  readonly path: string;
  readonly shape: readonly number[];
  readonly dtype: DType;
  /** Smallest and largest element. */
  readonly range: readonly [number, number];
  /** For a one-dimensional file (labels): samples per value, by value. */
  readonly labelBalance?: readonly ClassCount[];
}

/** The result of {@link inspectData}, by kind of data. */
export type DataInspection = TableInspection | ImageFolderInspection | IdxInspection;

/** The data formats {@link inspectData} reads. */
export type DataFormat = 'csv' | 'jsonl' | 'idx' | 'image-folder';

/** Options of {@link inspectData}. */
export interface InspectOptions {
  /** The format; by default a folder is an image folder, `.jsonl`/`.ndjson` is JSON lines, a file starting with an IDX or gzip magic number is IDX, anything else CSV. */
  format?: DataFormat;
  /** For tables: the target column, whose class balance is reported. */
  target?: string;
  /** For CSV: the delimiter, when detection is not wanted. */
  delimiter?: string;
}

/** A numeric target with more distinct values than this is treated as continuous: no class balance. */
export const MAX_BALANCE_CLASSES = 20;

async function detectFormat(path: string): Promise<DataFormat> {
  let info;
  try {
    info = await stat(path);
  } catch (cause) {
    throw new DataError(`${path}: cannot inspect it (${(cause as Error).message})`);
  }
  if (info.isDirectory()) return 'image-folder';
  const ext = extname(path).toLowerCase();
  if (ext === '.jsonl' || ext === '.ndjson') return 'jsonl';
  if (ext === '.csv' || ext === '.tsv' || ext === '.txt') return 'csv';
  const file = await open(path);
  try {
    const { buffer, bytesRead } = await file.read(Buffer.alloc(4), 0, 4, 0);
    const gzip = buffer[0] === 0x1f && buffer[1] === 0x8b;
    const idx = bytesRead === 4 && buffer[0] === 0 && buffer[1] === 0 && buffer[2]! >= 0x08 && buffer[2]! <= 0x0e;
    return gzip || idx ? 'idx' : 'csv';
  } finally {
    await file.close();
  }
}

/**
 * Inspects a dataset: a CSV/TSV or JSON lines table (rows, columns, inferred types, missing values, dropped
 * rows, class balance of `target`), an image folder (classes and counts, image sizes seen, unreadable
 * files) or an IDX file (shape, dtype, value range, label balance).
 * @throws DataError when the path cannot be read or the data is malformed (the reader's errors)
 */
export async function inspectData(path: string, options: InspectOptions = {}): Promise<DataInspection> {
  const format = options.format ?? (await detectFormat(path));
  switch (format) {
    case 'image-folder':
      return inspectImageFolder(path);
    case 'idx':
      return inspectIdx(path);
    case 'csv':
    case 'jsonl': {
      const table =
        format === 'csv'
          ? await readCsv(path, { target: options.target, delimiter: options.delimiter })
          : await readJsonl(path, { target: options.target });
      return inspectTable(path, format, table);
    }
  }
}

function summarize(column: Column): ColumnSummary {
  const { name, type } = column;
  if (column.type === 'categorical') {
    const used = new Set<number>();
    let missing = 0;
    for (const code of column.codes) {
      if (code < 0) missing++;
      else used.add(code);
    }
    return { name, type, missing, distinct: used.size };
  }
  let missing = 0;
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  const distinct = new Set<number>();
  for (const v of column.values) {
    if (Number.isNaN(v)) {
      missing++;
      continue;
    }
    sum += v;
    min = Math.min(min, v);
    max = Math.max(max, v);
    distinct.add(v);
  }
  const count = column.values.length - missing;
  return count === 0 ? { name, type, missing, distinct: 0 } : { name, type, missing, distinct: distinct.size, min, mean: sum / count, max };
}

function countsOf(names: Iterable<string>): ClassCount[] {
  const counts = new Map<string, number>();
  for (const name of names) counts.set(name, (counts.get(name) ?? 0) + 1);
  return [...counts].map(([name, count]) => ({ name, count }));
}

function classBalance(column: Column): ClassCount[] | undefined {
  let counts: ClassCount[];
  if (column.type === 'categorical') {
    counts = countsOf(Array.from(column.codes, (code) => column.categories[code]!));
  } else {
    counts = countsOf(Array.from(column.values, String));
    if (counts.length > MAX_BALANCE_CLASSES) return undefined;
  }
  return counts.sort((a, b) => b.count - a.count || (a.name < b.name ? -1 : 1));
}

function inspectTable(path: string, format: 'csv' | 'jsonl', table: Table): TableInspection {
  const inspection: TableInspection = {
    kind: 'table',
    path,
    format,
    rows: table.rowCount,
    columns: table.columns.map(summarize),
    report: table.report!,
  };
  if (table.target === undefined) return inspection;
  const balance = classBalance(table.column(table.target));
  return balance === undefined ? { ...inspection, target: table.target } : { ...inspection, target: table.target, classBalance: balance };
}

async function inspectImageFolder(path: string): Promise<ImageFolderInspection> {
  const { classNames, files, ignored } = await listImageFolder(path);
  const sizes = new Map<string, { width: number; height: number; channels: number; format: string; count: number }>();
  const failures: (string | undefined)[] = new Array(files.length);
  const found: (string | undefined)[] = new Array(files.length);
  const sharp = await loadSharp();
  await forEachConcurrently(files.length, 16, async (i) => {
    try {
      const { width, height, channels, format } = await sharp(files[i]!.file).metadata();
      const key = `${width}×${height}×${channels} ${format}`;
      found[i] = key;
      const entry = sizes.get(key) ?? { width, height, channels, format, count: 0 };
      entry.count++;
      sizes.set(key, entry);
    } catch (error) {
      failures[i] = (error as Error).message;
    }
  });
  return {
    kind: 'image-folder',
    path,
    classes: classNames.map((name, label) => ({ name, count: files.filter((f) => f.label === label).length })),
    images: files.length,
    sizes: [...sizes.values()].sort((a, b) => b.count - a.count),
    skipped: files.flatMap(({ file }, i) => (failures[i] === undefined ? [] : [{ file, reason: failures[i]! }])),
    ignored,
  };
}

function inspectIdx(path: string): IdxInspection {
  const tensor = readIdx(path);
  const data = tensor.contiguousData();
  let min = Infinity;
  let max = -Infinity;
  for (const v of data) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const inspection: IdxInspection = { kind: 'idx', path, shape: tensor.shape, dtype: tensor.dtype, range: [min, max] };
  if (tensor.ndim !== 1) return inspection;
  const balance = countsOf(Array.from(data, String)).sort((a, b) => Number(a.name) - Number(b.name));
  return { ...inspection, labelBalance: balance };
}

/** A number for a person: integers as they are, others to 4 significant digits. */
function formatNumber(v: number): string {
  return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(4)));
}

/** Text columns separated by two spaces, indented by two; numbers and percentages right-aligned. */
function textTable(header: readonly string[], rows: readonly (readonly (string | number)[])[]): string[] {
  const cells = [header, ...rows].map((row) => row.map((cell) => (typeof cell === 'number' ? formatNumber(cell) : cell)));
  const widths = header.map((_, j) => Math.max(...cells.map((row) => (row[j] ?? '').length)));
  const numeric = (cell: string | number | undefined): boolean => typeof cell === 'number' || cell === '' || /^[\d.]+%$/.test(cell ?? '');
  const right = header.map((_, j) => rows.length > 0 && rows.every((row) => numeric(row[j])));
  return cells.map((row) => `  ${row.map((cell, j) => (right[j] ? cell.padStart(widths[j]!) : cell.padEnd(widths[j]!))).join('  ')}`.trimEnd());
}

const plural = (count: number, one: string, many: string): string => `${count} ${count === 1 ? one : many}`;

function percent(count: number, total: number): string {
  return total === 0 ? '–' : `${((100 * count) / total).toFixed(1)}%`;
}

function balanceLines(title: string, counts: readonly ClassCount[], total: number): string[] {
  return ['', title, ...textTable(['class', 'count', 'share'], counts.map((c) => [c.name, c.count, percent(c.count, total)]))];
}

function formatTable(t: TableInspection): string[] {
  const r = t.report;
  const lines = [
    `${t.path}: ${t.format === 'csv' ? 'CSV' : 'JSON lines'} table, ${plural(t.rows, 'row', 'rows')} × ${plural(t.columns.length, 'column', 'columns')}` +
      (t.target === undefined ? '' : `, target '${t.target}'`),
    `rows read ${r.rowsRead}, kept ${r.rowsKept}; dropped: ${r.droppedMissingTarget} missing target, ` +
      `${r.droppedInvalidTarget} invalid target, ${r.droppedDuplicates} duplicates`,
    '',
    ...textTable(
      ['column', 'type', 'missing', 'distinct', 'min', 'mean', 'max'],
      t.columns.map((c) => [
        c.name + (c.name === t.target ? ' (target)' : ''),
        c.type,
        c.missing,
        c.distinct,
        c.min ?? '',
        c.mean ?? '',
        c.max ?? '',
      ]),
    ),
  ];
  const nonNumeric = Object.entries(r.nonNumeric);
  if (nonNumeric.length > 0) {
    lines.push('', `non-numeric values made missing: ${nonNumeric.map(([name, n]) => `${name} ${n}`).join(', ')}`);
  }
  if (t.classBalance !== undefined) lines.push(...balanceLines(`class balance of '${t.target}':`, t.classBalance, t.rows));
  return lines;
}

function formatImageFolder(f: ImageFolderInspection): string[] {
  const lines = [
    `${f.path}: image folder, ${plural(f.images, 'image', 'images')} in ${plural(f.classes.length, 'class', 'classes')}`,
    ...balanceLines('classes:', f.classes, f.images),
    '',
    'image sizes (width × height × channels, format):',
    ...textTable(['size', 'count'], f.sizes.map((s) => [`${s.width}×${s.height}×${s.channels} ${s.format}`, s.count])),
  ];
  if (f.skipped.length > 0) {
    lines.push('', `unreadable images (${f.skipped.length}):`, ...f.skipped.map((s) => `  ${s.file}: ${s.reason}`));
  }
  if (f.ignored.length > 0) lines.push('', `${plural(f.ignored.length, 'other file', 'other files')} ignored (not .png, .jpg, .jpeg or .webp)`);
  return lines;
}

function formatIdx(x: IdxInspection): string[] {
  const lines = [`${x.path}: IDX file, shape ${formatShape(x.shape)}, ${x.dtype}, values ${formatNumber(x.range[0])}…${formatNumber(x.range[1])}`];
  if (x.labelBalance !== undefined) lines.push(...balanceLines('label balance:', x.labelBalance, x.shape[0]!));
  return lines;
}

/** Renders an inspection as plain-text tables for a terminal. */
export function formatInspection(inspection: DataInspection): string {
  const lines =
    inspection.kind === 'table' ? formatTable(inspection) : inspection.kind === 'idx' ? formatIdx(inspection) : formatImageFolder(inspection);
  return `${lines.join('\n')}\n`;
}
