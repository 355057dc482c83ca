/** `reawait cancel <id> [--reason TEXT] [--redis URL]` */
import { CONNECTION_FLAGS, parseArgs, runCommand, UsageError } from './args.js';
import { clientFrom } from './connect.js';

const USAGE = 'cancel <id> [--reason TEXT] [--redis URL]';

export function main(argv: string[]): Promise<number> {
  return runCommand(USAGE, async () => {
    const args = parseArgs(argv, { values: [...CONNECTION_FLAGS, 'reason'] });
    const [id, extra] = args.positionals;
    if (!id) throw new UsageError('the execution id is required');
    if (extra) throw new UsageError(`unexpected argument '${extra}'`);
    const client = clientFrom(args);
    try {
      const handle = await client.get(id);
      if (!handle) {
        process.stderr.write(`reawait: no execution with id '${id}'\n`);
        return 1;
      }
      await handle.cancel(args.values.get('reason'));
      process.stderr.write(`cancel requested for ${id}\n`);
      return 0;
    } finally {
      await client.close();
    }
  });
}
