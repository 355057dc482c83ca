/** `reawait status <id>`: the execution's description as JSON (options: bin/commands.ts). */
import { toJson, type ParsedArgs } from './args.js';
import type { CliIO } from './command.js';
import { withExecution } from './connect.js';

export function main(args: ParsedArgs, io: CliIO): Promise<number> {
  return withExecution(args, args.positionals[0]!, io, async (handle) => {
    io.out(`${toJson(await handle.describe(), 2)}\n`);
    return 0;
  });
}
