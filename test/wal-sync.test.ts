/**
 * The WAL's group commit (runtime/sqlite/wal-sync.ts): a commit resolves
 * only after a sync that started after it, off the event loop or (inline)
 * on it; commits made while a sync runs share the next one; after close
 * every waiting commit fails clearly. Against a real WAL file.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase, PAGE_SIZE, WAL_AUTOCHECKPOINT } from '../runtime/sqlite/database.js';
import { WalSync } from '../runtime/sqlite/wal-sync.js';

const root = mkdtempSync(path.join(tmpdir(), 'reawait-wal-sync-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

/** A database with its WAL file, and a WalSync on it. */
function walOn(): { wal: WalSync; close(): Promise<void> } {
  const file = path.join(root, `w${++n}`, 'reawait.db');
  const d = openDatabase({ file });
  d.tx(() => d.db.prepare(`INSERT INTO history (k, event) VALUES (1, '{}')`).run());
  const wal = new WalSync(file);
  return { wal, close: async () => (await wal.close(), await d.close()) };
}

describe('WalSync', () => {
  it('resolves commits in order; an inline sync runs now, and one asked for while a sync runs waits for the next', async () => {
    const { wal, close } = walOn();
    const order: string[] = [];
    // inline, nothing running: synced before afterCommit returns (its promise is already settled)
    const first = wal.afterCommit(true).then(() => order.push('inline'));
    const a = wal.afterCommit().then(() => order.push('a'));
    // 'a' started a sync off the loop: these two share the one after it, inline or not
    const b = wal.afterCommit(true).then(() => order.push('b'));
    const c = wal.afterCommit().then(() => order.push('c'));
    await Promise.all([first, a, b, c]);
    expect(order).toEqual(['inline', 'a', 'b', 'c']);
    await close();
  });

  it('after close, no more syncs: a commit waiting then fails with a clear error', async () => {
    const { wal, close } = walOn();
    await wal.afterCommit(true);
    await close();
    await expect(wal.afterCommit(true)).rejects.toThrow(/was closed before its last commits were synced/);
    await expect(wal.afterCommit()).rejects.toThrow(/was closed before its last commits were synced/);
  });
});

describe('a new database', () => {
  it('has small pages: a step writes several rows of several tables, each dirty page a WAL frame', async () => {
    const d = openDatabase({ file: path.join(root, 'p', 'reawait.db') });
    expect(d.db.pragma('page_size', { simple: true })).toBe(1024);
    await d.close();
  });

  it('checkpoints its WAL every WAL_AUTOCHECKPOINT frames, not at SQLite\'s default 1000: the WAL grows past 1000 frames, then restarts', async () => {
    const file = path.join(root, 'ckpt', 'reawait.db');
    const d = openDatabase({ file, synchronous: 'NORMAL' });
    const frame = PAGE_SIZE + 24;
    const frames = (): number => Math.floor((statSync(`${file}-wal`).size - 32) / frame);
    const add = d.db.prepare('INSERT INTO history (k, event) VALUES (?, ?)');
    let n = 0;
    // one row a commit, at least one frame each: with SQLite's default the WAL would restart at 1000 frames
    for (let i = 0; i < 3000; i++) d.tx(() => add.run(++n, '{}'));
    expect(frames()).toBeGreaterThan(2000);
    // past the threshold the WAL is checkpointed and written again from its start: it stops growing
    for (let i = 0; i < WAL_AUTOCHECKPOINT * 2; i++) d.tx(() => add.run(++n, '{}'));
    expect(frames()).toBeLessThanOrEqual(WAL_AUTOCHECKPOINT + 64);
    await d.close();
  });
});
