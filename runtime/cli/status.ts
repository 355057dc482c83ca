/** `reawait status <id> [--redis URL]`: the execution's description as JSON. */
import { CONNECTION_FLAGS, parseArgs, runCommand, toJson, UsageError } from './args.js';
import { clientFrom } from './connect.js';

const USAGE = 'status <id> [--redis URL]';

export function main(argv: string[]): Promise<number> {
  return runCommand(USAGE, async () => {
    const args = parseArgs(argv, { values: [...CONNECTION_FLAGS] });
    const [id] = args.positionals;
    if (!id) throw new UsageError('the execution id is required');
    const client = clientFrom(args);
    try {
      const handle = await client.get(id);
      if (!handle) {
        process.stderr.write(`reawait: no execution with id '${id}'\n`);
        return 1;
      }
      process.stdout.write(`${toJson(await handle.describe(), 2)}\n`);
      return 0;
    } finally {
      await client.close();
    }
  });
}
