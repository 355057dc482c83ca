/** `reawait query <id> <name> --workflows <module…>`: the answer of a workflow's expose(name, …), from its saved state, with no worker (options: bin/commands.ts). */
import { importModule } from '../engine/registry.js';
import { toJson, UsageError, type ParsedArgs } from './args.js';
import type { CliIO } from './command.js';
import { withExecution } from './connect.js';

export async function main(args: ParsedArgs, io: CliIO): Promise<number> {
  const [id, name] = args.positionals as [string, string];
  // The query is a closure of the workflow's module: importing the module defines it.
  for (const spec of args.lists.get('workflows') ?? []) {
    try {
      await importModule(spec);
    } catch (e) {
      throw new UsageError(`cannot load workflow module '${spec}': ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  return withExecution(args, id, io, async (handle) => {
    io.out(`${toJson(await handle.query(name), 2)}\n`);
    return 0;
  });
}
