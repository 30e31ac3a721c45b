import { Command, Option } from 'commander';
import { formatInspection, inspectData, type DataFormat } from '../../data/inspect.js';

/** Registers `kiln data` and its subcommands. */
export function registerDataCommand(program: Command): void {
  const data = program
    .command('data')
    .description('look at datasets before training on them')
    .addHelpText('after', '\nExample:\n  $ kiln data inspect datasets/sneaker-vs-sandal');
  data
    .command('inspect')
    .description('summarize a dataset: rows, columns, inferred types, missing values, class balance, image sizes')
    .argument('<path>', 'a CSV/TSV or JSON-lines file, an IDX file (.gz too), or an image folder root/<class>/*.png')
    .option('--target <column>', 'the target column of a table, to show its class balance')
    .addOption(new Option('--format <format>', 'the format, when it cannot be told from the path').choices(['csv', 'jsonl', 'idx', 'image-folder']))
    .option('--delimiter <char>', 'the CSV delimiter (detected by default)')
    .option('--json', 'print the report as JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  $ kiln data inspect datasets/sneaker-vs-sandal\n  $ kiln data inspect datasets/fashion-mnist/train-labels-idx1-ubyte.gz\n  $ kiln data inspect houses.csv --target price',
    )
    .action(async (path: string, options: { target?: string; format?: DataFormat; delimiter?: string; json?: boolean }) => {
      const report = await inspectData(path, { target: options.target, format: options.format, delimiter: options.delimiter });
      process.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : formatInspection(report));
    });
}
