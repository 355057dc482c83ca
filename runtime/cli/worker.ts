/**
 * `reawait worker --workflows <module…> --activities <module…>`: serve Redis,
 * or with `--dir` the embedded database in that folder (several workers, in
 * any processes, share it through job leases), until SIGINT/SIGTERM
 * (options: bin/commands.ts).
 */
import { Worker } from '../engine/worker.js';
import { redactUrl, redisUrlFrom } from '../redis/connection.js';
import { durationOption, intOption, UsageError, type ParsedArgs } from './args.js';
import type { CliIO } from './command.js';

export async function main(args: ParsedArgs, io: CliIO): Promise<number> {
  const dir = args.values.get('dir');
  if (dir !== undefined && (args.values.has('redis') || args.values.has('prefix') || args.values.has('connect-timeout')))
    throw new UsageError('give either --dir (an embedded database) or --redis/--prefix, not both');
  const concurrency = intOption('concurrency', args.values.get('concurrency'));
  const stall = durationOption('stall-interval', args.values.get('stall-interval'));
  const sweep = durationOption('sweep-interval', args.values.get('sweep-interval'));
  const startTimeout = durationOption('start-timeout', args.values.get('start-timeout'));
  const connectTimeout = durationOption('connect-timeout', args.values.get('connect-timeout'));
  const grace = durationOption('grace', args.values.get('grace')) ?? 5000;
  const common = {
    workflows: args.lists.get('workflows') ?? [],
    activities: args.lists.get('activities') ?? [],
    ...(concurrency ? { concurrency } : {}),
    ...(stall ? { stallInterval: stall } : {}),
    ...(sweep ? { sweepIntervalMs: sweep } : {}),
  };
  let shown: string;
  let worker: Worker;
  if (dir !== undefined) {
    const { databaseFile } = await import('../sqlite/backend.js');
    shown = databaseFile(dir);
    worker = new Worker({ store: 'local', dir, ...common });
  } else {
    const url = redisUrlFrom(args.values.get('redis'));
    const prefix = args.values.get('prefix');
    shown = redactUrl(url);
    worker = new Worker({
      redis: url,
      ...(prefix ? { prefix } : {}),
      ...common,
      ...(startTimeout ? { startTimeoutMs: startTimeout } : {}),
      ...(connectTimeout ? { connectTimeoutMs: connectTimeout } : {}),
    });
  }
  // Listen first: a SIGTERM while it still waits for Redis ends it too.
  const stopped = new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  io.err(`reawait worker: connecting to ${shown} (pid ${process.pid})\n`);
  const started = worker.run().then(() => io.err(`reawait worker: serving on ${shown} (pid ${process.pid})\n`));
  const first = await Promise.race([started.then(() => 'serving' as const), stopped.then(() => 'stop' as const)]);
  if (first === 'serving') await stopped;
  io.err(`reawait worker: stopping (finishing running jobs, at most ${grace} ms)\n`);
  // The grace period holds whatever the backend does: past it, the process exits anyway.
  setTimeout(() => process.exit(process.exitCode ?? 0), grace + 2000).unref();
  await worker.close(grace);
  // Activity modules may hold connections open; a stopped worker process must still exit.
  setTimeout(() => process.exit(process.exitCode ?? 0), 200).unref();
  return 0;
}
