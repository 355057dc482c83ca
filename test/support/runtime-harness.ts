/**
 * Shared setup of the runtime tests, for either backend: Redis (a private
 * redis-server) or the embedded one (a temporary folder per prefix).
 * Workflows are compiled from source strings (imported through vitest so
 * that they share the `reawait/workflow` instance with the runtime); worker
 * and client factories are all closed after the file.
 */
import { Redis } from 'ioredis';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { Client, Worker, type BackendOptions, type WorkerOptions } from '../../runtime/index.js';
import { compileAndImport } from './compile-fixture.js';
import { startRedis, type RedisServer } from './redis-server.js';

export type BackendKind = 'redis' | 'local';
export const BACKENDS: readonly BackendKind[] = ['redis', 'local'];

/** What the behavioural suites need, whatever the backend. */
export interface RuntimeHarness {
  kind: BackendKind;
  /** Backend options for `prefix`: a Redis key prefix, or an embedded folder of its own. */
  backend(prefix: string): BackendOptions;
  client(prefix?: string): Client;
  worker(options: Omit<WorkerOptions, 'redis'>): Promise<Worker>;
  /** A fresh prefix: one per test keeps tests from serving each other's jobs. */
  prefix(): string;
}

/** The runtime harness of `kind`; the Redis one is useRedisRuntime(). */
export function useRuntime(kind: BackendKind): RuntimeHarness {
  if (kind === 'redis') {
    const h = useRedisRuntime();
    return Object.assign(h, { kind, backend: (prefix: string): BackendOptions => ({ redis: h.url, prefix }) });
  }
  return useLocalRuntime();
}

/** The embedded backend: prefix `p` is the folder `<tmp>/p`. */
export function useLocalRuntime(): RuntimeHarness & { root: string; dir(prefix: string): string } {
  const closers: (() => Promise<void>)[] = [];
  const root = mkdtempSync(path.join(tmpdir(), 'reawait-local-'));
  let n = 0;
  const dir = (prefix: string) => path.join(root, prefix);
  const backend = (prefix: string): BackendOptions => ({ store: 'local', dir: dir(prefix) });
  const h = {
    kind: 'local' as const,
    root,
    dir,
    backend,
    prefix: () => `t${++n}`,
    client(prefix?: string) {
      const c = new Client(backend(prefix ?? 'default'));
      closers.push(() => c.close());
      return c;
    },
    async worker(o: Omit<WorkerOptions, 'redis'>) {
      const { prefix, ...rest } = o;
      const w = new Worker({ sweepIntervalMs: 1000, ...rest, ...backend(prefix ?? 'default') });
      closers.push(() => w.close(1000));
      await w.run();
      return w;
    },
  };
  afterAll(async () => {
    for (const c of closers.reverse()) await c().catch(() => {});
    rmSync(root, { recursive: true, force: true });
  });
  return h;
}

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

/** A compiled workflow of a test's source string (its own types are not known here). */
export type SourceWorkflow = (...args: any[]) => Promise<unknown>; // any: the source's types are not known here

const modules = new Map<string, Promise<Record<string, SourceWorkflow>>>();
/** Compile a workflow module from source (once per name) and import it. */
export function workflowModule(source: string, name: string): Promise<Record<string, SourceWorkflow>> {
  let m = modules.get(name);
  if (!m) {
    m = compileAndImport(source, `test/runtime/${name}.ts`).then((r) => r.module as Record<string, SourceWorkflow>);
    modules.set(name, m);
  }
  return m;
}
