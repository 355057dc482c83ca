/**
 * kill -9 on the embedded backend with several processes on one database:
 * two `reawait worker --dir` processes share the work; one of them is
 * killed again and again, mid-group (calls of a Promise.all running) and
 * mid-resume (a step's workflow code running), and restarted. Nothing is
 * lost (the right result, every call done), and no call whose completion
 * was committed before a kill starts again after it: at each kill, the
 * calls the database holds as completed ('call completed' in the history,
 * written in the settlement's own transaction) are read, and their start
 * counts must not grow afterwards. Activities record 'start KEY' and
 * 'done KEY' lines per idempotency key.
 */
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '../runtime/index.js';
import { openDatabase } from '../runtime/sqlite/database.js';
import { SqliteStore } from '../runtime/sqlite/sqlite-store.js';
import { startChildWorker, writeModule, writeWorkflowModule, type ChildWorker } from './support/child-worker.js';
import { ensureDist } from './support/global-setup.js';

const WORKFLOWS = `
import { proxyActivities } from 'reawait/workflow';
const acts = proxyActivities<Record<string, (...a: any[]) => Promise<any>>>({});

/** n calls at once, then their sum. */
export async function group(n: number) {
  'use workflow';
  const xs = await Promise.all(Array.from({ length: n }, (_, i) => acts.work(i)));
  return xs.reduce((a, b) => a + b, 0);
}

/** n sequential calls; each resume spins the CPU a while, so a kill lands inside resumes. */
export async function steps(n: number) {
  'use workflow';
  let acc = 0;
  for (let i = 0; i < n; i++) {
    const until = Date.now() + 25;
    while (Date.now() < until) acc += 0;
    acc = await acts.work(acc);
  }
  return acc;
}
`;

const ACTIVITIES = `
import { appendFileSync } from 'node:fs';
import { activityContext } from 'reawait';
const log = (line) => appendFileSync(process.env.RUNS_FILE, line + '\\n');
export async function work(x) {
  const key = activityContext().idempotencyKey;
  log('start ' + key);
  await new Promise((r) => setTimeout(r, 20 + (x % 5) * 15));
  log('done ' + key);
  return x + 1;
}
`;

const root = mkdtempSync(path.join(tmpdir(), 'reawait-sqlite-crash-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let wfPath = '';
let actPath = '';
beforeAll(async () => {
  await ensureDist();
  wfPath = writeWorkflowModule('sqlite-crash-workflows', WORKFLOWS);
  actPath = writeModule('sqlite-crash-activities', ACTIVITIES);
});

describe('two embedded workers on one database under kill -9', () => {
  const workers: ChildWorker[] = [];
  afterAll(async () => {
    for (const w of workers) await w.stop().catch(() => {});
  });

  function scenario(name: string) {
    const dir = path.join(root, name);
    const runs = path.join(root, `${name}.runs`);
    appendFileSync(runs, '');
    const lines = () => (existsSync(runs) ? readFileSync(runs, 'utf8').trim().split('\n').filter(Boolean) : []);
    const count = (kind: 'start' | 'done') => {
      const m = new Map<string, number>();
      for (const l of lines()) if (l.startsWith(`${kind} `)) m.set(l.slice(kind.length + 1), (m.get(l.slice(kind.length + 1)) ?? 0) + 1);
      return m;
    };
    const worker = async () => {
      const w = await startChildWorker({ dir, workflows: wfPath, activities: actPath, concurrency: 4, env: { RUNS_FILE: runs } });
      workers.push(w);
      return w;
    };
    /** The calls of `id` whose completion the database holds, with their start counts at this moment. */
    const committed = async (id: string) => {
      const store = new SqliteStore(openDatabase({ file: path.join(dir, 'reawait.db'), check: false }));
      try {
        const ops = (await store.history(id)).filter((e) => e.type === 'call completed').map((e) => `${id}:${e.op as number}`);
        const starts = count('start');
        return ops.map((key) => ({ key, starts: starts.get(key) ?? 0 }));
      } finally {
        await store.close();
      }
    };
    return { dir, lines, count, worker, committed };
  }

  async function killRepeatedly(s: ReturnType<typeof scenario>, id: string, at: number[]) {
    let victim = await s.worker();
    const snapshots: { key: string; starts: number }[][] = [];
    for (const n of at) {
      await expect.poll(() => s.count('done').size, { timeout: 60_000, interval: 10 }).toBeGreaterThanOrEqual(n);
      await victim.kill9();
      snapshots.push(await s.committed(id));
      victim = await s.worker();
    }
    return snapshots;
  }

  it('mid-group: one of two workers killed four times while 60 calls run; the right result, every call done, no committed call started again', async () => {
    const s = scenario('group');
    await s.worker(); // the survivor
    const client = new Client({ store: 'local', dir: s.dir });
    const handle = await client.start('group', [60], { id: 'g' });
    const snapshots = await killRepeatedly(s, 'g', [8, 20, 32, 44]);
    expect(await handle.result({ timeoutMs: 120_000 })).toBe(Array.from({ length: 60 }, (_, i) => i + 1).reduce((a, b) => a + b, 0));
    const done = s.count('done');
    for (let op = 1; op <= 60; op++) expect(done.get(`g:${op}`), `g:${op}`).toBeGreaterThanOrEqual(1);
    const starts = s.count('start');
    for (const snap of snapshots) for (const c of snap) expect(starts.get(c.key), c.key).toBe(c.starts);
    expect(snapshots.at(-1)!.length).toBeGreaterThan(0);
    await client.close();
  }, 240_000);

  it('mid-resume: one of two workers killed four times during 40 sequential steps of slow resumes; the right result, no committed call started again', async () => {
    const s = scenario('steps');
    await s.worker();
    const client = new Client({ store: 'local', dir: s.dir });
    const handle = await client.start('steps', [40], { id: 's' });
    const snapshots = await killRepeatedly(s, 's', [6, 14, 22, 30]);
    expect(await handle.result({ timeoutMs: 120_000 })).toBe(40);
    const starts = s.count('start');
    for (const snap of snapshots) for (const c of snap) expect(starts.get(c.key), c.key).toBe(c.starts);
    // every step's call completed once in the database (each op settled once)
    const d = await handle.describe();
    expect(d.status).toBe('completed');
    await client.close();
  }, 240_000);
});
