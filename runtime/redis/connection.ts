/**
 * One Redis location for both clients: ioredis (the store) and bee-queue's
 * bundled node_redis v3 (the queue). bee-queue silently ignores an ioredis
 * instance and falls back to 127.0.0.1:6379, so it always gets plain
 * options derived from the same place: host, port, db, ACL user, password
 * and TLS options reach both connections, or neither.
 *
 * Connection problems are values the caller can catch (RedisUnavailableError,
 * naming the address with the password redacted), never an unhandled
 * 'error' event: every client we create has a listener from birth.
 */
import type { ConnectionOptions } from 'node:tls';
import { Redis, type RedisOptions } from 'ioredis';

export type RedisInput = string | RedisOptions | Redis;

/** Where Redis is and how to log in: what both clients are built from. */
export interface RedisLocation {
  host: string;
  port: number;
  db: number;
  /** ACL user name (Redis 6+); absent: the default user. */
  username?: string;
  password?: string;
  /** TLS options (`rediss://` gives `{}`); absent: plaintext. */
  tls?: ConnectionOptions;
}

/** node_redis v3 options (what bee-queue passes to redis.createClient). */
export interface BeeRedisOptions {
  host: string;
  port: number;
  db: number;
  password?: string;
  /** node_redis 3.1 sends `AUTH user password` when set. */
  user?: string;
  tls?: ConnectionOptions;
}

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

export { DEFAULT_CONNECT_TIMEOUT_MS, RedisUnavailableError } from './unavailable.js';
import { RedisUnavailableError } from './unavailable.js';

/** The URL the CLI uses: `--redis`, then REDIS_URL, then the default. */
export function redisUrlFrom(flag: string | undefined): string {
  return flag ?? process.env.REDIS_URL ?? DEFAULT_REDIS_URL;
}

/** `url` with its password replaced by `***` (also for a URL that does not parse). */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url.replace(/\/\/([^/@]*?):([^/@]*)@/, '//$1:***@');
  }
}

/** The address of a location for messages: `redis[s]://[user[:***]@]host:port/db`. */
export function describeLocation(loc: RedisLocation): string {
  const auth = loc.username || loc.password ? `${loc.username ?? ''}${loc.password ? ':***' : ''}@` : '';
  return `${loc.tls ? 'rediss' : 'redis'}://${auth}${loc.host}:${loc.port}/${loc.db}`;
}

export function parseRedisUrl(url: string): RedisLocation {
  const shown = redactUrl(url);
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new TypeError(`invalid Redis URL '${shown}': expected redis[s]://[[user]:password@]host[:port][/db]`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new TypeError(`invalid Redis URL '${shown}': the scheme must be redis:// or rediss:// (TLS), got ${u.protocol}//`);
  const dbText = u.pathname && u.pathname !== '/' ? u.pathname.slice(1) : '0';
  const db = Number(dbText);
  if (!/^\d+$/.test(dbText) || !Number.isInteger(db)) throw new TypeError(`invalid Redis URL '${shown}': database '${dbText}' is not a number`);
  const port = u.port ? Number(u.port) : 6379;
  // URL keeps IPv6 hosts in brackets; sockets want them bare.
  const host = (u.hostname || '127.0.0.1').replace(/^\[(.*)\]$/, '$1');
  const loc: RedisLocation = { host, port, db };
  if (u.username) loc.username = decodeURIComponent(u.username);
  if (u.password) loc.password = decodeURIComponent(u.password);
  if (u.protocol === 'rediss:') loc.tls = {};
  return loc;
}

/** The location of ioredis options (or of an instance's options). */
function locationOf(o: RedisOptions): RedisLocation {
  const loc: RedisLocation = { host: o.host ?? '127.0.0.1', port: o.port ?? 6379, db: o.db ?? 0 };
  if (o.username) loc.username = o.username;
  if (o.password) loc.password = o.password;
  if (o.tls) loc.tls = o.tls;
  return loc;
}

export function beeOptions(loc: RedisLocation): BeeRedisOptions {
  const bee: BeeRedisOptions = { host: loc.host, port: loc.port, db: loc.db };
  if (loc.password !== undefined) bee.password = loc.password;
  if (loc.username !== undefined) bee.user = loc.username;
  // node_redis hands these to tls.connect without a servername; name the host so certificates for it verify.
  if (loc.tls) bee.tls = { servername: loc.host, ...loc.tls };
  return bee;
}

function ioredisOptions(loc: RedisLocation): RedisOptions {
  const o: RedisOptions = { host: loc.host, port: loc.port, db: loc.db };
  if (loc.username !== undefined) o.username = loc.username;
  if (loc.password !== undefined) o.password = loc.password;
  if (loc.tls) o.tls = loc.tls;
  return o;
}

export interface RedisConnection {
  /** The store's client (owned: closed by close() unless it was given). */
  redis: Redis;
  /** Options for every bee-queue instance. */
  bee: BeeRedisOptions;
  /** Whether we created `redis` (and so must quit it). */
  owned: boolean;
  /** For messages: the location with the password redacted. */
  address: string;
  /** The last connection error seen (why it is not ready). */
  lastError(): Error | undefined;
}

/**
 * Commands wait out a reconnect (the bound is bounded.ts's, per call); a
 * socket that never opened must not hold the process for ioredis' 2 s
 * disconnect timer.
 */
const OWNED_DEFAULTS: RedisOptions = { maxRetriesPerRequest: null, disconnectTimeout: 200 };

export function connect(input: RedisInput): RedisConnection {
  let redis: Redis;
  let loc: RedisLocation;
  let owned = true;
  if (input instanceof Redis) {
    loc = locationOf(input.options);
    redis = input;
    owned = false;
  } else if (typeof input === 'string') {
    loc = parseRedisUrl(input);
    redis = new Redis({ ...ioredisOptions(loc), ...OWNED_DEFAULTS });
  } else {
    loc = locationOf(input);
    redis = new Redis({ ...OWNED_DEFAULTS, ...input });
  }
  // Errors become failed calls (RedisUnavailableError): without a listener each would be an unhandled 'error' event.
  let last: Error | undefined;
  redis.on('error', (e: Error) => (last = e));
  redis.on('ready', () => (last = undefined));
  return { redis, bee: beeOptions(loc), owned, address: describeLocation(loc), lastError: () => last };
}

/** A short reason for a connection error (no stack, no password: messages from ioredis and node_redis never hold it). */
export function reasonOf(e: Error | undefined): string {
  if (!e) return 'no connection yet';
  const code = (e as { code?: string }).code;
  return code && !e.message.includes(code) ? `${code}: ${e.message}` : e.message;
}

/**
 * Resolves once `conn` is ready; rejects with RedisUnavailableError if it is
 * not within `timeoutMs`. An authentication failure fails at once: retrying
 * will not fix a wrong password.
 */
export function whenReady(conn: RedisConnection, timeoutMs: number): Promise<void> {
  const { redis } = conn;
  if (redis.status === 'ready') return Promise.resolve();
  if (redis.status === 'end') return Promise.reject(new RedisUnavailableError(conn.address, 'the connection was closed'));
  if (redis.status === 'wait') redis.connect().catch(() => {});
  const started = Date.now();
  return new Promise<void>((resolve, reject) => {
    const done = (): void => {
      clearTimeout(timer);
      redis.off('ready', onReady);
      redis.off('error', onError);
    };
    const onReady = (): void => {
      done();
      resolve();
    };
    const onError = (e: Error): void => {
      if (!isAuthError(e)) return;
      done();
      reject(new RedisUnavailableError(conn.address, reasonOf(e)));
    };
    const timer = setTimeout(() => {
      done();
      reject(new RedisUnavailableError(conn.address, reasonOf(conn.lastError()), Date.now() - started));
    }, timeoutMs);
    redis.on('ready', onReady);
    redis.on('error', onError);
    const last = conn.lastError();
    if (last && isAuthError(last)) onError(last);
  });
}

export function isAuthError(e: Error): boolean {
  return /WRONGPASS|NOAUTH|NOPERM|invalid password|invalid username/i.test(e.message);
}
