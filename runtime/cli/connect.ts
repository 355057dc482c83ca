/** The client every subcommand uses: `--dir` (an embedded folder), else `--redis`, then REDIS_URL, then the default URL. */
import { Client } from '../engine/client.js';
import { redisUrlFrom } from '../redis/connection.js';
import { UsageError, type ParsedArgs } from './args.js';

export function clientFrom(args: ParsedArgs): Client {
  const dir = args.values.get('dir');
  if (dir !== undefined) {
    if (args.values.has('redis') || args.values.has('prefix')) throw new UsageError('give either --dir (an embedded folder) or --redis/--prefix, not both');
    return new Client({ store: 'local', dir });
  }
  const prefix = args.values.get('prefix');
  return new Client({ redis: redisUrlFrom(args.values.get('redis')), ...(prefix ? { prefix } : {}) });
}
