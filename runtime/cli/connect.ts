/** The client every Redis-backed subcommand uses: `--redis`, then REDIS_URL, then the default URL. */
import { Client } from '../engine/client.js';
import { redisUrlFrom } from '../redis/connection.js';
import type { ParsedArgs } from './args.js';

export function clientFrom(args: ParsedArgs): Client {
  const prefix = args.values.get('prefix');
  return new Client({ redis: redisUrlFrom(args.values.get('redis')), ...(prefix ? { prefix } : {}) });
}
