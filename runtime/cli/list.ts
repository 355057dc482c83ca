/** `reawait list [--status S] [--workflow W] [--limit N] [--cursor C]`: one line per execution, a failed one with its error's name (options: bin/commands.ts). */
import type { ExecutionStatus } from '../store.js';
import { choiceOption, intOption, type ParsedArgs } from './args.js';
import type { CliIO } from './command.js';
import { clientFrom } from './connect.js';

const STATUSES: readonly ExecutionStatus[] = ['ready', 'waiting', 'completed', 'failed', 'cancelled'];

export async function main(args: ParsedArgs, io: CliIO): Promise<number> {
  const status = choiceOption('status', args.values.get('status'), STATUSES);
  const workflow = args.values.get('workflow');
  const limit = intOption('limit', args.values.get('limit'));
  const cursor = args.values.get('cursor');
  const client = clientFrom(args);
  try {
    const page = await client.list({
      ...(status ? { status } : {}),
      ...(workflow ? { workflow } : {}),
      ...(limit ? { limit } : {}),
      ...(cursor ? { cursor } : {}),
    });
    // A failed execution's error name comes last (e.g. CorruptStateError).
    for (const e of page.items) io.out(`${e.id}\t${e.workflow}\t${e.status}\t${new Date(e.createdAt).toISOString()}${e.error !== undefined ? `\t${e.error}` : ''}\n`);
    if (page.cursor) io.err(`more: --cursor ${page.cursor}\n`);
    return 0;
  } finally {
    await client.close();
  }
}
