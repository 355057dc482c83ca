/**
 * Shared setup of the Redis runtime tests: a private redis-server, workflows
 * compiled from source strings (imported through vitest so that they share
 * the `reawait/workflow` instance with the runtime), and worker/client
 * factories that are all closed after the file.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { Client, Worker, type WorkerOptions } from '../../runtime/index.js';
import { compileAndImport } from './compile-fixture.js';
import { startRedis, type RedisServer } from './redis-server.js';

export interface Harness {
  server: RedisServer;
  url: string;
  /** A plain ioredis connection for assertions. */
  redis: Redis;
  /** A client; give the same prefix as the worker it talks to. */
  client(prefix?: string): Client;
  worker(options: Omit<WorkerOptions, 'redis'>): Promise<Worker>;
  /** A fresh key prefix: one per test keeps tests from serving each other's jobs. */
  prefix(): string;
}

export function useRedisRuntime(options: { appendonly?: boolean } = {}): Harness {
  const closers: (() => Promise<void>)[] = [];
  const h = {} as Harness;
  beforeAll(async () => {
    h.server = await startRedis(options);
    h.url = h.server.url;
    h.redis = new Redis(h.url, { maxRetriesPerRequest: null });
    h.redis.on('error', () => {}); // the restart test takes Redis down on purpose
    h.client = (prefix?: string) => {
      const c = new Client({ redis: h.url, ...(prefix ? { prefix } : {}) });
      closers.push(() => c.close());
      return c;
    };
    let n = 0;
    h.prefix = () => `t${process.pid}-${++n}`;
    h.worker = async (o) => {
      const w = new Worker({ stallInterval: 1000, sweepIntervalMs: 1000, ...o, redis: h.url });
      closers.push(() => w.close(1000));
      await w.run();
      return w;
    };
  });
  afterAll(async () => {
    for (const c of closers.reverse()) await c().catch(() => {});
    h.redis?.disconnect();
    await h.server?.stop();
  });
  return h;
}

const modules = new Map<string, Promise<Record<string, unknown>>>();
/** Compile a workflow module from source (once per name) and import it. */
export function workflowModule(source: string, name: string): Promise<Record<string, unknown>> {
  let m = modules.get(name);
  if (!m) {
    m = compileAndImport(source, `test/runtime/${name}.ts`).then((r) => r.module);
    modules.set(name, m);
  }
  return m;
}
