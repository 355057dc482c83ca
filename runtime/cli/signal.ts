/** `reawait signal <id> <name> [--data JSON] [--redis URL]` */
import { CONNECTION_FLAGS, jsonOption, parseArgs, runCommand, UsageError } from './args.js';
import { clientFrom } from './connect.js';

const USAGE = 'signal <id> <name> [--data JSON] [--redis URL]';

export function main(argv: string[]): Promise<number> {
  return runCommand(USAGE, async () => {
    const args = parseArgs(argv, { values: [...CONNECTION_FLAGS, 'data'] });
    const [id, name, extra] = args.positionals;
    if (!id || !name) throw new UsageError('the execution id and the signal name are required');
    if (extra) throw new UsageError(`unexpected argument '${extra}'`);
    const data = jsonOption('data', args.values.get('data'), undefined);
    const client = clientFrom(args);
    try {
      const handle = await client.get(id);
      if (!handle) {
        process.stderr.write(`reawait: no execution with id '${id}'\n`);
        return 1;
      }
      await handle.signal(name, data);
      process.stderr.write(`sent signal '${name}' to ${id}\n`);
      return 0;
    } finally {
      await client.close();
    }
  });
}
