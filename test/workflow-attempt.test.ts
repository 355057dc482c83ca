/**
 * workflowInfo().attempt on both backends: 1 the first time a resume runs,
 * 2 when that same resume runs again, after its worker was killed mid-step
 * (kill -9 from the workflow code itself, so the kill lands inside the step
 * every time) or after the failed execution was retried; each suspension
 * starts the count again; a call that ends while its worker closes leaves
 * the resume to the next worker as try 1. Also: an embedded
 * database of schema version 1 (before the try count) is brought up to date
 * when opened.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '../runtime/index.js';
import { openDatabase } from '../runtime/sqlite/database.js';
import { SCHEMA_VERSION } from '../runtime/sqlite/schema.js';
import { SqliteStore } from '../runtime/sqlite/sqlite-store.js';
import { startChildWorker, writeModule, writeWorkflowModule, type ChildWorker } from './support/child-worker.js';
import { ensureDist } from './support/global-setup.js';
import { startRedis, type RedisServer } from './support/redis-server.js';
import { BACKENDS, useRuntime, workflowModule } from './support/runtime-harness.js';

const SOURCE = `import { proxyActivities, sleep, workflowInfo } from 'reawait/workflow';

const { echo, gate } = proxyActivities<{ echo(x: number): Promise<number>; gate(): Promise<void> }>({});

/** Fails on the first try of its second resume; a retry runs that resume again. */
export async function failOnce() {
  'use workflow';
  const tries = [workflowInfo().attempt];
  await sleep(1);
  tries.push(workflowInfo().attempt);
  if (workflowInfo().attempt === 1) throw new Error('first try fails');
  await sleep(1);
  tries.push(workflowInfo().attempt);
  return tries;
}

/** Kills its own worker process on the first try of its second resume. */
export async function crashOnce() {
  'use workflow';
  const tries = [workflowInfo().attempt];
  await sleep(1);
  tries.push(workflowInfo().attempt);
  if (workflowInfo().attempt === 1) process.kill(process.pid, 'SIGKILL');
  await sleep(1);
  tries.push(workflowInfo().attempt);
  return tries;
}

/** Its call ends while its worker closes: the resume is left to the next worker, and counted there only. */
export async function closeMidCall() {
  'use workflow';
  await gate();
  const first = workflowInfo().attempt;
  await sleep(1);
  return [first, workflowInfo().attempt];
}

/** The same after an activity's settlement: the worker that settles the call resumes it (its try counted with the settlement). */
export async function crashAfterCall() {
  'use workflow';
  const tries = [await echo(workflowInfo().attempt)];
  tries.push(workflowInfo().attempt);
  if (workflowInfo().attempt === 1) process.kill(process.pid, 'SIGKILL');
  tries.push(await echo(workflowInfo().attempt));
  tries.push(workflowInfo().attempt);
  return tries;
}
`;

for (const kind of BACKENDS) {
  describe(`workflowInfo().attempt (${kind})`, () => {
    const h = useRuntime(kind);

    it('is 1 on each first try and 2 on the resume a retry() runs again', async () => {
      const mod = await workflowModule(SOURCE, 'attempt');
      const prefix = h.prefix();
      await h.worker({ prefix, workflows: mod, activities: {} });
      const client = h.client(prefix);
      const handle = await client.start(mod.failOnce!, []);
      await expect(handle.result({ timeoutMs: 20_000 })).rejects.toThrow('first try fails');
      await handle.retry();
      expect(await handle.result({ timeoutMs: 20_000 })).toEqual([1, 2, 1]);
    }, 60_000);

    it('is 1 on the resume a call settled while its worker was closing (the next worker does not see it as try 2)', async () => {
      const mod = await workflowModule(SOURCE, 'attempt');
      const prefix = h.prefix();
      let entered: () => void = () => {};
      const inGate = new Promise<void>((r) => (entered = r));
      let release: () => void = () => {};
      const released = new Promise<void>((r) => (release = r));
      const gate = async (): Promise<void> => (entered(), released);
      const first = await h.worker({ prefix, workflows: mod, activities: { gate, echo: async (x: number) => x } });
      const client = h.client(prefix);
      const handle = await client.start(mod.closeMidCall!, []);
      await inGate;
      const closing = first.close();
      await new Promise((r) => setTimeout(r, 10)); // close() marks the worker closed in its first microtasks
      release();
      await closing;
      expect((await handle.describe()).status).toBe('ready'); // settled, its resume left for a worker
      await h.worker({ prefix, workflows: mod, activities: { gate, echo: async (x: number) => x } });
      expect(await handle.result({ timeoutMs: 20_000 })).toEqual([1, 1]);
    }, 60_000);
  });
}

describe('workflowInfo().attempt after kill -9 of the worker mid-step', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'reawait-attempt-'));
  const workers: ChildWorker[] = [];
  let server: RedisServer;
  let wfPath = '';
  let actPath = '';
  beforeAll(async () => {
    await ensureDist();
    wfPath = writeWorkflowModule('attempt-workflows', SOURCE);
    actPath = writeModule('attempt-activities', 'export async function echo(x) { return x; }\n');
    server = await startRedis();
  });
  afterAll(async () => {
    for (const w of workers) await w.stop().catch(() => {});
    await server?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  // After a timer's settlement (crashOnce) and an activity call's (crashAfterCall, Redis: the try is counted by
  // settle.lua and the kill lands after it; the next try is counted by begin_step.lua on the other worker).
  const cases = [...BACKENDS.map((kind) => ['crashOnce', kind, [1, 2, 1]] as const), ['crashAfterCall', 'redis', [1, 2, 2, 1]] as const];
  for (const [workflow, kind, tries] of cases) {
    it(`${kind}: the resume the dead worker was running runs again on the other one as attempt 2 (${workflow})`, async () => {
      const backend = kind === 'redis' ? { redis: server.url, prefix: `attempt-${workflow}-${process.pid}` } : { dir: path.join(root, 'db') };
      for (let i = 0; i < 2; i++) workers.push(await startChildWorker({ ...backend, workflows: wfPath, activities: actPath, concurrency: 2 }));
      const client = new Client(kind === 'redis' ? backend : { store: 'local', dir: path.join(root, 'db') });
      try {
        const handle = await client.start(workflow, [], { id: `crash-${workflow}-${kind}` });
        expect(await handle.result({ timeoutMs: 30_000 })).toEqual(tries);
        // exactly one of the two workers died (the one that ran the first try)
        expect(workers.slice(-2).filter((w) => w.proc.signalCode === 'SIGKILL')).toHaveLength(1);
      } finally {
        await client.close();
      }
    }, 60_000);
  }
});

describe('an embedded database of schema version 1', () => {
  it('is brought up to date when opened, and counts tries', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'reawait-schema1-'));
    try {
      const file = path.join(dir, 'reawait.db');
      const store = new SqliteStore(openDatabase({ file, check: false }));
      await store.create({ id: 'old', workflow: 'w', version: 'v', args: '[]' });
      await store.close();
      // what a file written by the build before the try count looks like (its history table as it was then)
      const raw = openDatabase({ file, check: false });
      raw.db.exec(`DROP INDEX executions_phase;
        DROP INDEX executions_workflow;
        DROP INDEX executions_updated;
        DROP INDEX executions_ready;
        ALTER TABLE executions DROP COLUMN phase;
        CREATE INDEX executions_status ON executions (status, seq);
        CREATE INDEX executions_workflow ON executions (workflow, status, seq);
        CREATE INDEX executions_updated ON executions (status, updated_at);
        ALTER TABLE executions DROP COLUMN tries;
        DROP TABLE history;
        CREATE TABLE history (seq INTEGER PRIMARY KEY, exec TEXT NOT NULL, event TEXT NOT NULL);
        CREATE INDEX history_exec ON history (exec, seq);
        INSERT INTO history (exec, event) VALUES ('old', '{"t":1,"type":"started"}'), ('x', '{"t":2,"type":"other"}'), ('old', '{"t":3,"type":"note"}');
        INSERT INTO executions (id, workflow, version, status, rev, created_at, updated_at, completed_at) VALUES ('done', 'w', 'v', 'completed', 1, 2, 2, 2);
        DROP TABLE states;
        CREATE TABLE states (id TEXT PRIMARY KEY, args TEXT, state TEXT) WITHOUT ROWID;
        INSERT INTO states (id, args) VALUES ('old', '[]');
        DROP TABLE jobs;
        CREATE TABLE jobs (kind TEXT NOT NULL, id TEXT NOT NULL, exec TEXT NOT NULL, body TEXT NOT NULL, avail INTEGER NOT NULL, attempt INTEGER NOT NULL DEFAULT 1, lease TEXT, PRIMARY KEY (kind, id)) WITHOUT ROWID;
        CREATE INDEX jobs_avail ON jobs (kind, avail);
        INSERT INTO jobs (kind, id, exec, body, avail, attempt) VALUES ('r', 'old:0', 'old', '{"executionId":"old","rev":0}', 5, 2);
        PRAGMA user_version = 1;`);
      await raw.close();

      const reopened = new SqliteStore(openDatabase({ file, check: true }));
      try {
        expect(SCHEMA_VERSION).toBe(6);
        // schema 4: the listing indexes on the phase, the ready execution found by status
        expect((await reopened.list({ status: 'ready' })).items.map((e) => e.id)).toEqual(['old']);
        expect((await reopened.list({ status: 'waiting' })).items).toEqual([]);
        expect((await reopened.list({ status: 'completed' })).items.map((e) => e.id)).toEqual(['done']);
        expect((await reopened.list({})).items.map((e) => e.id)).toEqual(['done', 'old']);
        // schema 3: the history, numbered per execution, kept in order and appended to after
        expect((await reopened.history('old')).map((e) => e.type)).toEqual(['started', 'note']);
        await reopened.appendHistory('old', { t: 4, type: 'after' });
        expect((await reopened.history('old')).map((e) => e.type)).toEqual(['started', 'note', 'after']);
        // schema 5: one integer key, the execution's seq above its event number; the orphan row of 'x' is gone
        const keys = reopened['d'].db.prepare('SELECT k >> 32 AS seq, k & 0xFFFFFFFF AS n FROM history ORDER BY k').all();
        const seq = (reopened['d'].db.prepare(`SELECT seq FROM executions WHERE id = 'old'`).get() as { seq: number }).seq;
        expect(keys).toEqual([1, 2, 3].map((n) => ({ seq, n })));
        // and the queued job, without the execution id its body holds
        expect(reopened['d'].db.prepare('SELECT * FROM jobs').all()).toEqual([{ kind: 'r', id: 'old:0', body: '{"executionId":"old","rev":0}', avail: 5, attempt: 2, lease: null }]);
        expect(await reopened.beginStep('old', 0)).toBe(1);
        expect(await reopened.beginStep('old', 0)).toBe(2);
        expect(await reopened.beginStep('old', 1)).toBeUndefined();
        expect((await reopened.load('old'))?.status).toBe('ready');
        // schema 6: its args, now keyed by its seq
        expect((await reopened.load('old'))?.args).toBe('[]');
        expect(reopened['d'].db.prepare('SELECT s.args FROM states s JOIN executions e ON e.seq = s.seq WHERE e.id = ?').get('old')).toEqual({ args: '[]' });
      } finally {
        await reopened.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
