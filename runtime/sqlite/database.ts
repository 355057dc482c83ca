/**
 * The embedded database: one SQLite file (default `.reawait/reawait.db`)
 * shared by every process that names it. WAL lets readers run beside one
 * writer; `busy_timeout` makes a writer of another process wait its turn.
 *
 * Durability: with `synchronous: 'FULL'` (the default) every transition a
 * caller relies on (a commit, a settlement, a signal, a cancel) is fsynced
 * before it returns; bookkeeping that the recovery sweep or a lease can
 * redo (queue claims and deletions, outbox flags, history-only appends)
 * commits without its own fsync, and the next durable commit syncs it too
 * (the WAL is one file written in order). `'NORMAL'` skips the per-commit
 * fsync everywhere: a power cut may lose the last transactions, never
 * consistency; a kill -9 loses nothing either way.
 *
 * Damage is loud: a file that is not a database, or one SQLite reports
 * corrupt, is a DatabaseDamagedError naming the path and what to do; nothing
 * here ever recreates or overwrites a damaged file.
 */
import Database from 'better-sqlite3';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { DatabaseDamagedError, explainDamage } from './damage.js';
import { SCHEMA, SCHEMA_VERSION } from './schema.js';

export { DatabaseDamagedError };

export type Synchronous = 'FULL' | 'NORMAL';

export type Db = Database.Database;

export interface OpenOptions {
  /** The database file. */
  file: string;
  synchronous?: Synchronous;
  /** Run SQLite's integrity check on open (default true). */
  check?: boolean;
  /** How long a write waits for another process's (default 10 s). */
  busyTimeoutMs?: number;
}

export interface Opened {
  db: Db;
  file: string;
  /** Runs `body` as one IMMEDIATE transaction; `durable` commits it with an fsync (when the database is FULL). */
  tx<T>(durable: boolean, body: () => T): T;
  /**
   * Group commit: `body` runs with the others queued in this turn of the
   * event loop, in one transaction (one fsync for all), each in a savepoint
   * of its own (one that throws rolls back alone). Resolves once committed.
   */
  batch<T>(durable: boolean, body: () => T): Promise<T>;
  /** Resolves once what is queued for group commit has committed. */
  drain(): Promise<void>;
}

interface Queued {
  durable: boolean;
  body: () => unknown;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

export function openDatabase(o: OpenOptions): Opened {
  const file = path.resolve(o.file);
  const fresh = !existsSync(file);
  mkdirSync(path.dirname(file), { recursive: true });
  let db: Db;
  try {
    db = new Database(file, { fileMustExist: !fresh });
  } catch (e) {
    throw explainDamage(file, e);
  }
  try {
    db.pragma(`busy_timeout = ${o.busyTimeoutMs ?? 10_000}`);
    if (!fresh && o.check !== false) {
      const rows = db.pragma('quick_check') as { quick_check: string }[];
      const problems = rows.map((r) => r.quick_check).filter((r) => r !== 'ok');
      if (problems.length) throw new DatabaseDamagedError(file, `integrity check: ${problems.slice(0, 3).join('; ')}`);
    }
    const mode = db.pragma('journal_mode = WAL', { simple: true }) as string;
    if (mode.toLowerCase() !== 'wal') throw new Error(`reawait: cannot use WAL on '${file}' (journal mode stays '${mode}')`);
    db.pragma('foreign_keys = OFF');
    migrate(db, file);
  } catch (e) {
    db.close();
    throw explainDamage(file, e);
  }
  const full = (o.synchronous ?? 'FULL') === 'FULL';
  // Bookkeeping commits without its own fsync; durable transitions switch to FULL for their commit.
  db.pragma('synchronous = NORMAL');
  const begin = db.prepare('BEGIN IMMEDIATE');
  const commit = db.prepare('COMMIT');
  const rollback = db.prepare('ROLLBACK');
  const syncFull = db.prepare('PRAGMA synchronous = FULL');
  const syncNormal = db.prepare('PRAGMA synchronous = NORMAL');
  function tx<T>(durable: boolean, body: () => T): T {
    // The safety level cannot change inside a transaction: it is set for the commit to come.
    const sync = durable && full;
    try {
      if (sync) syncFull.run();
      begin.run();
      try {
        const out = body();
        commit.run();
        return out;
      } catch (e) {
        if (db.inTransaction) rollback.run();
        throw e;
      } finally {
        if (sync) syncNormal.run();
      }
    } catch (e) {
      throw explainDamage(file, e);
    }
  }
  const savepoint = db.prepare('SAVEPOINT item');
  const release = db.prepare('RELEASE item');
  const rollbackItem = db.prepare('ROLLBACK TO item');
  let queued: Queued[] = [];
  function flush(): void {
    const items = queued;
    queued = [];
    const outcomes: ({ ok: true; value: unknown } | { ok: false; error: unknown })[] = [];
    try {
      tx(
        items.some((i) => i.durable),
        () => {
          for (const item of items) {
            savepoint.run();
            try {
              outcomes.push({ ok: true, value: item.body() });
            } catch (error) {
              rollbackItem.run();
              outcomes.push({ ok: false, error: explainDamage(file, error) });
            }
            release.run();
          }
        },
      );
    } catch (error) {
      for (const item of items) item.reject(error);
      return;
    }
    items.forEach((item, i) => {
      const o = outcomes[i]!;
      if (o.ok) item.resolve(o.value);
      else item.reject(o.error);
    });
  }
  function batch<T>(durable: boolean, body: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (queued.length === 0) setImmediate(flush);
      queued.push({ durable, body, resolve: resolve as (v: unknown) => void, reject });
    });
  }
  const drain = (): Promise<void> => (queued.length ? new Promise((r) => setImmediate(r)) : Promise.resolve());
  return { db, file, tx, batch, drain };
}

/** Create the schema in a new file; refuse a file of another schema. Checked inside the write lock: two processes may open a new file at once. */
function migrate(db: Db, file: string): void {
  if ((db.pragma('user_version', { simple: true }) as number) === SCHEMA_VERSION) return;
  db.exec('BEGIN IMMEDIATE');
  try {
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version !== SCHEMA_VERSION) {
      if (version !== 0) throw new Error(`reawait: the database '${file}' has schema version ${version}; this build of reawait reads version ${SCHEMA_VERSION}`);
      const tables = db.prepare(`SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'`).get() as { n: number };
      if (tables.n > 0) throw new DatabaseDamagedError(file, 'it holds tables but no reawait schema version: not a reawait database');
      db.exec(`${SCHEMA} PRAGMA user_version = ${SCHEMA_VERSION};`);
    }
    db.exec('COMMIT');
  } catch (e) {
    if (db.inTransaction) db.exec('ROLLBACK');
    throw e;
  }
}
