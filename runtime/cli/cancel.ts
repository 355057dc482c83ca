/** `reawait cancel <id> [--reason TEXT] [--redis URL | --dir DIR]` */
import { CONNECTION_FLAGS, parseArgs, runCommand, UsageError } from './args.js';
import { withExecution } from './connect.js';

const USAGE = 'cancel <id> [--reason TEXT] [--redis URL | --dir DIR]';

export function main(argv: string[]): Promise<number> {
  return runCommand(USAGE, async () => {
    const args = parseArgs(argv, { values: [...CONNECTION_FLAGS, 'reason'] });
    const [id, extra] = args.positionals;
    if (!id) throw new UsageError('the execution id is required');
    if (extra) throw new UsageError(`unexpected argument '${extra}'`);
    return withExecution(args, id, async (handle) => {
      await handle.cancel(args.values.get('reason'));
      process.stderr.write(`cancel requested for ${id}\n`);
      return 0;
    });
  });
}
