/** `reawait list [--status S] [--workflow W] [--limit N] [--cursor C] [--redis URL | --dir DIR]`: one line per execution. */
import type { ExecutionStatus } from '../store.js';
import { CONNECTION_FLAGS, intOption, parseArgs, runCommand, UsageError } from './args.js';
import { clientFrom } from './connect.js';

const USAGE = 'list [--status S] [--workflow W] [--limit N] [--redis URL | --dir DIR]';
const STATUSES: ExecutionStatus[] = ['ready', 'waiting', 'completed', 'failed', 'cancelled'];

export function main(argv: string[]): Promise<number> {
  return runCommand(USAGE, async () => {
    const args = parseArgs(argv, { values: [...CONNECTION_FLAGS, 'status', 'workflow', 'limit', 'cursor'] });
    if (args.positionals.length) throw new UsageError(`unexpected argument '${args.positionals[0]}'`);
    const status = args.values.get('status');
    if (status !== undefined && !STATUSES.includes(status as ExecutionStatus)) throw new UsageError(`--status must be one of ${STATUSES.join(', ')}`);
    const workflow = args.values.get('workflow');
    const limit = intOption('limit', args.values.get('limit'));
    const cursor = args.values.get('cursor');
    const client = clientFrom(args);
    try {
      const page = await client.list({
        ...(status ? { status: status as ExecutionStatus } : {}),
        ...(workflow ? { workflow } : {}),
        ...(limit ? { limit } : {}),
        ...(cursor ? { cursor } : {}),
      });
      for (const e of page.items) process.stdout.write(`${e.id}\t${e.workflow}\t${e.status}\t${new Date(e.createdAt).toISOString()}\n`);
      if (page.cursor) process.stderr.write(`more: --cursor ${page.cursor}\n`);
      return 0;
    } finally {
      await client.close();
    }
  });
}
