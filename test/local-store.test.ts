/**
 * The embedded store's own guarantees: atomic documents (a torn temp file or
 * log line from a crash is ignored and the old state stands), the folder
 * lock (a live holder is a clear error, a dead one's lock is taken over),
 * and what reopening the folder derives and recovers.
 */
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeValue } from '../runtime/codec.js';
import { FolderLockedError, lockDir, startTime } from '../runtime/local/dir-lock.js';
import { fileKey } from '../runtime/local/durable-files.js';
import { LocalStore } from '../runtime/local/local-store.js';
import { ending, ev, outboxOf, storeContract, suspension as step, watch } from './support/store-contract.js';

const root = mkdtempSync(path.join(tmpdir(), 'reawait-local-store-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshDir = () => path.join(root, `d${++n}`);

/** A suspension on a Promise.all of calls 1..total. */
const range = (total: number): number[] => Array.from({ length: total }, (_, i) => i + 1);
const suspension = (state: string, total: number) =>
  step({ state, started: range(total).map((op) => ({ op })), tokens: range(total).map((op) => [op, 'w']), set: [watch('w', range(total))], outbox: outboxOf(...range(total)) });

let shared: LocalStore;
beforeAll(async () => {
  shared = await LocalStore.open({ dir: freshDir(), historyCap: 5, onWarning: () => {} });
});
afterAll(() => shared.close());
storeContract('LocalStore', () => shared);

async function withStore<T>(dir: string, body: (s: LocalStore) => Promise<T>): Promise<T> {
  const s = await LocalStore.open({ dir, onWarning: () => {} });
  try {
    return await body(s);
  } finally {
    await s.close();
  }
}

describe('atomic writes', () => {
  it('a torn temp file from a crash is ignored: the old document stands, and the temp file is removed', async () => {
    const dir = freshDir();
    await withStore(dir, async (s) => {
      await s.create({ id: 'a/b:1', workflow: 'wf', version: '', args: encodeValue([1]) });
      expect(await s.commitSuspension('a/b:1', 0, suspension('{"old":true}', 2), ev('suspended'))).toBe('waiting');
    });
    const doc = path.join(dir, 'executions', `${fileKey('a/b:1')}.json`);
    expect(existsSync(doc)).toBe(true);
    // a crash in the middle of writing the next version: half a document in the temp file
    writeFileSync(`${doc}.tmp`, '{"v":1,"id":"a/b:1","status":"compl');
    await withStore(dir, async (s) => {
      const rec = await s.load('a/b:1');
      expect(rec).toMatchObject({ status: 'waiting', rev: 1, state: '{"old":true}', progress: { started: 2, settled: 0 } });
    });
    expect(existsSync(`${doc}.tmp`)).toBe(false);
  });

  it('a torn last log line is cut off; settlements before it and after it survive a reopen', async () => {
    const dir = freshDir();
    await withStore(dir, async (s) => {
      await s.create({ id: 'x', workflow: 'wf', version: '', args: encodeValue([]) });
      await s.commitSuspension('x', 0, suspension('{}', 3), ev('suspended'));
      expect(await s.settle('x', 1, true, encodeValue('a'), ev('call completed'))).toBe('recorded');
    });
    const log = path.join(dir, 'executions', 'x.log');
    appendFileSync(log, '{"s":{"op":2,"seq":1,"ok":tr'); // kill -9 mid-append
    await withStore(dir, async (s) => {
      expect((await s.loadForStep('x'))!.settlements.map((x) => x.op)).toEqual([1]);
      expect(await s.settle('x', 2, false, encodeValue(new Error('e')), ev('call failed'))).toBe('ready'); // Promise.all: a rejection settles it
    });
    expect(readFileSync(log, 'utf8').endsWith('\n')).toBe(true);
    await withStore(dir, async (s) => {
      const rec = await s.load('x');
      // 'ready' was never written to the document: it is derived from the settlements and watches on open
      expect(rec).toMatchObject({ status: 'ready', rev: 1, progress: { started: 3, settled: 2 } });
      expect((await s.pending()).ready).toEqual(['x']);
      expect((await s.loadForStep('x'))!.settlements.map((x) => [x.op, x.seq, x.ok])).toEqual([
        [1, 0, true],
        [2, 1, false],
      ]);
    });
  });

  it('settleAndLoad: the settlement that makes the execution ready is in the log file before it returns, with what a resume reads', async () => {
    const dir = freshDir();
    const s = await LocalStore.open({ dir });
    await s.create({ id: 'r', workflow: 'wf', version: '', args: encodeValue([]) });
    await s.commitSuspension('r', 0, suspension('{}', 1), ev('suspended'));
    const { outcome, loaded } = await s.settleAndLoad('r', 1, true, encodeValue(7), ev('call completed'));
    expect(outcome).toBe('ready');
    expect(loaded).toMatchObject({ record: { id: 'r', status: 'ready', rev: 1 }, settlements: [{ op: 1, ok: true, payload: encodeValue(7) }] });
    // written (not fsynced: the commit that follows is): a kill -9 now would find it
    expect(readFileSync(path.join(dir, 'executions', 'r.log'), 'utf8')).toContain(`"payload":${JSON.stringify(encodeValue(7))}`);
    await s.close();
  });

  it('an unreadable document is skipped with a warning naming the file; the others load', async () => {
    const dir = freshDir();
    await withStore(dir, (s) => s.create({ id: 'good', workflow: 'wf', version: '', args: encodeValue([]) }));
    writeFileSync(path.join(dir, 'executions', 'bad.json'), 'not json');
    const warnings: string[] = [];
    const s = await LocalStore.open({ dir, onWarning: (m) => warnings.push(m) });
    expect((await s.list({})).items.map((i) => i.id)).toEqual(['good']);
    await s.close();
    expect(warnings).toEqual([expect.stringContaining(`skipping unreadable execution file '${path.join(dir, 'executions', 'bad.json')}'`)]);
  });
});

describe('the folder lock', () => {
  it('a second opener gets a clear error naming the folder and the pid; close() gives the lock back', async () => {
    const dir = freshDir();
    const s = await LocalStore.open({ dir });
    const err = (await LocalStore.open({ dir }).catch((e: unknown) => e)) as FolderLockedError;
    expect(err).toBeInstanceOf(FolderLockedError);
    expect(err.message).toContain(`the reawait folder '${dir}' is in use by process ${process.pid}`);
    await s.close();
    await (await LocalStore.open({ dir })).close();
  });

  it("a lock held by another live process is refused; a dead process's lock (kill -9) is taken over", async () => {
    const dir = freshDir();
    mkdirSync(dir, { recursive: true });
    const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
    await new Promise((r) => other.once('spawn', r));
    writeFileSync(path.join(dir, 'lock'), `${other.pid} ${startTime(other.pid!)}\n`);
    expect(() => lockDir(dir)).toThrow(new RegExp(`in use by process ${other.pid}`));
    writeFileSync(path.join(dir, 'lock'), `${other.pid}\n`); // a holder without a start time: the pid alone decides
    expect(() => lockDir(dir)).toThrow(new RegExp(`in use by process ${other.pid}`));
    // the same pid, another start time: the holder died and its pid went to an unrelated process
    writeFileSync(path.join(dir, 'lock'), `${other.pid} 1\n`);
    lockDir(dir).release();
    writeFileSync(path.join(dir, 'lock'), `${other.pid}\n`);
    other.kill('SIGKILL');
    await new Promise((r) => other.once('exit', r));
    const lock = lockDir(dir); // its owner is dead: taken over
    expect(readFileSync(path.join(dir, 'lock'), 'utf8').trim()).toBe(`${process.pid} ${startTime(process.pid)}`);
    lock.release();
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('reopening a folder', () => {
  it("keeps buffered signals, a requested cancel and the history; every outstanding op's job is pushed again", async () => {
    const dir = freshDir();
    await withStore(dir, async (s) => {
      await s.create({ id: 'w', workflow: 'wf', version: '', args: encodeValue([]) });
      await s.commitSuspension('w', 0, suspension('{}', 1), ev('suspended'));
      await s.clearDispatch('w', 1);
      expect(await s.signal('w', 'go', encodeValue(1), ev('signal'))).toBe('buffered');
      await s.create({ id: 'r', workflow: 'wf', version: '', args: encodeValue([]) });
      expect(await s.requestCancel('r', encodeValue('stop'), ev('cancel requested'))).toBe('requested');
      expect((await s.pending()).dispatch).toEqual([]);
    });
    await withStore(dir, async (s) => {
      // the in-process queue died with the process: the sweep must push the call of 'w' again
      expect(await s.pending()).toEqual({ ready: ['r'], dispatch: ['w'], notify: [] });
      expect(await s.load('w')).toMatchObject({ status: 'waiting', dispatchPending: 1 });
      expect(JSON.parse((await s.outbox('w', 1))!).activities.map((a: { op: number }) => a.op)).toEqual([1]);
      expect(await s.load('r')).toMatchObject({ status: 'ready', cancel: { reason: encodeValue('stop'), delivered: false } });
      expect((await s.history('w')).map((e) => e.type)).toEqual(['started', 'suspended', 'signal buffered']);
      // the buffered signal settles the next wait of that name, at its commit
      await s.settle('w', 1, true, encodeValue('done'), ev('call completed'));
      const out = await s.commitSuspension('w', 1, step({ consumed: [1], started: [{ op: 2, signal: 'go' }], tokens: [[2, '*']] }), ev('suspended'));
      expect(out).toBe('ready');
      expect((await s.loadForStep('w'))!.settlements).toEqual([{ op: 2, seq: 1, ok: true, payload: encodeValue(1) }]);
    });
  });

  it('a history event appended on its own is written by close() (it rides along with the next write otherwise)', async () => {
    const dir = freshDir();
    await withStore(dir, async (s) => {
      await s.create({ id: 'h', workflow: 'wf', version: '', args: encodeValue([]) });
      await s.appendHistory('h', ev('note'));
    });
    await withStore(dir, async (s) => expect((await s.history('h')).map((e) => e.type)).toEqual(['started', 'note']));
  });

  it('compacts the log once dead lines dominate (history capped, old settlements dropped)', async () => {
    const dir = freshDir();
    await withStore(dir, async (s) => {
      await s.create({ id: 'big', workflow: 'wf', version: '', args: encodeValue([]) });
      await s.commitSuspension('big', 0, suspension('{}', 500), ev('suspended'));
      await Promise.all(Array.from({ length: 500 }, (_, i) => s.settle('big', i + 1, true, encodeValue(i), ev('call completed'))));
      expect((await s.load('big'))!.status).toBe('ready');
      await s.commitEnd('big', 1, ending({ consumed: range(500) }), ev('completed'));
    });
    const lines = readFileSync(path.join(dir, 'executions', 'big.log'), 'utf8').trim().split('\n');
    expect(lines.length).toBeLessThanOrEqual(200);
    await withStore(dir, async (s) => {
      const h = await s.history('big');
      expect(h).toHaveLength(200);
      expect(h.at(-1)!.type).toBe('completed');
      expect(await s.load('big')).toMatchObject({ status: 'completed', result: encodeValue(1) });
    });
  });
});
