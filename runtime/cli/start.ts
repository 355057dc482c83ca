/** `reawait start <workflow> [--args JSON] [--id ID] [--wait] [--redis URL | --dir DIR]` */
import { CONNECTION_FLAGS, jsonOption, parseArgs, runCommand, toJson, UsageError } from './args.js';
import { clientFrom } from './connect.js';
import type { Description } from '../engine/client-engine.js';
import { describeThrown } from '../thrown.js';

const USAGE = 'start <workflow> [--args JSON] [--id ID] [--wait] [--redis URL | --dir DIR]';

function progress(d: Description): string {
  const where = d.waitingAt ? ` at ${d.waitingAt.file}:${d.waitingAt.line}` : '';
  const calls = d.calls ? ` calls ${d.calls.done}/${d.calls.total}` : '';
  return `${d.status}${where}${calls}`;
}

export function main(argv: string[]): Promise<number> {
  return runCommand(USAGE, async () => {
    const args = parseArgs(argv, { values: [...CONNECTION_FLAGS, 'args', 'id'], booleans: ['wait'] });
    const [workflow, extra] = args.positionals;
    if (!workflow) throw new UsageError('the workflow name is required');
    if (extra) throw new UsageError(`unexpected argument '${extra}'`);
    const wfArgs = jsonOption('args', args.values.get('args'), []);
    if (!Array.isArray(wfArgs)) throw new UsageError('--args must be a JSON array of arguments');
    const id = args.values.get('id');
    const client = clientFrom(args, { createDir: true });
    try {
      const handle = await client.start(workflow, wfArgs, id ? { id } : {});
      process.stderr.write(`started ${workflow} as ${handle.id}\n`);
      if (!args.booleans.has('wait')) {
        process.stdout.write(`${handle.id}\n`);
        return 0;
      }
      let last = '';
      for (;;) {
        const d = await handle.describe();
        const line = progress(d);
        if (line !== last) process.stderr.write(`  ${line}\n`);
        last = line;
        if (d.status === 'completed') {
          process.stdout.write(`${toJson(d.result)}\n`);
          return 0;
        }
        if (d.status === 'failed' || d.status === 'cancelled') {
          const e = d.error; // as thrown: an Error, a string, undefined, …
          process.stderr.write(`${d.status}: ${describeThrown(e)}\n`);
          return 1;
        }
        await new Promise((r) => setTimeout(r, 200));
      }
    } finally {
      await client.close();
    }
  });
}
