/** The client every subcommand uses: `--dir` (the embedded database in that folder), else `--redis`, then REDIS_URL, then the default URL. */
import { existsSync } from 'node:fs';
import { Client } from '../engine/client.js';
import type { ExecutionHandle } from '../engine/client-engine.js';
import { redisUrlFrom } from '../redis/connection.js';
import { durationOption, UsageError, type ParsedArgs } from './args.js';
import type { CliIO } from './command.js';

export function clientFrom(args: ParsedArgs, options: { createDir?: boolean } = {}): Client {
  const dir = args.values.get('dir');
  if (dir !== undefined) {
    if (args.values.has('redis') || args.values.has('prefix') || args.values.has('connect-timeout')) throw new UsageError('give either --dir (an embedded database) or --redis/--prefix, not both');
    // Reading a folder that is not there is a typo, not a new empty backend.
    if (!options.createDir && !existsSync(dir)) throw new UsageError(`--dir ${dir}: no such folder (npx reawait run or a Worker with { store: 'local', dir } creates it)`);
    return new Client({ store: 'local', dir });
  }
  const prefix = args.values.get('prefix');
  const connectTimeoutMs = durationOption('connect-timeout', args.values.get('connect-timeout'));
  return new Client({ redis: redisUrlFrom(args.values.get('redis')), ...(prefix ? { prefix } : {}), ...(connectTimeoutMs ? { connectTimeoutMs } : {}) });
}

/** Runs `body` with the handle of execution `id`, or reports that none exists (exit 1); always closes the client. */
export async function withExecution(args: ParsedArgs, id: string, io: CliIO, body: (handle: ExecutionHandle) => Promise<number>): Promise<number> {
  const client = clientFrom(args);
  try {
    const handle = await client.get(id);
    if (!handle) {
      io.err(`reawait: no execution with id '${id}'\n`);
      return 1;
    }
    return await body(handle);
  } finally {
    await client.close();
  }
}
