/** `reawait cancel <id> [--reason TEXT]` (options: bin/commands.ts) */
import type { ParsedArgs } from './args.js';
import type { CliIO } from './command.js';
import { withExecution } from './connect.js';

export function main(args: ParsedArgs, io: CliIO): Promise<number> {
  const id = args.positionals[0]!;
  return withExecution(args, id, io, async (handle) => {
    // An ended execution rejects (ExecutionEndedError, exit 1); a second cancel is not a success either.
    if ((await handle.cancel(args.values.get('reason'))) === 'already requested') {
      io.err(`reawait: a cancel of ${id} was already requested; it is still being carried out\n`);
      return 1;
    }
    io.err(`cancel requested for ${id}\n`);
    return 0;
  });
}
