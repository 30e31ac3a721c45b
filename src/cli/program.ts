import { Command, CommanderError } from 'commander';
import { KilnError } from '../errors.js';
import { KILN_VERSION } from '../version.js';
import { registerDataCommand } from './commands/data.js';
import { registerDistillCommand } from './commands/distill.js';
import { registerEnvCommand } from './commands/env.js';
import { registerEvalCommand } from './commands/eval.js';
import { registerInfoCommand } from './commands/info.js';
import { registerPredictCommand } from './commands/predict.js';
import { registerPruneCommand } from './commands/prune.js';
import { registerQuantizeCommand } from './commands/quantize.js';
import { registerQuickstartCommand } from './commands/quickstart.js';
import { registerServeCommand } from './commands/serve.js';
import { registerTrainCommand } from './commands/train.js';

/** Builds the `kiln` command-line program. */
export function buildProgram(): Command {
  const program = new Command('kiln')
    .description('Kiln: train, shrink and serve neural networks in TypeScript')
    .version(KILN_VERSION)
    .option('--verbose', 'print stack traces with errors')
    .showHelpAfterError()
    .exitOverride();
  registerEnvCommand(program);
  registerDataCommand(program);
  registerTrainCommand(program);
  registerEvalCommand(program);
  registerPredictCommand(program);
  registerInfoCommand(program);
  registerQuantizeCommand(program);
  registerQuickstartCommand(program);
  registerServeCommand(program);
  registerPruneCommand(program);
  registerDistillCommand(program);
  return program;
}

/** Runs the CLI on `argv` (as in process.argv): one clear line on error (the stack only with --verbose) and a non-zero exit code. */
export async function runCli(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    const verbose = argv.includes('--verbose');
    if (verbose && error instanceof Error) console.error(error.stack);
    else console.error(`kiln: ${error instanceof KilnError ? `${error.name}: ` : ''}${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}
