#!/usr/bin/env node
/**
 * The `reawait` command: the commands are declared in ./commands.ts and run
 * by runtime/cli/dispatch.ts, which loads each one lazily so that `reawait
 * worker` never loads Babel and `reawait compile` never loads ioredis.
 */
import { runCli } from '../runtime/cli/dispatch.js';
import { commands } from './commands.js';

runCli(commands, process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`reawait: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
