import type { Command } from 'commander';
import { ArgumentError } from '../../errors.js';
import { describeModel } from '../../serve/model-info.js';
import { SERVE_DEFAULTS } from '../../serve/options.js';
import { startServer } from '../../serve/server.js';

/** Flags as commander parses them. */
interface ServeFlags {
  port: number;
  host: string;
  maxBatch: number;
  maxWaitMs: number;
  maxBodyMb: number;
  workers: number;
}

const number = (flag: string) => (value: string): number => {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new ArgumentError(`${flag}: expected a number, got '${value}'`);
  return n;
};

/** Resolves on the first SIGINT or SIGTERM; a second one ends the process the default way (at once). */
function shutdownSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const stop = (signal: NodeJS.Signals): void => {
      process.off('SIGINT', stop).off('SIGTERM', stop);
      resolve(signal);
    };
    process.on('SIGINT', stop).on('SIGTERM', stop);
  });
}

/** Registers `kiln serve`. */
export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('serve a model over HTTP: POST /v1/predict, GET /v1/model, GET /healthz, GET /metrics')
    .argument('<model>', 'a .kiln model file')
    .option('--port <n>', 'TCP port (0 picks a free one)', number('--port'), SERVE_DEFAULTS.port)
    .option('--host <address>', 'interface to listen on (0.0.0.0 for every interface)', SERVE_DEFAULTS.host)
    .option('--max-batch <n>', 'most samples per forward pass, and per request', number('--max-batch'), SERVE_DEFAULTS.maxBatch)
    .option('--max-wait-ms <ms>', 'how long a request waits for others to share its forward pass', number('--max-wait-ms'), SERVE_DEFAULTS.maxWaitMs)
    .option('--max-body-mb <mb>', 'largest request body (JSON, or all uploaded files together), in MiB', number('--max-body-mb'), SERVE_DEFAULTS.maxBodyMb)
    .option('--workers <n>', 'inference worker threads, each with its own copy of the model', number('--workers'), SERVE_DEFAULTS.workers)
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  $ kiln serve houses.kiln --port 8080\n' +
        '  $ curl -s localhost:8080/v1/predict -H \'content-type: application/json\' -d \'{"input": {"rooms": 3, "city": "Oslo"}}\'\n' +
        '  $ kiln serve shoes.kiln --port 8080 --max-batch 64 --workers 2\n' +
        '  $ curl -s localhost:8080/v1/predict -F image=@shoe.png -F image=@sandal.jpg\n\n' +
        'SIGINT or SIGTERM stops accepting connections, answers the requests already received, and exits with 0.',
    )
    .action(async (model: string, flags: ServeFlags) => {
      const server = await startServer({ model, ...flags });
      console.log(`kiln serve: listening on ${server.url}, ${describeModel(server.model)}; loaded in ${(1000 * server.loadSeconds).toFixed(0)} ms`);
      const signal = await shutdownSignal();
      console.log(`kiln serve: ${signal}: answering the requests in flight, then exiting`);
      await server.close();
    });
}
