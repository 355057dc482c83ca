/**
 * Deferred writes (runtime/sqlite/database.ts `defer`): queue bookkeeping
 * that joins the connection's next transaction. They commit before that
 * transaction's own writes, survive its rollback, commit alone if no
 * transaction comes, and are not lost at close.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase, type Opened } from '../runtime/sqlite/database.js';

const root = mkdtempSync(path.join(tmpdir(), 'reawait-sqlite-defer-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let n = 0;
function open(): Opened {
  const d = openDatabase({ file: path.join(root, `d${++n}.db`) });
  d.db.exec('CREATE TABLE log (seq INTEGER PRIMARY KEY, what TEXT)');
  return d;
}
const add = (d: Opened, what: string) => () => void d.db.prepare('INSERT INTO log (what) VALUES (?)').run(what);
const log = (file: string): string[] => {
  // another connection: sees committed rows only
  const other = new Database(file, { readonly: true });
  try {
    return (other.prepare('SELECT what FROM log ORDER BY seq').all() as { what: string }[]).map((r) => r.what);
  } finally {
    other.close();
  }
};

async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('SQLite deferred writes', () => {
  it('join the next transaction, before its own writes; `after` runs once it committed', async () => {
    const d = open();
    const after: string[] = [];
    d.defer(add(d, 'push'), () => after.push(log(d.file).join(',')));
    expect(d.deferred()).toBe(true);
    expect(log(d.file)).toEqual([]);
    d.tx(add(d, 'claim'));
    expect(d.deferred()).toBe(false);
    expect(log(d.file)).toEqual(['push', 'claim']);
    expect(after).toEqual(['push,claim']);
    await d.close();
  });

  it('survive a transaction that rolls back, and commit with the next one', async () => {
    const d = open();
    d.defer(add(d, 'push'));
    expect(() =>
      d.tx(() => {
        add(d, 'doomed')();
        throw new Error('body failed');
      }),
    ).toThrow('body failed');
    expect(log(d.file)).toEqual([]);
    expect(d.deferred()).toBe(true);
    await d.batch(false, add(d, 'settle'));
    expect(log(d.file)).toEqual(['push', 'settle']);
    await d.close();
  });

  it('commit alone when no transaction comes, and at close', async () => {
    const d = open();
    d.defer(add(d, 'alone'));
    await until(() => log(d.file).length === 1);
    expect(log(d.file)).toEqual(['alone']);
    d.defer(add(d, 'at close'));
    await d.close();
    expect(log(d.file)).toEqual(['alone', 'at close']);
  });

  it('one that fails rolls back alone and reports its error; the others and the transaction commit', async () => {
    const d = open();
    const errors: string[] = [];
    d.defer(add(d, 'first'));
    d.defer(
      () => void d.db.prepare('INSERT INTO missing_table VALUES (1)').run(),
      () => errors.push('after ran'),
      (e) => errors.push(e instanceof Error ? e.message : String(e)),
    );
    d.defer(add(d, 'third'));
    d.tx(add(d, 'own'));
    expect(log(d.file)).toEqual(['first', 'third', 'own']);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/missing_table/);
    await d.close();
  });
});
