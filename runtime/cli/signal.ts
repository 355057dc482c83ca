/** `reawait signal <id> <name> [--data JSON]` (options: bin/commands.ts) */
import { jsonOption, type ParsedArgs } from './args.js';
import type { CliIO } from './command.js';
import { withExecution } from './connect.js';

export function main(args: ParsedArgs, io: CliIO): Promise<number> {
  const [id, name] = args.positionals as [string, string];
  const data = jsonOption('data', args.values.get('data'), undefined);
  return withExecution(args, id, io, async (handle) => {
    await handle.signal(name, data);
    io.err(`sent signal '${name}' to ${id}\n`);
    return 0;
  });
}
