/** `reawait signal <id> <name> [--data JSON] [--redis URL | --dir DIR]` */
import { CONNECTION_FLAGS, jsonOption, parseArgs, runCommand, UsageError } from './args.js';
import { withExecution } from './connect.js';

const USAGE = 'signal <id> <name> [--data JSON] [--redis URL | --dir DIR]';

export function main(argv: string[]): Promise<number> {
  return runCommand(USAGE, async () => {
    const args = parseArgs(argv, { values: [...CONNECTION_FLAGS, 'data'] });
    const [id, name, extra] = args.positionals;
    if (!id || !name) throw new UsageError('the execution id and the signal name are required');
    if (extra) throw new UsageError(`unexpected argument '${extra}'`);
    const data = jsonOption('data', args.values.get('data'), undefined);
    return withExecution(args, id, async (handle) => {
      await handle.signal(name, data);
      process.stderr.write(`sent signal '${name}' to ${id}\n`);
      return 0;
    });
  });
}
