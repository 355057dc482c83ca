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
import { ev, ops, storeContract, suspension } from './support/store-contract.js';

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
    const size = readFileSync(file).length;
    const fd = openSync(file, 'r+');
    for (let page = 1; page * 4096 < size; page++) writeSync(fd, Buffer.alloc(4096, 0xa5), 0, 4096, page * 4096); // every page but the schema's
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
