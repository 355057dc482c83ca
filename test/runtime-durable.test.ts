import { describe, expect, it } from 'vitest';
import { CancelledError } from '../runtime/index.js';
import { encodeValue } from '../runtime/codec.js';
import { BeeQueueQueue } from '../runtime/redis/beequeue-queue.js';
import { parseRedisUrl } from '../runtime/redis/connection.js';
import { RedisStore } from '../runtime/redis/redis-store.js';
import { WorkerEngine } from '../runtime/engine/worker-engine.js';
import { loadWorkflows } from '../runtime/engine/registry.js';
import type { Queue } from '../runtime/queue.js';
import { useRedisRuntime, workflowModule } from './support/runtime-harness.js';

const h = useRedisRuntime();

const SOURCE = `
import { proxyActivities, sleep, signal, startChild } from 'reawait/workflow';
const acts = proxyActivities<Record<string, (...a: any[]) => Promise<any>>>({});

export async function napper(ms: number) {
  'use workflow';
  const before = Date.now();
  await sleep(ms);
  return Date.now() - before;
}

export async function approval() {
  'use workflow';
  const first = await signal<string>('approve');
  const second = await signal<string>('approve', { timeout: 300 });
  return { first, second };
}

export async function twoSignals() {
  'use workflow';
  const a = await signal<number>('n');
  const b = await signal<number>('n');
  const c = await signal<number>('n');
  return [a, b, c];
}

export async function compensating(label: string) {
  'use workflow';
  const log: string[] = [];
  try {
    await acts.record(label, 'step1');
    log.push('step1');
    await signal('never');
    log.push('unreachable');
  } catch (e) {
    log.push('caught ' + (e as Error).name);
    await acts.record(label, 'undo');
    throw e;
  } finally {
    log.push('finally');
    await acts.record(label, 'finally:' + log.join('|'));
  }
}

export async function child(x: number) {
  'use workflow';
  const y = await acts.double(x);
  if (y > 100) throw new RangeError('too big: ' + y);
  return y;
}

export async function parent(xs: number[]) {
  'use workflow';
  const results = await Promise.all(xs.map((x) => startChild(child, [x])));
  let failed = '';
  try {
    await startChild(child, [1000]);
  } catch (e) {
    failed = (e as Error).name + ': ' + (e as Error).message;
  }
  return { results, failed };
}

export async function sleepyChild() {
  'use workflow';
  try {
    await signal('never');
  } finally {
    await acts.record('child', 'compensated');
  }
}

export async function sleepyParent() {
  'use workflow';
  return await startChild(sleepyChild, []);
}

export async function inspectMe(n: number) {
  'use workflow';
  const label = 'batch-' + n;
  const items = [n, n + 1, n + 2];
  const got = await Promise.all([acts.double(items[0]), acts.slow(400, 'x'), acts.slow(400, 'y')]);
  return { label, got };
}
`;

/** 1-based line of the first source line containing `text`. */
const lineOf = (text: string): number => SOURCE.split('\n').findIndex((l) => l.includes(text)) + 1;

const recorded: string[] = [];
const activities = {
  async double(x: number) {
    return x * 2;
  },
  async slow(ms: number, v: string) {
    await new Promise((r) => setTimeout(r, ms));
    return v;
  },
  async record(label: string, what: string) {
    recorded.push(`${label}:${what}`);
  },
};

async function setup() {
  const mod = await workflowModule(SOURCE, 'durable');
  const prefix = h.prefix();
  const worker = await h.worker({ prefix, workflows: mod, activities, concurrency: 10 });
  return { mod, prefix, worker, client: h.client(prefix) };
}

describe('durable timers, signals, cancel and children', () => {
  it('keeps a sleep as a timer in Redis that fires after the worker is stopped and restarted', async () => {
    const { mod, prefix, worker, client } = await setup();
    const handle = await client.start(mod.napper as never, [800] as never);
    // wait until it suspended at the sleep, then stop the worker
    await expect.poll(async () => (await handle.describe()).status, { timeout: 5000 }).toBe('waiting');
    await worker.close(1000);
    const delayed = await h.redis.zrange(`${prefix}:bq:timers:delayed`, 0, -1, 'WITHSCORES');
    expect(delayed[0]).toBe(`${handle.id}:1:0`);
    expect(Number(delayed[1])).toBeGreaterThan(Date.now());
    await new Promise((r) => setTimeout(r, 1000)); // due while no worker runs
    expect((await handle.describe()).status).toBe('waiting');
    await h.worker({ prefix, workflows: mod, activities });
    const slept = (await handle.result({ timeoutMs: 10_000 })) as number;
    expect(slept).toBeGreaterThanOrEqual(800);
    const d = await handle.describe();
    expect(d.history.map((e) => e.type)).toContain('timer fired');
  });

  it('buffers a signal sent before the wait, and resolves a timed-out signal to undefined', async () => {
    const { mod, client } = await setup();
    const handle = await client.start(mod.approval as never, [] as never, { id: 'approval-1' });
    await handle.signal('approve', 'early'); // may arrive before the workflow waits: buffered
    expect(await handle.result({ timeoutMs: 10_000 })).toEqual({ first: 'early', second: undefined });
    const types = (await handle.describe()).history.map((e) => e.type);
    expect(types).toContain('signal timed out');
  });

  it('delivers several signals of one name in order, buffered while the workflow is busy', async () => {
    const { mod, client } = await setup();
    const handle = await client.start(mod.twoSignals as never, [] as never);
    await handle.signal('n', 1);
    await handle.signal('n', 2);
    await handle.signal('n', 3);
    expect(await handle.result({ timeoutMs: 10_000 })).toEqual([1, 2, 3]);
    await expect(handle.signal('n', 4)).rejects.toThrow(/already ended/);
  });

  it('cancels: the workflow sees CancelledError at its await and compensates with activities', async () => {
    const { mod, client } = await setup();
    const handle = await client.start(mod.compensating as never, ['c1'] as never);
    await expect.poll(async () => (await handle.describe()).waitingAt?.line, { timeout: 5000 }).toBe(lineOf("await signal('never')"));
    await handle.cancel('user asked');
    const err = await handle.result({ timeoutMs: 10_000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CancelledError);
    expect((err as Error).message).toBe('user asked');
    expect(recorded.filter((r) => r.startsWith('c1:'))).toEqual(['c1:step1', 'c1:undo', 'c1:finally:step1|caught CancelledError|finally']);
    const d = await handle.describe();
    expect(d.status).toBe('cancelled');
    expect(d.history.map((e) => e.type)).toContain('cancel requested');
  });

  it('drops queued calls of a cancelled execution', async () => {
    const mod = await workflowModule(SOURCE, 'durable');
    const prefix = h.prefix();
    const client = h.client(prefix);
    let release!: () => void;
    const blocked = new Promise<void>((r) => (release = r));
    const ran: string[] = [];
    // one activity at a time: double() blocks, so both slow() calls stay queued
    await h.worker({
      prefix,
      workflows: mod,
      concurrency: 1,
      activities: { double: async (x: number) => (await blocked, x * 2), slow: async (_ms: number, v: string) => (ran.push(v), v) },
    });
    const handle = await client.start(mod.inspectMe as never, [1] as never);
    await expect.poll(async () => (await handle.describe()).status, { timeout: 5000 }).toBe('waiting');
    await handle.cancel();
    await expect(handle.result({ timeoutMs: 10_000 })).rejects.toBeInstanceOf(CancelledError);
    release();
    await new Promise((r) => setTimeout(r, 300));
    expect(ran).toEqual([]);
    expect((await handle.describe()).status).toBe('cancelled');
  });

  it('aborts the AbortSignal of a running activity when its execution is cancelled', async () => {
    const mod = await workflowModule(SOURCE, 'durable');
    const prefix = h.prefix();
    let started = false;
    let aborted: unknown;
    const { activityContext } = await import('../runtime/index.js');
    await h.worker({
      prefix,
      workflows: mod,
      liveCheckMs: 50,
      activities: {
        ...activities,
        slow: async () => {
          started = true;
          const { signal } = activityContext();
          await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()));
          aborted = signal.reason;
        },
      },
    });
    const client = h.client(prefix);
    const handle = await client.start(mod.inspectMe as never, [1] as never);
    await expect.poll(() => started, { timeout: 5000 }).toBe(true);
    await handle.cancel();
    await expect(handle.result({ timeoutMs: 5000 })).rejects.toBeInstanceOf(CancelledError);
    await expect.poll(() => aborted, { timeout: 5000 }).toBeInstanceOf(CancelledError);
  });

  it('close() is graceful: a running call finishes and is settled, not run again', async () => {
    const mod = await workflowModule(SOURCE, 'durable');
    const prefix = h.prefix();
    let runs = 0;
    const slowDouble = async (x: number) => (runs++, await new Promise((r) => setTimeout(r, 300)), x * 2);
    const w = await h.worker({ prefix, workflows: mod, activities: { double: slowDouble } });
    const client = h.client(prefix);
    const handle = await client.start(mod.child as never, [4] as never);
    await expect.poll(() => runs, { timeout: 5000, interval: 10 }).toBe(1);
    await w.close(5000);
    expect((await handle.describe()).status).toBe('ready'); // settled before close returned; the resume waits for a worker
    await h.worker({ prefix, workflows: mod, activities: { double: slowDouble } });
    expect(await handle.result({ timeoutMs: 5000 })).toBe(8);
    expect(runs).toBe(1);
  });

  it('runs child workflows as separate executions and awaits their results and errors', async () => {
    const { mod, client } = await setup();
    const handle = await client.start(mod.parent as never, [[1, 2, 3]] as never, { id: 'parent-1' });
    expect(await handle.result({ timeoutMs: 10_000 })).toEqual({ results: [2, 4, 6], failed: 'RangeError: too big: 2000' });
    const children = (await client.list({ workflow: 'child' })).items.map((i) => i.id).sort();
    expect(children).toEqual(['parent-1:1:0', 'parent-1:1:1', 'parent-1:1:2', 'parent-1:2:0']);
    const d = await (await client.get('parent-1:1:0'))!.describe();
    expect(d.parent).toEqual({ id: 'parent-1', slot: 0 });
    expect(d.result).toBe(2);
  });

  it('ignores duplicate and late deliveries of every job kind', async () => {
    const mod = await workflowModule(SOURCE, 'durable');
    const prefix = h.prefix();
    let runs = 0;
    await h.worker({ prefix, workflows: mod, activities: { double: async (x: number) => (runs++, x * 2) } });
    const client = h.client(prefix);
    const handle = await client.start(mod.child as never, [3] as never);
    expect(await handle.result({ timeoutMs: 5000 })).toBe(6);
    const before = await handle.describe();
    const pusher = new BeeQueueQueue({ redis: parseRedisUrl(h.url), prefix: `${prefix}:bq`, worker: false });
    for (let i = 0; i < 2; i++) {
      await pusher.pushResume({ executionId: handle.id, rev: 0 });
      await pusher.pushResume({ executionId: handle.id, rev: 1 });
      await pusher.pushActivities([{ executionId: handle.id, rev: 1, slot: 0, activity: 'double', args: encodeValue([3]), options: {} }]);
      await pusher.pushTimers([{ job: { executionId: handle.id, rev: 1, slot: 0, kind: 'sleep' }, at: Date.now() }]);
    }
    await new Promise((r) => setTimeout(r, 500));
    await pusher.close();
    expect(runs).toBe(1);
    const after = await handle.describe();
    expect(after.history).toEqual(before.history);
    expect(after.result).toBe(6);
  });

  it('cancelling a parent cancels the child it waits for', async () => {
    const { mod, client } = await setup();
    const handle = await client.start(mod.sleepyParent as never, [] as never, { id: 'cp' });
    await expect.poll(async () => (await client.get('cp:1:0'))?.describe().then((d) => d.status), { timeout: 5000 }).toBe('waiting');
    await handle.cancel('stop all');
    await expect(handle.result({ timeoutMs: 5000 })).rejects.toBeInstanceOf(CancelledError);
    const child = (await client.get('cp:1:0'))!;
    await expect(child.result({ timeoutMs: 5000 })).rejects.toThrow('stop all');
    expect(recorded).toContain('child:compensated');
  });

  it('the recovery sweep re-pushes a resume and an outbox that a crash dropped', async () => {
    const mod = await workflowModule(SOURCE, 'durable');
    const prefix = h.prefix();
    const store = new RedisStore(h.redis, { prefix, ownsClient: false });
    // A worker that "crashes" after each commit: every push is lost.
    const lost: string[] = [];
    const dropping: Queue = {
      pushActivities: async (jobs) => void lost.push(...jobs.map((j) => `call ${j.activity}`)),
      pushResume: async (j) => void lost.push(`resume ${j.rev}`),
      pushTimers: async () => {},
      process: async () => {},
      close: async () => {},
    };
    const engine = new WorkerEngine({ store, queue: dropping, workflows: await loadWorkflows([mod]), activities: new Map(), concurrency: 1, maxPayloadBytes: 1 << 20, sweepIntervalMs: 0, onError: () => {} });
    await store.create({ id: 'lost-outbox', workflow: 'inspectMe', version: '', args: encodeValue([2]) });
    await engine.resume({ executionId: 'lost-outbox', rev: 0 });
    // dispatch ran against the dropping queue but a crash before clearDispatch leaves the flag set:
    await h.redis.hset(`${prefix}:{lost-outbox}:x`, 'dispatch', 1);
    await h.redis.sadd(`${prefix}:dispatch`, 'lost-outbox');
    expect(lost).toEqual(['call double', 'call slow', 'call slow']);
    expect(await store.load('lost-outbox')).toMatchObject({ status: 'waiting', rev: 1, dispatchPending: 1 });
    // a created execution whose first resume push was lost
    await store.create({ id: 'lost-resume', workflow: 'child', version: '', args: encodeValue([7]) });
    await h.worker({ prefix, workflows: mod, activities });
    const client = h.client(prefix);
    expect(await (await client.get('lost-outbox'))!.result({ timeoutMs: 5000 })).toEqual({ label: 'batch-2', got: [4, 'x', 'y'] });
    expect(await (await client.get('lost-resume'))!.result({ timeoutMs: 5000 })).toBe(14);
  });

  it('starts idempotently by id', async () => {
    const { mod, client } = await setup();
    const a = await client.start(mod.child as never, [5] as never, { id: 'same-id' });
    const b = await client.start(mod.child as never, [6] as never, { id: 'same-id' });
    expect(b.id).toBe(a.id);
    expect(await b.result({ timeoutMs: 10_000 })).toBe(10);
    expect((await client.list({ workflow: 'child' })).items.filter((i) => i.id === 'same-id')).toHaveLength(1);
  });

  it('describes a waiting execution: source line, live locals, calls done of total', async () => {
    const { mod, client } = await setup();
    const handle = await client.start(mod.inspectMe as never, [4] as never);
    await expect.poll(async () => (await handle.describe()).calls?.done, { timeout: 5000 }).toBe(1);
    const d = await handle.describe();
    expect(d.status).toBe('waiting');
    expect(d.workflow).toBe('inspectMe');
    expect(d.version).toMatch(/\w+/);
    expect(d.waitingAt).toMatchObject({ fn: 'inspectMe', file: 'test/runtime/durable.ts', line: lineOf('const got = await') });
    expect(d.frames![0]!.locals).toMatchObject({ label: 'batch-4' });
    expect(d.calls).toMatchObject({ mode: 'all', total: 3, done: 1 });
    expect(await handle.result({ timeoutMs: 10_000 })).toEqual({ label: 'batch-4', got: [8, 'x', 'y'] });
  });
});
