/**
 * A backend is a Store and a Queue. Client and Worker take `{ redis }` (the
 * Redis backend) or `{ backend }` (any other, e.g. the embedded one).
 */
import type { Queue } from '../queue.js';
import type { Store } from '../store.js';
import type { RedisInput } from '../redis/connection.js';

export interface Backend {
  store: Store;
  queue: Queue;
}

export interface BackendOptions {
  /** Redis URL, ioredis options or an ioredis instance. */
  redis?: RedisInput;
  /** Another backend; a function receives whether the caller is a worker. */
  backend?: Backend | ((worker: boolean) => Backend | Promise<Backend>);
  /** Redis key prefix (default 'reawait'). */
  prefix?: string;
  /** Redis backend: ms after which a stalled job is redelivered (default 5000). */
  stallInterval?: number;
  /** Encoded size limit of args, results, states and signal payloads (default 1 MiB). */
  maxPayloadBytes?: number;
}

export async function openBackend(o: BackendOptions, worker: boolean, onError?: (e: Error) => void): Promise<Backend> {
  if (o.backend) return typeof o.backend === 'function' ? o.backend(worker) : o.backend;
  if (o.redis === undefined) throw new TypeError(`reawait: give { redis: URL | options | ioredis } or { backend }`);
  const { redisBackend } = await import('../redis/backend.js');
  return redisBackend(
    {
      redis: o.redis,
      ...(o.prefix ? { prefix: o.prefix } : {}),
      ...(o.stallInterval ? { stallInterval: o.stallInterval } : {}),
      ...(onError ? { onError } : {}),
    },
    worker,
  );
}
