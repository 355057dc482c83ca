/**
 * The runtime on the embedded backend (SQLite), for what only it can show:
 * closing every Worker and Client of a database is a process ending, and
 * reopening it recovers from the file alone — a timer due meanwhile fires,
 * a call that was running runs again, completed calls do not. Also:
 * several Clients and Workers on one file, duplicate jobs are no-ops,
 * corrupt state fails clearly and keeps the state, and a 10,000-call group
 * resumes once. (The behaviour shared with Redis is in runtime-*.test.ts.)
 */
import Database from 'better-sqlite3';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Client, Worker } from '../runtime/index.js';
import { encodeValue } from '../runtime/codec.js';
import { sqliteBackend } from '../runtime/sqlite/backend.js';
import { main as listCommand } from '../runtime/cli/list.js';
import { activities, SOURCE } from './support/durable-workflows.js';
import { activities as groupActivities, SOURCE as GROUP_SOURCE } from './support/group-workflows.js';
import { useLocalRuntime, workflowModule } from './support/runtime-harness.js';

const h = useLocalRuntime();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A Client and a Worker on one folder, closed together (as a process ending would). */
async function open(dir: string, acts: Record<string, unknown> = activities, concurrency = 10, stallInterval?: number) {
  const mod = await workflowModule(SOURCE, 'durable');
  const worker = new Worker({ store: 'local', dir, workflows: mod, activities: acts, concurrency, sweepIntervalMs: 0, ...(stallInterval ? { stallInterval } : {}) });
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
    const { store } = sqliteBackend({ dir });
    await store.create({ id: 'left-ready', workflow: 'child', version: '', args: encodeValue([21]) });
    await store.close();
    const a = await open(dir);
    expect(await (await a.client.get('left-ready'))!.result({ timeoutMs: 5000 })).toBe(42);
    await a.close();
  });

  it('corrupt state in the database fails the execution with CorruptStateError, and the damaged state is kept', async () => {
    const dir = h.dir(h.prefix());
    const a = await open(dir);
    const handle = await a.client.start(a.mod.twoSignals, [], { id: 'corrupt-me' });
    await expect.poll(async () => (await handle.describe()).status, { timeout: 5000 }).toBe('waiting');
    await a.close();
    const db = new Database(path.join(dir, 'reawait.db'));
    db.prepare(`UPDATE states SET state = '{"v":1,"workflow":"twoSignals"' WHERE seq = (SELECT seq FROM executions WHERE id = 'corrupt-me')`).run();
    db.close();
    const b = await open(dir);
    const again = (await b.client.get('corrupt-me'))!;
    await again.signal('n', 1);
    const err = (await again.result({ timeoutMs: 5000 }).catch((e: unknown) => e)) as Error;
    expect(err.name).toBe('CorruptStateError');
    expect(err.message).toMatch(/corrupt workflow state: not JSON/);
    expect((await again.describe()).error).toMatchObject({ name: 'CorruptStateError' }); // what status shows
    expect((await b.client.list({ status: 'failed' })).items).toEqual([expect.objectContaining({ id: 'corrupt-me', status: 'failed', error: 'CorruptStateError' })]);
    // and what `reawait list --dir` prints
    let out = '';
    const code = await listCommand({ argv: [], positionals: [], values: new Map([['dir', dir]]), lists: new Map(), booleans: new Set() }, { out: (t) => void (out += t), err: () => {} });
    expect(code).toBe(0);
    expect(out).toMatch(/^corrupt-me\ttwoSignals\tfailed\t\S+\tCorruptStateError$/m);
    await b.close();
    // the data is kept as it was (until the execution is pruned)
    const kept = new Database(path.join(dir, 'reawait.db'), { readonly: true });
    expect(kept.prepare(`SELECT state FROM states WHERE seq = (SELECT seq FROM executions WHERE id = 'corrupt-me')`).get()).toEqual({ state: '{"v":1,"workflow":"twoSignals"' });
    kept.close();
  });
});

describe('one database, several openers', () => {
  it('two Workers and two Clients on one file: every execution completes, each call runs once', async () => {
    const dir = h.dir(h.prefix());
    const calls = new Map<number, number>();
    const acts = { double: async (x: number) => (calls.set(x, (calls.get(x) ?? 0) + 1), x * 2) };
    const a = await open(dir, acts, 2);
    const b = await open(dir, acts, 2);
    const handles = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).client.start(a.mod.child, [i])));
    expect(await Promise.all(handles.map((hd) => hd.result({ timeoutMs: 20_000 })))).toEqual(Array.from({ length: 20 }, (_, i) => i * 2));
    expect([...calls.values()].every((n) => n === 1)).toBe(true);
    expect(calls.size).toBe(20);
    await a.close();
    await b.close();
  });

  it('a call running longer than its lease keeps it (renewed while it runs): another worker on the file never runs it too', async () => {
    const dir = h.dir(h.prefix());
    let runs = 0;
    const slow = { double: async (x: number) => (runs++, await sleep(4500), x * 2) };
    // leases of 1.5 s, renewed every 0.5 s; the call takes 4.5 s
    const a = await open(dir, slow, 2, 1500);
    const b = await open(dir, slow, 2, 1500);
    const handle = await a.client.start(a.mod.child, [21]);
    expect(await handle.result({ timeoutMs: 30_000 })).toBe(42);
    expect(runs).toBe(1);
    await a.close();
    await b.close();
  });

  it('ignores duplicate and late deliveries of every job kind', async () => {
    const dir = h.dir(h.prefix());
    let runs = 0;
    const a = await open(dir, { double: async (x: number) => (runs++, x * 2) });
    const handle = await a.client.start(a.mod.child, [3]);
    expect(await handle.result({ timeoutMs: 5000 })).toBe(6);
    const before = await handle.describe();
    const pusher = sqliteBackend({ dir });
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

  it('fans out a group of 10,000 calls and resumes once; the history stays capped', async () => {
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
    const db = new Database(path.join(h.dir(prefix), 'reawait.db'), { readonly: true });
    expect((db.prepare('SELECT count(*) AS n FROM history WHERE k >> 32 = (SELECT seq FROM executions WHERE id = ?)').get(handle.id) as { n: number }).n).toBeLessThanOrEqual(232);
    db.close();
    console.log(`embedded backend: 10,000-call group in ${ms} ms`);
  }, 60_000);
});
