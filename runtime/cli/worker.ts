/** `reawait worker --workflows <module…> --activities <module…>`: serve Redis until SIGINT/SIGTERM (options: bin/commands.ts). */
import { Worker } from '../engine/worker.js';
import { redisUrlFrom } from '../redis/connection.js';
import { intOption, type ParsedArgs } from './args.js';
import type { CliIO } from './command.js';

export async function main(args: ParsedArgs, io: CliIO): Promise<number> {
  const url = redisUrlFrom(args.values.get('redis'));
  const prefix = args.values.get('prefix');
  const concurrency = intOption('concurrency', args.values.get('concurrency'));
  const stall = intOption('stall-interval', args.values.get('stall-interval'));
  const sweep = intOption('sweep-interval', args.values.get('sweep-interval'));
  const worker = new Worker({
    redis: url,
    workflows: args.lists.get('workflows') ?? [],
    activities: args.lists.get('activities') ?? [],
    ...(prefix ? { prefix } : {}),
    ...(concurrency ? { concurrency } : {}),
    ...(stall ? { stallInterval: stall } : {}),
    ...(sweep ? { sweepIntervalMs: sweep } : {}),
  });
  await worker.run();
  io.err(`reawait worker: serving on ${url} (pid ${process.pid})\n`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  io.err('reawait worker: stopping (finishing running jobs)\n');
  await worker.close();
  // Activity modules may hold connections open; a stopped worker process must still exit.
  setTimeout(() => process.exit(process.exitCode ?? 0), 200).unref();
  return 0;
}
