/**
 * A private Redis server with child worker processes on it, for the kill -9
 * tests: started before the block's tests (the workflow and activity modules
 * written), every worker and the server stopped after them.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { startChildWorker, writeModule, writeWorkflowModule, type ChildWorker } from './child-worker.js';
import { ensureDist } from './global-setup.js';
import { startRedis, type RedisServer } from './redis-server.js';

export interface RedisWorkers {
  /** The server's URL (valid once the block's tests run). */
  readonly url: string;
  /** A connection to it, for the tests' own keys. */
  readonly redis: Redis;
  /** Start a worker on `prefix`; stopped after the block. */
  worker(prefix: string): Promise<ChildWorker>;
}

/** `name`: the modules' name stem; `workflows`: a workflow source; `activities`: an ESM module's code. */
export function useRedisWorkers(name: string, workflows: string, activities: string, options: { concurrency?: number } = {}): RedisWorkers {
  let server: RedisServer | undefined;
  let redis: Redis | undefined;
  let wfPath = '';
  let actPath = '';
  const workers: ChildWorker[] = [];
  beforeAll(async () => {
    await ensureDist();
    server = await startRedis();
    redis = new Redis(server.url);
    wfPath = writeWorkflowModule(`${name}-workflows`, workflows);
    actPath = writeModule(`${name}-activities`, activities);
  });
  afterAll(async () => {
    for (const w of workers) await w.stop().catch(() => {});
    redis?.disconnect();
    await server?.stop();
  });
  const started = <T>(x: T | undefined): T => {
    if (x === undefined) throw new Error('useRedisWorkers: used before its beforeAll ran');
    return x;
  };
  return {
    get url() {
      return started(server).url;
    },
    get redis() {
      return started(redis);
    },
    async worker(prefix) {
      const w = await startChildWorker({ redis: started(server).url, prefix, workflows: wfPath, activities: actPath, ...(options.concurrency ? { concurrency: options.concurrency } : {}) });
      workers.push(w);
      return w;
    },
  };
}
