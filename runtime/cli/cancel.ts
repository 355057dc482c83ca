/** `reawait cancel <id> [--reason TEXT]` (options: bin/commands.ts) */
import type { ParsedArgs } from './args.js';
import type { CliIO } from './command.js';
import { withExecution } from './connect.js';

export function main(args: ParsedArgs, io: CliIO): Promise<number> {
  const id = args.positionals[0]!;
  return withExecution(args, id, io, async (handle) => {
    await handle.cancel(args.values.get('reason'));
    io.err(`cancel requested for ${id}\n`);
    return 0;
  });
}
