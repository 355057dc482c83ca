/** `reawait retry <id>` (options: bin/commands.ts): resume a failed execution from its last suspension on the current code. */
import type { ParsedArgs } from './args.js';
import type { CliIO } from './command.js';
import { withExecution } from './connect.js';

export function main(args: ParsedArgs, io: CliIO): Promise<number> {
  const id = args.positionals[0]!;
  return withExecution(args, id, io, async (handle) => {
    // Not failed, or failed before its first suspension: the error says which (exit 1).
    await handle.retry();
    io.err(`retry of ${id} requested: it resumes from its last suspension on the workers' current code\n`);
    return 0;
  });
}
