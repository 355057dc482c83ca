/**
 * The WAL's group commit (runtime/sqlite/wal-sync.ts): a commit resolves
 * only after a sync that started after it, off the event loop or (inline)
 * on it; commits made while a sync runs share the next one; after close
 * every waiting commit fails clearly. Against a real WAL file.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase, PAGE_SIZE, RESERVE_WAL_AFTER, WAL_AUTOCHECKPOINT } from '../runtime/sqlite/database.js';
import { ensureDist, ROOT } from './support/global-setup.js';
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

describe('the reserved WAL', () => {
  const reserved = 32 + WAL_AUTOCHECKPOINT * (PAGE_SIZE + 24);

  it('a connection that commits durably RESERVE_WAL_AFTER times writes the WAL out to its checkpoint size; one that commits less does not', async () => {
    const file = path.join(root, 'reserve', 'reawait.db');
    const d = openDatabase({ file });
    const add = d.db.prepare('INSERT INTO history (k, event) VALUES (?, ?)');
    for (let i = 1; i < RESERVE_WAL_AFTER; i++) await d.durableTx(() => add.run(i, '{}'));
    expect(statSync(`${file}-wal`).size).toBeLessThan(PAGE_SIZE * 200);
    await d.durableTx(() => add.run(RESERVE_WAL_AFTER, '{}'));
    expect(statSync(`${file}-wal`).size).toBe(reserved);
    // NORMAL never waits for a sync: nothing to gain, nothing reserved
    const normal = path.join(root, 'reserve-normal', 'reawait.db');
    const n = openDatabase({ file: normal, synchronous: 'NORMAL' });
    const addN = n.db.prepare('INSERT INTO history (k, event) VALUES (?, ?)');
    for (let i = 1; i <= RESERVE_WAL_AFTER * 2; i++) await n.durableTx(() => addN.run(i, '{}'));
    expect(statSync(`${normal}-wal`).size).toBeLessThan(PAGE_SIZE * 200);
    await Promise.all([d.close(), n.close()]);
  });

  it('kill -9 of a process writing into its reserved WAL, before and after the WAL restarts over it: every commit it saw synced is there, and the file checks ok', async () => {
    await ensureDist();
    const dir = path.join(root, 'reserve-kill');
    const file = path.join(dir, 'reawait.db');
    // Commits past the checkpoint threshold, so the WAL restarts from its start over old frames and the zeros
    // past them; each prints its number once synced, and the process kills itself in the middle of the last run.
    const script = path.join(root, 'reserve-kill.mjs');
    writeFileSync(
      script,
      `import { statSync } from 'node:fs';
import { openDatabase } from ${JSON.stringify(pathToFileURL(path.join(ROOT, 'dist/runtime/sqlite/database.js')).href)};
const file = ${JSON.stringify(file)};
const d = openDatabase({ file });
const add = d.db.prepare('INSERT INTO history (k, event) VALUES (?, ?)');
const total = Number(process.argv[2]);
for (let i = 1; i <= total; i++) {
  await d.durableTx(() => add.run(i, JSON.stringify({ i, pad: 'x'.repeat(200) })));
  if (i === ${RESERVE_WAL_AFTER}) console.log('reserved ' + statSync(file + '-wal').size);
  if (i % 500 === 0 || i === total) console.log('synced ' + i);
}
process.kill(process.pid, 'SIGKILL');
`,
    );
    const total = WAL_AUTOCHECKPOINT + 1500;
    const run = spawnSync(process.execPath, [script, String(total)], { encoding: 'utf8' });
    expect(run.signal).toBe('SIGKILL');
    expect(run.stdout).toContain(`reserved ${reserved}`);
    expect(run.stdout).toContain(`synced ${total}`);
    const d = openDatabase({ file }); // quick_check on open: a damaged file throws
    const rows = d.db.prepare('SELECT count(*) AS n, max(k) AS top FROM history').get() as { n: number; top: number };
    expect(rows).toEqual({ n: total, top: total });
    const last = d.db.prepare('SELECT event FROM history WHERE k = ?').get(total) as { event: string };
    expect(JSON.parse(last.event).i).toBe(total);
    await d.close();
  }, 60_000);
});

