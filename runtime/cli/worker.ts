/** `reawait worker --workflows <module…> --activities <module…> [--redis URL] [--concurrency N]` */
import { Worker } from '../engine/worker.js';
import { redisUrlFrom } from '../redis/connection.js';
import { CONNECTION_FLAGS, intOption, parseArgs, runCommand, UsageError } from './args.js';

const USAGE = 'worker --workflows <module…> --activities <module…> [--redis URL] [--concurrency N]';

export function main(argv: string[]): Promise<number> {
  return runCommand(USAGE, async () => {
    const args = parseArgs(argv, { lists: ['workflows', 'activities'], values: [...CONNECTION_FLAGS, 'concurrency', 'stall-interval', 'sweep-interval'] });
    const workflows = args.lists.get('workflows');
    if (!workflows) throw new UsageError('--workflows is required');
    if (args.positionals.length) throw new UsageError(`unexpected argument '${args.positionals[0]}'`);
    if (args.values.has('dir')) throw new UsageError(`--dir is the embedded backend, which runs in one process: use 'reawait run' there; 'reawait worker' serves Redis`);
    const url = redisUrlFrom(args.values.get('redis'));
    const prefix = args.values.get('prefix');
    const concurrency = intOption('concurrency', args.values.get('concurrency'));
    const stall = intOption('stall-interval', args.values.get('stall-interval'));
    const sweep = intOption('sweep-interval', args.values.get('sweep-interval'));
    const worker = new Worker({
      redis: url,
      workflows,
      activities: args.lists.get('activities') ?? [],
      ...(prefix ? { prefix } : {}),
      ...(concurrency ? { concurrency } : {}),
      ...(stall ? { stallInterval: stall } : {}),
      ...(sweep ? { sweepIntervalMs: sweep } : {}),
    });
    await worker.run();
    process.stderr.write(`reawait worker: serving on ${url} (pid ${process.pid})\n`);
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    process.stderr.write('reawait worker: stopping (finishing running jobs)\n');
    await worker.close();
    // Activity modules may hold connections open; a stopped worker process must still exit.
    setTimeout(() => process.exit(process.exitCode ?? 0), 200).unref();
    return 0;
  });
}
