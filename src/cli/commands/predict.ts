import { readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Command } from 'commander';
import { readCsv } from '../../data/csv.js';
import { ArgumentError } from '../../errors.js';
import type { PredictInput } from '../../infer/inputs.js';
import { loadModel, type Prediction } from '../../infer/predictor.js';

/** One row of the predictions table: what was predicted for which input. */
interface PredictionRow {
  input: string;
  prediction: Prediction;
}

/**
 * Expands wildcards in the file-name part of a path (`images/*.png`, quoted so the shell left them),
 * keeping plain paths as given.
 */
function expandPaths(patterns: readonly string[]): string[] {
  return patterns.flatMap((pattern) => {
    const name = basename(pattern);
    if (!/[*?]/.test(name)) return [pattern];
    const regex = new RegExp(`^${name.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
    const directory = dirname(pattern);
    let entries: string[];
    try {
      entries = readdirSync(directory);
    } catch {
      throw new ArgumentError(`predict: cannot list ${directory} for ${pattern}`);
    }
    const matches = entries.filter((e) => regex.test(e)).sort().map((e) => join(directory, e));
    if (matches.length === 0) throw new ArgumentError(`predict: no file matches ${pattern}`);
    return matches;
  });
}

/** Reads a CSV into one record per row, for tabular models. */
async function csvRecords(path: string): Promise<Record<string, unknown>[]> {
  const table = await readCsv(path);
  return Array.from({ length: table.rowCount }, (_, row) => table.record(row));
}

/** The predictions as an aligned table. */
export function formatPredictions(rows: readonly PredictionRow[]): string {
  const cells = rows.map(({ input, prediction }) => {
    if ('label' in prediction) {
      const second = prediction.topK[1];
      return [input, prediction.label, `${(100 * prediction.topK[0]!.probability).toFixed(1)}%`, second ? `${second.label} ${(100 * second.probability).toFixed(1)}%` : ''];
    }
    return [input, Array.isArray(prediction.value) ? prediction.value.map((v) => v.toPrecision(5)).join(' ') : prediction.value.toPrecision(6), '', ''];
  });
  const header = 'label' in (rows[0]?.prediction ?? {}) ? ['input', 'predicted', 'probability', 'runner-up'] : ['input', 'value', '', ''];
  const widths = header.map((h, c) => Math.max(h.length, ...cells.map((row) => row[c]!.length)));
  return [header, ...cells].map((row) => row.map((cell, c) => cell.padEnd(widths[c]!)).join('  ').trimEnd()).join('\n');
}

/** Registers `kiln predict`. */
export function registerPredictCommand(program: Command): void {
  program
    .command('predict')
    .description('predict with a trained model: image files or globs, a CSV of records, or a JSON file of inputs')
    .argument('<model>', 'a .kiln model file')
    .argument('<inputs...>', 'image files or globs (image models), one CSV file (tabular models), or a .json file with a list of inputs')
    .option('--top-k <n>', 'classes listed per prediction', (v) => Number(v))
    .option('--json', 'print predictions as JSON')
    .addHelpText('after', '\nExamples:\n  $ kiln predict fashion.kiln samples/*.png\n  $ kiln predict houses.kiln new-houses.csv --json')
    .action(async (modelPath: string, patterns: string[], options: { topK?: number; json?: boolean }) => {
      const predictor = await loadModel(modelPath);
      let names: string[];
      let inputs: PredictInput[];
      if (patterns.length === 1 && patterns[0]!.endsWith('.csv')) {
        inputs = (await csvRecords(patterns[0]!)) as PredictInput[];
        names = inputs.map((_, i) => `row ${i + 1}`);
      } else if (patterns.length === 1 && patterns[0]!.endsWith('.json')) {
        const parsed: unknown = JSON.parse(await readFile(patterns[0]!, 'utf8'));
        if (!Array.isArray(parsed)) throw new ArgumentError(`predict: ${patterns[0]} must hold a JSON list of inputs`);
        inputs = parsed as PredictInput[];
        names = inputs.map((_, i) => `input ${i + 1}`);
      } else {
        names = expandPaths(patterns);
        inputs = names;
      }
      const predictions = await predictor.predict(inputs, { topK: options.topK });
      const rows = predictions.map((prediction, i) => ({ input: names[i]!, prediction }));
      console.log(options.json ? JSON.stringify(rows, null, 2) : formatPredictions(rows));
    });
}
