/**
 * A backend is a Store and a Queue. Client and Worker take `{ redis }` (the
 * Redis backend), `{ store: 'local', dir }` (the embedded one: no Redis,
 * one SQLite file that several processes may share) or `{ backend }` (any other).
 */
import type { Queue } from '../queue.js';
import type { Store } from '../store.js';
import type { RedisInput } from '../redis/connection.js';
import { parseDuration, type Duration } from '../duration.js';

export interface Backend {
  store: Store;
  queue: Queue;
  /** Resolves once the backend can serve; rejects (RedisUnavailableError) if it cannot within `timeoutMs`. */
  ready?(timeoutMs: number): Promise<void>;
  /** Where it keeps its data, for messages (a Redis URL with the password redacted). */
  address?: string;
  /** What a worker should warn about once at start (e.g. a Redis that keeps nothing on disk). */
  warnings?(): Promise<string[]>;
}

export interface BackendOptions {
  /** Redis URL, ioredis options or an ioredis instance. */
  redis?: RedisInput;
  /** 'local': the embedded backend in `dir` instead of Redis. */
  store?: 'redis' | 'local';
  /** Embedded backend: the data folder (default '.reawait'), holding the database `reawait.db`. Any number of Clients and Workers, in any processes, may open it at once. */
  dir?: string;
  /**
   * Embedded backend: 'FULL' (default) puts every transition on disk before
   * it returns; 'NORMAL' skips that fsync, so a power cut (not a crash of
   * the process) may lose the last transitions, never consistency.
   */
  synchronous?: 'FULL' | 'NORMAL';
  /** Another backend; a function receives whether the caller is a worker. */
  backend?: Backend | ((worker: boolean) => Backend | Promise<Backend>);
  /** Redis key prefix (default 'reawait'). */
  prefix?: string;
  /** ms after which a stalled job (its worker died) is redelivered (default 5000; on the embedded backend, the job lease). */
  stallInterval?: number;
  /**
   * Redis backend: how long a Client call (or a CLI command) waits for an
   * unreachable Redis before it fails with RedisUnavailableError, and how long
   * a worker waits for each connection attempt (default 5000 ms).
   */
  connectTimeoutMs?: number;
  /**
   * How long a completed, failed or cancelled execution is kept after its
   * end (state, history and record), e.g. '7 days' (the default) or '12h';
   * `Infinity` keeps them until `reawait prune`. On Redis its keys expire on
   * their own; workers also prune what is older, on either backend.
   */
  retention?: Duration;
  /** Encoded size limit of args, results, states and signal payloads (default 1 MiB). */
  maxPayloadBytes?: number;
}

export async function openBackend(o: BackendOptions, worker: boolean, onError?: (e: Error) => void): Promise<Backend> {
  if (o.backend) return typeof o.backend === 'function' ? o.backend(worker) : o.backend;
  if (o.store === 'local') {
    if (o.redis !== undefined) throw new TypeError(`reawait: give either { store: 'local', dir } or { redis }, not both`);
    const { sqliteBackend } = await import('../sqlite/backend.js');
    return sqliteBackend({
      ...(o.dir !== undefined ? { dir: o.dir } : {}),
      // A worker checks the whole file before it writes; a client's open stays O(1) (damage it reads is still an error).
      check: worker,
      ...(o.synchronous !== undefined ? { synchronous: o.synchronous } : {}),
      ...(o.stallInterval ? { leaseMs: o.stallInterval } : {}),
      ...(onError ? { onError: (e: unknown) => onError(e instanceof Error ? e : new Error(String(e))) } : {}),
    });
  }
  if (o.store !== undefined && o.store !== 'redis') throw new TypeError(`reawait: unknown store '${String(o.store)}' (use 'redis' or 'local')`);
  if (o.dir !== undefined) throw new TypeError(`reawait: { dir } needs { store: 'local' }`);
  if (o.redis === undefined) throw new TypeError(`reawait: give { redis: URL | options | ioredis }, { store: 'local', dir } or { backend }`);
  const { redisBackend } = await import('../redis/backend.js');
  return redisBackend(
    {
      redis: o.redis,
      ...(o.prefix ? { prefix: o.prefix } : {}),
      ...(o.stallInterval ? { stallInterval: o.stallInterval } : {}),
      ...(o.connectTimeoutMs ? { connectTimeoutMs: o.connectTimeoutMs } : {}),
      retentionMs: retentionMs(o.retention),
      ...(onError ? { onError } : {}),
    },
    worker,
  );
}

export const DEFAULT_RETENTION_MS = 7 * 24 * 3600 * 1000;

/** The retention in ms (Infinity: forever); a clear TypeError for one that is not a duration. */
export function retentionMs(retention: Duration | undefined): number {
  if (retention === undefined) return DEFAULT_RETENTION_MS;
  if (retention === Infinity) return Infinity;
  let ms: number;
  try {
    ms = parseDuration(retention);
  } catch (e) {
    throw new TypeError(`reawait: option retention: ${(e as Error).message}`);
  }
  if (ms <= 0) throw new TypeError(`reawait: option retention must be longer than 0 (Infinity keeps ended executions until pruned), got ${String(retention)}`);
  return ms;
}
