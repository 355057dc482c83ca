/** `reawait status <id> [--redis URL | --dir DIR]`: the execution's description as JSON. */
import { CONNECTION_FLAGS, parseArgs, runCommand, toJson, UsageError } from './args.js';
import { withExecution } from './connect.js';

const USAGE = 'status <id> [--redis URL | --dir DIR]';

export function main(argv: string[]): Promise<number> {
  return runCommand(USAGE, async () => {
    const args = parseArgs(argv, { values: [...CONNECTION_FLAGS] });
    const [id] = args.positionals;
    if (!id) throw new UsageError('the execution id is required');
    return withExecution(args, id, async (handle) => {
      process.stdout.write(`${toJson(await handle.describe(), 2)}\n`);
      return 0;
    });
  });
}
