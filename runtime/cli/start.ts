/** `reawait start <workflow> [--args JSON] [--id ID] [--wait]` (options: bin/commands.ts) */
import { jsonOption, toJson, UsageError, type ParsedArgs } from './args.js';
import type { CliIO } from './command.js';
import { clientFrom } from './connect.js';
import { describeProgress } from './progress.js';
import { describeThrown } from '../thrown.js';

export async function main(args: ParsedArgs, io: CliIO): Promise<number> {
  const workflow = args.positionals[0]!;
  const wfArgs = jsonOption('args', args.values.get('args'), []);
  if (!Array.isArray(wfArgs)) throw new UsageError('--args must be a JSON array of arguments');
  const id = args.values.get('id');
  const client = clientFrom(args, { createDir: true });
  try {
    const handle = await client.start(workflow, wfArgs, id ? { id } : {});
    io.err(`started ${workflow} as ${handle.id}\n`);
    if (!args.booleans.has('wait')) {
      io.out(`${handle.id}\n`);
      return 0;
    }
    let last = '';
    for (;;) {
      const d = await handle.describe();
      const line = describeProgress(d);
      if (line !== last) io.err(`  ${line}\n`);
      last = line;
      if (d.status === 'completed') {
        io.out(`${toJson(d.result)}\n`);
        return 0;
      }
      if (d.status === 'failed' || d.status === 'cancelled') {
        const e = d.error; // as thrown: an Error, a string, undefined, …
        io.err(`${d.status}: ${describeThrown(e)}\n`);
        return 1;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    await client.close();
  }
}
