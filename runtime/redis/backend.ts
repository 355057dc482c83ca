/** The Redis backend: a RedisStore and a BeeQueueQueue on one Redis location. */
import { connect, DEFAULT_CONNECT_TIMEOUT_MS, RedisUnavailableError, reasonOf, whenReady, type RedisInput } from './connection.js';
import { RedisStore } from './redis-store.js';
import { BeeQueueQueue } from './beequeue-queue.js';
import { bounded, type RedisHealth } from './bounded.js';
import type { Backend } from '../engine/backend.js';
import { persistenceWarning } from './persistence.js';

export interface RedisBackendOptions {
  redis: RedisInput;
  /** Key prefix for the store (default 'reawait') and queues (`<prefix>:bq`). */
  prefix?: string;
  /** ms after which a job whose worker stopped heartbeating is redelivered (default 5000). */
  stallInterval?: number;
  historyCap?: number;
  /** ms an ended execution's keys live (Infinity: until pruned). */
  retentionMs?: number;
  /** A client's calls fail with RedisUnavailableError after waiting this long for an unreachable Redis (default 5000). */
  connectTimeoutMs?: number;
  onError?: (error: Error) => void;
}

export function redisBackend(options: RedisBackendOptions, worker: boolean): Backend {
  const conn = connect(options.redis);
  const prefix = options.prefix ?? 'reawait';
  const retention = options.retentionMs;
  const queue = new BeeQueueQueue({
    redis: conn.bee,
    prefix: `${prefix}:bq`,
    worker,
    ...(options.stallInterval ? { stallInterval: options.stallInterval } : {}),
    ...(options.onError ? { onError: options.onError } : {}),
  });
  const store = new RedisStore(conn.redis, {
    prefix,
    ownsClient: conn.owned,
    ...(options.historyCap ? { historyCap: options.historyCap } : {}),
    ...(retention !== undefined && Number.isFinite(retention) ? { retentionMs: retention } : {}),
    // A worker's commits queue their calls and timers in their own script: no push after each commit.
    ...(worker ? { jobs: queue } : {}),
  });
  const health: RedisHealth = {
    ready: (ms) => whenReady(conn, ms),
    connected: () => conn.redis.status === 'ready' && queue.connected(),
    unavailable: (waited) => new RedisUnavailableError(conn.address, reasonOf(conn.lastError() ?? new Error('no reply')), waited),
  };
  const ready = (ms: number): Promise<void> => whenReady(conn, ms);
  // A worker waits out a Redis restart (its jobs resume after it); a client's caller must hear of it.
  if (worker) return { store, queue, ready, address: conn.address, warnings: async () => [await persistenceWarning(conn.redis, conn.address)].filter((w): w is string => w !== undefined) };
  const timeout = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  return { store: bounded(store, health, timeout), queue: bounded(queue, health, timeout), ready, address: conn.address };
}
