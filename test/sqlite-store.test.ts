/**
 * The embedded store on SQLite: the shared Store contract, and what only it
 * can show — two connections (two processes' worth) on one file see one
 * state and race through the same revision guard, a damaged file is a
 * clear error that changes nothing, and list() pages by index.
 */
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeValue } from '../runtime/codec.js';
import { DatabaseDamagedError, openDatabase } from '../runtime/sqlite/database.js';
import { SqliteQueue } from '../runtime/sqlite/sqlite-queue.js';
import { SqliteStore } from '../runtime/sqlite/sqlite-store.js';
import type { ActivityJob } from '../runtime/queue.js';
import type { CarriedSettlement } from '../runtime/store.js';
import { ev, ops, STATE, storeContract, suspension } from './support/store-contract.js';

const root = mkdtempSync(path.join(tmpdir(), 'reawait-sqlite-store-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshFile = () => path.join(root, `d${++n}`, 'reawait.db');
const open = (file: string, historyCap?: number) => new SqliteStore(openDatabase({ file }), historyCap ? { historyCap } : {});

let shared: SqliteStore;
beforeAll(() => {
  shared = open(freshFile(), 5);
});
afterAll(() => shared.close());
storeContract('SqliteStore', () => shared);

describe('load', () => {
  it('{ state: false } leaves the state out (a status poll of a large group reads the record only)', async () => {
    const store = open(freshFile());
    await store.create({ id: 'p', workflow: 'wf', version: 'v1', args: encodeValue([]) });
    await store.commitSuspension('p', 0, suspension({ started: ops(1), tokens: [[1, '*']] }), ev('suspended'));
    const full = await store.load('p');
    const poll = await store.load('p', { state: false });
    expect(full?.state).toBeDefined();
    expect(poll?.state).toBeUndefined();
    const { state: _state, ...rest } = full!;
    expect(poll).toEqual(rest);
    await store.close();
  });
});

describe('a commit queues its calls and timers in its own transaction', () => {
  const call = (op: number): ActivityJob => ({ executionId: 'j', op, activity: 'a', args: encodeValue([op]), options: {} });
  const jobRows = (file: string) => {
    const db = openDatabase({ file, check: false });
    try {
      return db.db.prepare('SELECT kind, id, lease IS NOT NULL AS leased FROM jobs ORDER BY kind, id').all();
    } finally {
      void db.close();
    }
  };

  it('no outbox flag: the rows are there once the commit is; a later commit that consumes or drops their ops deletes them', async () => {
    const file = freshFile();
    const store = open(file);
    await store.create({ id: 'j', workflow: 'wf', version: 'v1', args: encodeValue([]) });
    const at = Date.now() + 60_000;
    const s = { ...suspension({ started: ops(1, 2), tokens: [[1, '*']] }), jobs: { activities: [call(1)], timers: [{ job: { executionId: 'j', op: 2, kind: 'sleep' as const }, at }] } };
    expect(await store.commitSuspension('j', 0, s, ev('suspended'))).toBe('waiting');
    expect((await store.load('j'))?.dispatchPending).toBeUndefined();
    expect(jobRows(file)).toEqual([
      { kind: 'a', id: 'j:1', leased: 0 },
      { kind: 't', id: 'j:2', leased: 0 },
    ]);
    expect(await store.settle('j', 1, true, encodeValue(1), ev('c'))).toBe('ready');
    expect(await store.commitSuspension('j', 1, suspension({ consumed: [1], dropped: [2] }), ev('suspended'))).toBe('waiting');
    expect(jobRows(file)).toEqual([]);
    await store.close();
  });

  it("a call goes to this connection's worker, leased in the commit's rows, and starts once the commit is on disk; with no free slot it waits in the queue", async () => {
    const file = freshFile();
    const d = openDatabase({ file });
    const queue = new SqliteQueue(d, { pollMs: 60_000 });
    const store = new SqliteStore(d, { queue });
    const started: number[] = [];
    let release = () => {};
    const gate = new Promise<void>((r) => (release = r));
    await queue.process({ activity: async (job) => (started.push(job.op), await gate), resume: async () => {}, timer: async () => {} }, { concurrency: 1 });
    await store.create({ id: 'j', workflow: 'wf', version: 'v1', args: encodeValue([]) });
    const s = { ...suspension({ started: ops(1, 2) }), jobs: { activities: [call(1), call(2)], timers: [] } };
    const commit = store.commitSuspension('j', 0, s, ev('suspended'));
    expect(started).toEqual([]); // not before the commit is durable
    expect(await commit).toBe('waiting');
    expect(started).toEqual([1]);
    expect(jobRows(file)).toEqual([
      { kind: 'a', id: 'j:1', leased: 1 },
      { kind: 'a', id: 'j:2', leased: 0 },
    ]);
    release();
    await expect.poll(() => started, { timeout: 5000, interval: 5 }).toEqual([1, 2]);
    await queue.close();
    await store.close();
  });
});

describe('settleAndLoad with begin', () => {
  it("counts the resume's try in the settlement's transaction only when begin says the caller runs it", async () => {
    const store = open(freshFile());
    for (const [id, runs] of [['b1', true], ['b2', false]] as const) {
      await store.create({ id, workflow: 'wf', version: 'v1', args: encodeValue([]) });
      expect(await store.commitSuspension(id, 0, suspension({ started: ops(1), tokens: [[1, '*']] }), ev('suspended'))).toBe('waiting');
      const seen: string[] = [];
      const { outcome, loaded } = await store.settleAndLoad(id, 1, true, encodeValue(1), ev('c'), (rec) => (seen.push(`${rec.id} ${rec.status} ${rec.rev}`), runs));
      expect(outcome).toBe('ready');
      expect(seen).toEqual([`${id} ready 1`]);
      expect(loaded?.attempt).toBe(runs ? 1 : undefined);
      // a later try of the same resume (its worker died) counts on from there
      expect(await store.beginStep(id, 1)).toBe(runs ? 2 : 1);
    }
    await store.close();
  });
});

describe('beginSettled: a step that carries the settlement that makes it ready (one transaction per step)', () => {
  const waitingOn = async (store: SqliteStore, id: string, tokens: [number, string][] = [[1, '*']], started = ops(1)) => {
    await store.create({ id, workflow: 'wf', version: 'v1', args: encodeValue([]) });
    expect(await store.commitSuspension(id, 0, suspension({ started, tokens }), ev('suspended'))).toBe('waiting');
  };
  const carried = (op: number): CarriedSettlement => ({ op, ok: true, payload: encodeValue(op * 10), event: ev('call completed') });

  it("counts the try, returns the resume with the settlement last, and the commit records both: history, progress, the op gone, no settlement row left", async () => {
    const store = open(freshFile());
    await waitingOn(store, 'c1');
    const seen: string[] = [];
    const loaded = await store.beginSettled('c1', 1, true, encodeValue(10), (rec) => (seen.push(`${rec.status} ${rec.rev}`), true));
    expect(seen).toEqual(['waiting 1']);
    expect(loaded?.attempt).toBe(1);
    expect(loaded?.record.status).toBe('ready');
    expect(loaded?.settlements).toEqual([{ op: 1, seq: 0, ok: true, payload: encodeValue(10) }]);
    // nothing but the try is written yet: the execution still waits, and its try count is kept
    expect((await store.load('c1'))?.status).toBe('waiting');
    expect((await store.load('c1'))?.progress).toEqual({ started: 1, settled: 0 });
    const c = carried(1);
    expect(await store.commitSuspension('c1', 1, { ...suspension({ consumed: [1], started: ops(2), tokens: [[2, '*']] }), settles: c }, [ev('resumed'), ev('suspended')])).toBe('waiting');
    expect(c.committed).toBe(true);
    const rec = await store.load('c1');
    expect(rec?.rev).toBe(2);
    expect(rec?.progress).toEqual({ started: 2, settled: 1 });
    expect((await store.history('c1')).map((e) => e.type).slice(-3)).toEqual(['call completed', 'resumed', 'suspended']);
    // the op is over: a late duplicate delivery of it is stale
    expect(await store.settle('c1', 1, true, encodeValue(10), ev('late'))).toBe('stale');
    // the next settlement goes the same way
    expect((await store.beginSettled('c1', 2, true, encodeValue(20), () => true))?.settlements).toEqual([{ op: 2, seq: 1, ok: true, payload: encodeValue(20) }]);
    await store.close();
  });

  it("returns the record and state of its own execution, among several waiting (each keyed by its seq)", async () => {
    const store = open(freshFile());
    const states = [1, 2, 3].map((k) => STATE.replace('[[1],{}]', `[[${k}],{}]`));
    for (const [k, id] of ['s1', 's2', 's3'].entries()) {
      await store.create({ id, workflow: 'wf', version: 'v1', args: encodeValue([k]) });
      expect(await store.commitSuspension(id, 0, suspension({ started: ops(1), tokens: [[1, '*']], state: states[k] }), ev('suspended'))).toBe('waiting');
    }
    for (const [k, id] of ['s2', 's3', 's1'].entries()) {
      const loaded = await store.beginSettled(id, 1, true, encodeValue(k), () => true);
      expect(loaded?.record.id).toBe(id);
      expect(loaded?.record.state).toBe((await store.load(id))?.state);
    }
    expect(new Set(await Promise.all(['s1', 's2', 's3'].map(async (id) => (await store.load(id))?.state))).size).toBe(3);
    await store.close();
  });

  it('declines (settle the usual way, nothing written) unless the settlement alone makes a waiting execution ready and the caller runs the step', async () => {
    const store = open(freshFile());
    // a group: the op's watch needs another settlement too
    await waitingOn(store, 'g', [[1, 'k'], [2, 'k']], ops(1, 2));
    // another settlement is recorded already
    await waitingOn(store, 'o', [[1, '*'], [2, '*']], ops(1, 2));
    expect(await store.settle('o', 2, true, encodeValue(2), ev('c'))).toBe('ready');
    // a cancel is pending
    await waitingOn(store, 'x');
    expect(await store.requestCancel('x', encodeValue('stop'), ev('cancel'))).toBe('ready');
    // the caller would not run it
    await waitingOn(store, 'n');
    for (const [id, begin] of [['g', true], ['o', true], ['x', true], ['n', false]] as const) {
      expect(await store.beginSettled(id, 1, true, encodeValue(1), () => begin)).toBeUndefined();
    }
    expect(await store.beginSettled('missing', 1, true, encodeValue(1), () => true)).toBeUndefined();
    // an op that is not outstanding
    expect(await store.beginSettled('n', 9, true, encodeValue(1), () => true)).toBeUndefined();
    // nothing was counted: the usual path counts the first try
    expect((await store.settleAndLoad('n', 1, true, encodeValue(1), ev('c'), () => true)).loaded?.attempt).toBe(1);
    await store.close();
  });

  it("a commit carrying it is stale when a cancel or the same settlement came meanwhile; the usual settle then records it, and the resume's try counts on", async () => {
    const store = open(freshFile());
    await waitingOn(store, 's1');
    expect((await store.beginSettled('s1', 1, true, encodeValue(1), () => true))?.attempt).toBe(1);
    expect(await store.requestCancel('s1', encodeValue('stop'), ev('cancel'))).toBe('ready');
    const c = carried(1);
    expect(await store.commitSuspension('s1', 1, { ...suspension({ consumed: [1] }), settles: c }, ev('suspended'))).toBe('stale');
    expect(c.committed).toBeUndefined();
    expect(await store.settle('s1', 1, true, encodeValue(1), ev('c'))).toBe('recorded');
    expect(await store.beginStep('s1', 1)).toBe(2);

    await waitingOn(store, 's2');
    expect((await store.beginSettled('s2', 1, true, encodeValue(1), () => true))?.attempt).toBe(1);
    expect(await store.settle('s2', 1, true, encodeValue(1), ev('another delivery'))).toBe('ready');
    const end = carried(1);
    const ending = { status: 'completed' as const, payload: encodeValue(1), cancelDelivered: false, started: [], consumed: [1], dropped: [], detached: [], outbox: '', settles: end };
    expect(await store.commitEnd('s2', 1, ending, ev('completed'))).toBe(false);
    expect(end.committed).toBeUndefined();
    expect((await store.load('s2'))?.status).toBe('ready');
    await store.close();
  });

  it('an end that fails after a suspension keeps the carried settlement for a retry, as it keeps a recorded one', async () => {
    const store = open(freshFile());
    await waitingOn(store, 'f');
    await store.beginSettled('f', 1, false, encodeValue('boom'), () => true);
    const c = { ...carried(1), ok: false, payload: encodeValue('boom') };
    const ending = { status: 'failed' as const, payload: encodeValue('boom'), cancelDelivered: false, started: [], consumed: [1], dropped: [], detached: [], outbox: '', settles: c };
    expect(await store.commitEnd('f', 1, ending, ev('failed'))).toBe(true);
    expect(c.committed).toBe(true);
    expect(await store.retry('f', ev('retried'))).toBe(3);
    const step = await store.loadForStep('f');
    expect(step?.record.status).toBe('ready');
    expect(step?.settlements).toEqual([{ op: 1, seq: 0, ok: false, payload: encodeValue('boom') }]);
    await store.close();
  });
});

describe('history: a row per transition', () => {
  it('reads back the last `cap` events exactly when a row of several straddles the cap, and the kept events of older rows alone', async () => {
    const file = freshFile();
    const store = open(file, 5);
    await store.create({ id: 'h', workflow: 'wf', version: 'v1', args: encodeValue([]) });
    const e = (k: number, extra: Record<string, unknown> = {}) => ({ t: k, type: `e${k}`, ...extra });
    await store.commitSuspension('h', 0, suspension({ started: ops(1), tokens: [[1, '*']] }), [e(2), { t: 3, type: 'call failed', op: 9, job: { op: 9 } }, e(4)]);
    for (let k = 0; k < 4; k++) await store.appendHistory('h', e(5 + k));
    await store.noteProblem('h', 1, 'p', [e(9), e(10), e(11)]);
    // 11 events in 7 rows ('started' is event 1); the last 5 are 7..11, and the kept 'call failed' (event 3) stays
    expect((await store.history('h')).map((x) => x.type)).toEqual(['call failed', 'e7', 'e8', 'e9', 'e10', 'e11']);
    const raw = openDatabase({ file, check: false });
    const rows = raw.db.prepare(`SELECT k & 0xFFFFFFFF AS n, substr(event, 1, 1) AS kind FROM history WHERE k >> 32 = (SELECT seq FROM executions WHERE id = 'h') ORDER BY k`).all();
    await raw.close();
    expect(rows).toEqual([
      { n: 1, kind: '{' },
      { n: 4, kind: '[' },
      ...[5, 6, 7, 8].map((n) => ({ n, kind: '{' })),
      { n: 11, kind: '[' },
    ]);
    await store.close();
  });
});

describe('one file, several connections', () => {
  it('a commit made through one connection is seen by the other, and the same rev committed through both lands once', async () => {
    const file = freshFile();
    const a = open(file);
    const b = open(file);
    await a.create({ id: 'x', workflow: 'wf', version: 'v1', args: encodeValue([]) });
    expect((await b.load('x'))?.status).toBe('ready');
    const outcomes = [await a.commitSuspension('x', 0, suspension({ started: ops(1), tokens: [[1, '*']] }), ev('suspended')), await b.commitSuspension('x', 0, suspension({ started: ops(2) }), ev('suspended'))];
    expect(outcomes).toEqual(['waiting', 'stale']);
    expect(await b.settle('x', 1, true, encodeValue(1), ev('c'))).toBe('ready');
    expect(await a.settle('x', 1, true, encodeValue(1), ev('c'))).toBe('duplicate');
    await a.close();
    await b.close();
  });
});

describe('a damaged database is loud and left as it was', () => {
  const damaged = (file: string) => {
    const e = (() => {
      try {
        open(file);
      } catch (error) {
        return error;
      }
      return undefined;
    })() as DatabaseDamagedError;
    expect(e).toBeInstanceOf(DatabaseDamagedError);
    expect(e.message).toContain(`the reawait database '${file}' is damaged`);
    expect(e.message).toContain('Nothing was changed');
    expect(e.message).toMatch(/restore it from a backup/);
    return e;
  };

  it('a file that is not a database: a clear error naming it; its bytes unchanged', () => {
    const file = freshFile();
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, 'these are not the bytes of a database\n'.repeat(200));
    const before = readFileSync(file);
    expect(damaged(file).detail).toMatch(/SQLITE_NOTADB/);
    expect(readFileSync(file).equals(before)).toBe(true);
  });

  it('pages overwritten inside a real database: the integrity check names the damage; the file stays as it was', async () => {
    const file = freshFile();
    const s = open(file);
    for (let i = 0; i < 300; i++) await s.create({ id: `e${i}`, workflow: 'wf', version: 'v1', args: encodeValue([i, 'x'.repeat(100)]) });
    await s.close(); // the last connection: the WAL is checkpointed into the file
    const size = readFileSync(file).length;
    expect(size).toBeGreaterThan(8 * 4096);
    const fd = openSync(file, 'r+');
    writeSync(fd, Buffer.alloc(4096, 0xa5), 0, 4096, 4 * 4096); // a torn or scribbled page
    closeSync(fd);
    const before = readFileSync(file);
    const e = damaged(file);
    expect(e.detail).toMatch(/integrity check|SQLITE_CORRUPT/);
    expect(readFileSync(file).equals(before)).toBe(true);
  });

  it('a client, which skips the whole-file check at open, gets the same clear error from the first damaged page it reads', async () => {
    const file = freshFile();
    const s = open(file);
    for (let i = 0; i < 300; i++) await s.create({ id: `e${i}`, workflow: 'wf', version: 'v1', args: encodeValue([i, 'x'.repeat(100)]) });
    await s.close();
    // the root page of every table and index (the schema's own, page 1, and its overflow stay readable)
    const raw = openDatabase({ file, check: false });
    const pageSize = raw.db.pragma('page_size', { simple: true }) as number;
    const roots = (raw.db.prepare('SELECT rootpage FROM sqlite_master WHERE rootpage > 1').all() as { rootpage: number }[]).map((r) => r.rootpage);
    await raw.close();
    expect(roots.length).toBeGreaterThan(8);
    const fd = openSync(file, 'r+');
    for (const page of roots) writeSync(fd, Buffer.alloc(pageSize, 0xa5), 0, pageSize, (page - 1) * pageSize);
    closeSync(fd);
    const before = readFileSync(file);
    const client = new SqliteStore(openDatabase({ file, check: false }));
    for (const read of [() => client.list({}), () => client.load('e7'), () => client.history('e7')]) {
      const e = (await read().catch((error: unknown) => error)) as DatabaseDamagedError;
      expect(e).toBeInstanceOf(DatabaseDamagedError);
      expect(e.message).toContain(`the reawait database '${file}' is damaged (SQLITE_CORRUPT`);
    }
    await client.close();
    expect(readFileSync(file).equals(before)).toBe(true);
  });

  it('a schema that is not reawait\'s is refused, not mixed into', () => {
    const file = freshFile();
    const other = openDatabase({ file }).db;
    other.exec('PRAGMA user_version = 0; DROP TABLE executions;');
    other.close();
    expect(() => open(file)).toThrow(/holds tables but no reawait schema version/);
  });
});
