#!/usr/bin/env node
import { runCli } from './program.js';

// A reader that stops early (`kiln distill --help | head -3`) closes the pipe. End quietly with the status
// of a process stopped by SIGPIPE (128 + 13), as Unix tools do, so a pipeline can still tell it was cut short.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    process.exit(141);
  });
}

process.exitCode = await runCli(process.argv);
