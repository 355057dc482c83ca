/**
 * The runtime on the embedded backend, for what only it can show: closing
 * every handle of a folder is a process ending (the in-memory queue is gone),
 * and reopening it recovers from the files alone — a timer due meanwhile
 * fires, a call that was running is pushed again, completed calls are not.
 * Also: Client and Worker of one process share the folder, duplicate jobs
 * are no-ops, corrupt state fails clearly, and a 10,000-call group resumes
 * once. (The behaviour shared with Redis is in runtime-*.test.ts.)
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Client, FolderLockedError, localBackend, Worker } from '../runtime/index.js';
import { encodeValue } from '../runtime/codec.js';
import { fileKey } from '../runtime/local/durable-files.js';
import { callInbox } from '../runtime/local/inbox.js';
import { LocalStore } from '../runtime/local/local-store.js';
import { activities, SOURCE } from './support/durable-workflows.js';
import { activities as groupActivities, SOURCE as GROUP_SOURCE } from './support/group-workflows.js';
import { useLocalRuntime, workflowModule } from './support/runtime-harness.js';

const h = useLocalRuntime();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A Client and a Worker on one folder, closed together (as a process ending would). */
async function open(dir: string, acts: Record<string, unknown> = activities, concurrency = 10) {
  const mod = await workflowModule(SOURCE, 'durable');
  const worker = new Worker({ store: 'local', dir, workflows: mod, activities: acts, concurrency, sweepIntervalMs: 0 });
  await worker.run();
  const client = new Client({ store: 'local', dir });
  return {
    mod,
    client,
    async close(timeoutMs = 1000) {
      await worker.close(timeoutMs);
      await client.close();
    },
  };
}

describe('reopening the folder recovers (the embedded backend)', () => {
  it('a sleep whose time came while the folder was closed fires on reopen', async () => {
    const dir = h.dir(h.prefix());
    const a = await open(dir);
    const handle = await a.client.start(a.mod.napper, [600], { id: 'nap' });
    await expect.poll(async () => (await handle.describe()).status, { timeout: 5000 }).toBe('waiting');
    await a.close();
    await sleep(800); // due while nothing has the folder open
    const b = await open(dir);
    const again = (await b.client.get('nap'))!;
    expect((await again.result({ timeoutMs: 5000 })) as number).toBeGreaterThanOrEqual(600);
    expect((await again.describe()).history.map((e) => e.type)).toContain('timer fired');
    await b.close();
  });

  it('a call running when the process ended runs again after reopen; completed calls do not', async () => {
    const dir = h.dir(h.prefix());
    const runs: string[] = [];
    let hang = true;
    const acts = {
      double: async (x: number) => (runs.push(`double ${x}`), x * 2),
      slow: async (_ms: number, v: string) => {
        runs.push(`slow ${v}`);
        if (hang) await new Promise(() => {}); // still running when the process "dies"
        return v;
      },
    };
    const a = await open(dir, acts);
    const handle = await a.client.start(a.mod.inspectMe, [1], { id: 'mid' });
    await expect.poll(() => runs.length, { timeout: 5000 }).toBe(3);
    await expect.poll(async () => (await handle.describe()).calls?.done, { timeout: 5000 }).toBe(1);
    await a.close(50); // the slow calls never finish: abandoned, as a kill -9 would
    hang = false;
    const b = await open(dir, acts);
    expect(await (await b.client.get('mid'))!.result({ timeoutMs: 5000 })).toEqual({ label: 'batch-1', got: [2, 'x', 'y'] });
    expect(runs.filter((r) => r.startsWith('double'))).toEqual(['double 1']);
    expect(runs.filter((r) => r.startsWith('slow')).sort()).toEqual(['slow x', 'slow x', 'slow y', 'slow y']);
    await b.close();
  });

  it('an execution left ready (its resume not yet run) resumes on open', async () => {
    const dir = h.dir(h.prefix());
    const store = await LocalStore.open({ dir });
    await store.create({ id: 'left-ready', workflow: 'child', version: '', args: encodeValue([21]) });
    await store.close();
    const a = await open(dir);
    expect(await (await a.client.get('left-ready'))!.result({ timeoutMs: 5000 })).toBe(42);
    await a.close();
  });

  it('corrupt state on disk fails the execution with CorruptStateError', async () => {
    const dir = h.dir(h.prefix());
    const a = await open(dir);
    const handle = await a.client.start(a.mod.twoSignals, [], { id: 'corrupt-me' });
    await expect.poll(async () => (await handle.describe()).status, { timeout: 5000 }).toBe('waiting');
    await a.close();
    const file = path.join(dir, 'executions', `${fileKey('corrupt-me')}.json`);
    const doc = JSON.parse(readFileSync(file, 'utf8')) as { state: string };
    doc.state = '{"v":1,"workflow":"twoSignals"';
    writeFileSync(file, JSON.stringify(doc));
    const b = await open(dir);
    const again = (await b.client.get('corrupt-me'))!;
    await again.signal('n', 1);
    const err = (await again.result({ timeoutMs: 5000 }).catch((e: unknown) => e)) as Error;
    expect(err.name).toBe('CorruptStateError');
    expect(err.message).toMatch(/corrupt workflow state: not JSON/);
    await b.close();
  });
});

describe('one folder in one process', () => {
  it('Client and Worker share the backend; another opener of the folder gets the lock error', async () => {
    const dir = h.dir(h.prefix());
    const a = await open(dir);
    const other = (await LocalStore.open({ dir }).catch((e: unknown) => e)) as Error;
    expect(other).toBeInstanceOf(FolderLockedError);
    // a client closing does not stop the worker of the same folder
    const c2 = new Client({ store: 'local', dir });
    await c2.close();
    const handle = await a.client.start(a.mod.child, [5]);
    expect(await handle.result({ timeoutMs: 5000 })).toBe(10);
    await a.close();
    await (await LocalStore.open({ dir })).close(); // every handle closed: the lock is free
  });

  it("the holder's inbox carries out what a client may ask, and refuses anything else", async () => {
    const dir = h.dir(h.prefix());
    const a = await open(dir);
    const handle = await a.client.start(a.mod.child, [4]);
    expect(await handle.result({ timeoutMs: 5000 })).toBe(8);
    const ask = (target: 'store' | 'queue', method: string, args: unknown[]) => callInbox(path.resolve(dir), { target, method, args }, process.pid, 5000);
    expect(await ask('store', 'load', [handle.id])).toMatchObject({ id: handle.id, status: 'completed' });
    expect(await ask('store', 'load', ['nobody'])).toBeUndefined();
    await expect(ask('store', 'close', [])).rejects.toThrow(/does not serve store\.close\(\)/);
    await expect(ask('store', 'commitEnd', [handle.id, 1, {}, []])).rejects.toThrow(/does not serve store\.commitEnd\(\)/);
    await expect(ask('store', 'signal', ['nobody', 'go', encodeValue(1), { t: 0, type: 'signal' }])).rejects.toMatchObject({ name: 'ExecutionNotFoundError' });
    await a.close();
  });

  it('ignores duplicate and late deliveries of every job kind', async () => {
    const dir = h.dir(h.prefix());
    let runs = 0;
    const a = await open(dir, { double: async (x: number) => (runs++, x * 2) });
    const handle = await a.client.start(a.mod.child, [3]);
    expect(await handle.result({ timeoutMs: 5000 })).toBe(6);
    const before = await handle.describe();
    const pusher = await localBackend({ dir });
    for (let i = 0; i < 2; i++) {
      await pusher.queue.pushResume({ executionId: handle.id, rev: 0 });
      await pusher.queue.pushResume({ executionId: handle.id, rev: 1 });
      await pusher.queue.pushActivities([{ executionId: handle.id, op: 1, activity: 'double', args: encodeValue([3]), options: {} }]);
      await pusher.queue.pushTimers([{ job: { executionId: handle.id, op: 1, kind: 'sleep' }, at: Date.now() }]);
    }
    await sleep(200);
    await pusher.store.close();
    expect(runs).toBe(1);
    const after = await handle.describe();
    expect(after.history).toEqual(before.history);
    await a.close();
  });

  it('fans out a group of 10,000 calls and resumes once; the log is compacted after it', async () => {
    const prefix = h.prefix();
    const mod = await workflowModule(GROUP_SOURCE, 'groups');
    await h.worker({ prefix, workflows: mod, activities: groupActivities, concurrency: 100 });
    const client = h.client(prefix);
    const t0 = Date.now();
    const handle = await client.start(mod.sumOfDoubles, [10_000]);
    expect(await handle.result({ timeoutMs: 60_000 })).toBe(10_000 * 9_999);
    const ms = Date.now() - t0;
    const d = await handle.describe();
    expect(d.history.filter((e) => e.type === 'resumed')).toHaveLength(1);
    expect(d.history.filter((e) => e.type === 'call completed').length).toBeGreaterThan(100);
    expect(d.history.length).toBeLessThanOrEqual(200);
    // The result is visible in memory as the end is being written: wait for the write that compacts the log.
    const logLines = () => readFileSync(path.join(h.dir(prefix), 'executions', `${fileKey(handle.id)}.log`), 'utf8').trim().split('\n').length;
    await expect.poll(logLines, { timeout: 5000, interval: 20 }).toBeLessThanOrEqual(200);
    console.log(`embedded backend: 10,000-call group in ${ms} ms`);
  }, 60_000);
});
