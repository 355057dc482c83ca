/**
 * One Redis location for both clients: ioredis (the store) and bee-queue's
 * bundled node_redis v3 (the queue). bee-queue silently ignores an ioredis
 * instance and falls back to 127.0.0.1:6379, so it always gets plain
 * options derived from the same place.
 */
import { Redis, type RedisOptions } from 'ioredis';

export type RedisInput = string | RedisOptions | Redis;

export interface BeeRedisOptions {
  host: string;
  port: number;
  db: number;
  password?: string;
}

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/** The URL the CLI uses: `--redis`, then REDIS_URL, then the default. */
export function redisUrlFrom(flag: string | undefined): string {
  return flag ?? process.env.REDIS_URL ?? DEFAULT_REDIS_URL;
}

export function parseRedisUrl(url: string): BeeRedisOptions {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new TypeError(`invalid Redis URL '${url}': expected redis://[:password@]host[:port][/db]`);
  }
  if (u.protocol !== 'redis:') throw new TypeError(`invalid Redis URL '${url}': only redis:// is supported`);
  const db = u.pathname && u.pathname !== '/' ? Number(u.pathname.slice(1)) : 0;
  if (!Number.isInteger(db) || db < 0) throw new TypeError(`invalid Redis URL '${url}': database '${u.pathname.slice(1)}' is not a number`);
  const opts: BeeRedisOptions = { host: u.hostname || '127.0.0.1', port: u.port ? Number(u.port) : 6379, db };
  if (u.password) opts.password = decodeURIComponent(u.password);
  return opts;
}

export interface RedisConnection {
  /** The store's client (owned: closed by close() unless it was given). */
  redis: Redis;
  /** Options for every bee-queue instance. */
  bee: BeeRedisOptions;
  /** Whether we created `redis` (and so must quit it). */
  owned: boolean;
}

/** Connection errors surface as failed commands; without a listener ioredis would also print each one. */
function quiet(redis: Redis): Redis {
  redis.on('error', () => {});
  return redis;
}

export function connect(input: RedisInput): RedisConnection {
  if (input instanceof Redis) {
    const o = input.options;
    const bee: BeeRedisOptions = { host: o.host ?? '127.0.0.1', port: o.port ?? 6379, db: o.db ?? 0 };
    if (o.password) bee.password = o.password;
    return { redis: input, bee, owned: false };
  }
  if (typeof input === 'string') {
    const bee = parseRedisUrl(input);
    return { redis: quiet(new Redis({ ...bee, maxRetriesPerRequest: null })), bee, owned: true };
  }
  const bee: BeeRedisOptions = { host: input.host ?? '127.0.0.1', port: input.port ?? 6379, db: input.db ?? 0 };
  if (input.password) bee.password = input.password;
  return { redis: quiet(new Redis({ maxRetriesPerRequest: null, ...input })), bee, owned: true };
}
