/** The Redis backend: a RedisStore and a BeeQueueQueue on one Redis location. */
import { connect, type RedisInput } from './connection.js';
import { RedisStore } from './redis-store.js';
import { BeeQueueQueue } from './beequeue-queue.js';
import type { Backend } from '../engine/backend.js';

export interface RedisBackendOptions {
  redis: RedisInput;
  /** Key prefix for the store (default 'reawait') and queues (`<prefix>:bq`). */
  prefix?: string;
  /** ms after which a job whose worker stopped heartbeating is redelivered (default 5000). */
  stallInterval?: number;
  historyCap?: number;
  onError?: (error: Error) => void;
}

export function redisBackend(options: RedisBackendOptions, worker: boolean): Backend {
  const conn = connect(options.redis);
  const prefix = options.prefix ?? 'reawait';
  const store = new RedisStore(conn.redis, { prefix, ownsClient: conn.owned, ...(options.historyCap ? { historyCap: options.historyCap } : {}) });
  const queue = new BeeQueueQueue({
    redis: conn.bee,
    prefix: `${prefix}:bq`,
    worker,
    ...(options.stallInterval ? { stallInterval: options.stallInterval } : {}),
    ...(options.onError ? { onError: options.onError } : {}),
  });
  return { store, queue };
}
