/** `reawait prune [--older-than DURATION]`: remove ended executions (options: bin/commands.ts). */
import { parseDuration, type Duration } from '../duration.js';
import { UsageError, type ParsedArgs } from './args.js';
import type { CliIO } from './command.js';
import { clientFrom } from './connect.js';

export async function main(args: ParsedArgs, io: CliIO): Promise<number> {
  const text = args.values.get('older-than');
  let olderThan = 0;
  if (text !== undefined) {
    try {
      olderThan = parseDuration(text as Duration);
    } catch (e) {
      throw new UsageError(`--older-than: ${(e as Error).message}`);
    }
  }
  const client = clientFrom(args);
  try {
    const n = await client.prune({ olderThan });
    io.out(`${n}\n`);
    io.err(`pruned ${n} execution${n === 1 ? '' : 's'} that ended before ${new Date(Date.now() - olderThan).toISOString()}\n`);
    return 0;
  } finally {
    await client.close();
  }
}
