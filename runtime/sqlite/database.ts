/**
 * The embedded database: one SQLite file (default `.reawait/reawait.db`)
 * shared by every process that names it. WAL lets readers run beside one
 * writer; `busy_timeout` makes a writer of another process wait its turn.
 *
 * Durability: with `synchronous: 'FULL'` (the default) every transition a
 * caller relies on (a commit, a settlement, a signal, a cancel) is on disk
 * before its promise resolves: it commits without an fsync and waits for
 * the WAL's next fdatasync, run off the event loop and shared by every
 * commit made before it (./wal-sync.ts). Bookkeeping that the recovery
 * sweep or a lease can redo (queue claims and deletions, outbox flags,
 * history-only appends) does not wait: the next sync carries it (the WAL is
 * one file written in order, so what is on disk is always a prefix of the
 * commits). A commit is visible to other connections a moment before it is
 * on disk. `'NORMAL'` waits for no sync: a power cut may lose the last
 * transitions, never consistency; a kill -9 loses nothing either way.
 * A connection that commits durably often writes the WAL out to its
 * checkpoint size once (RESERVE_WAL_AFTER, WalSync.reserve).
 *
 * Damage is loud: a file that is not a database, or one SQLite reports
 * corrupt, is a DatabaseDamagedError naming the path and what to do; nothing
 * here ever recreates or overwrites a damaged file.
 */
import Database from 'better-sqlite3';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { DatabaseDamagedError, explainDamage } from './damage.js';
import { MIGRATIONS, SCHEMA, SCHEMA_VERSION } from './schema.js';
import { WalSync } from './wal-sync.js';

export { DatabaseDamagedError };

export type Synchronous = 'FULL' | 'NORMAL';

/** The page size of a new database file. */
export const PAGE_SIZE = 1024;

/**
 * WAL frames after which a commit checkpoints them into the database file
 * (SQLite's default is 1000). A checkpoint blocks its commit for two syncs
 * (the WAL, then the file): about 5 ms on this project's VMs. A step writes
 * 8–13 frames of 1 KiB, so the default checkpointed every ~75–125 steps (at
 * 13, ~15% of a step in bench row 8a); the pages a checkpoint copies are
 * mostly the same few (an execution's rows, the tables' roots), so one every
 * 8,192 frames (an 8 MiB WAL, twice SQLite's default in bytes at 4 KiB
 * pages) copies little more and runs about 8 times less often.
 */
export const WAL_AUTOCHECKPOINT = 8192;

/**
 * After this many durable commits a connection reserves the WAL's full size
 * up front (WalSync.reserve: a sync over blocks the file already has costs
 * about half of one that grows it). A process that commits a few times (a
 * CLI command, a Client's start) writes no megabytes of zeros.
 */
export const RESERVE_WAL_AFTER = 32;

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
  /** Runs `body` as one IMMEDIATE transaction and commits it (without waiting for the disk). */
  tx<T>(body: () => T): T;
  /** tx(), then (FULL) wait until the commit is on disk. */
  durableTx<T>(body: () => T): Promise<T>;
  /**
   * `body` runs with the others queued in this turn of the event loop, in
   * one transaction, each in a savepoint of its own (one that throws rolls
   * back alone). Resolves once committed, and a `durable` one once on disk
   * (a function says it from what `body` returned).
   */
  batch<T>(durable: boolean | ((out: T) => boolean), body: () => T): Promise<T>;
  /** Commit what is queued, wait for the syncs under way, and close the connection. */
  close(): Promise<void>;
  /**
   * Set by the worker on this connection (sqlite-queue.ts): whether nothing
   * else of this process could run during the next sync, which then runs on
   * the event loop (./wal-sync.ts). Unset: off the loop.
   */
  idle?: () => boolean;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

interface Queued {
  durable: boolean | ((out: unknown) => boolean);
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
    // Set before anything is written (a file's page size is fixed then). A step rewrites a few rows of
    // several tables: each dirty page is one WAL frame to write, checksum and sync, and small pages make
    // those frames a quarter of the bytes (bench row 8a; states larger than a page overflow as before).
    if (fresh) db.pragma(`page_size = ${PAGE_SIZE}`);
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
  db.pragma('synchronous = NORMAL');
  db.pragma(`wal_autocheckpoint = ${WAL_AUTOCHECKPOINT}`);
  const wal = new WalSync(file);
  let durableCommits = 0;
  const synced = (): Promise<void> => {
    if (!full) return Promise.resolve();
    if (++durableCommits === RESERVE_WAL_AFTER) reserveWal();
    return wal.afterCommit(opened.idle?.() ?? false);
  };
  /** Reserve the WAL up to its size at the checkpoint threshold: frames of a page and a 24-byte header, after the 32-byte file header. */
  function reserveWal(): void {
    const bytes = 32 + WAL_AUTOCHECKPOINT * ((db.pragma('page_size', { simple: true }) as number) + 24);
    try {
      tx(() => wal.reserve(bytes));
    } catch {
      // Only speed is lost (a full disk, say, fails the next commit clearly); zeros past the last frame are never read.
    }
  }
  const begin = db.prepare('BEGIN IMMEDIATE');
  const commit = db.prepare('COMMIT');
  const rollback = db.prepare('ROLLBACK');
  function tx<T>(body: () => T): T {
    try {
      begin.run();
      try {
        const out = body();
        commit.run();
        return out;
      } catch (e) {
        if (db.inTransaction) rollback.run();
        throw e;
      }
    } catch (e) {
      throw explainDamage(file, e);
    }
  }
  async function durableTx<T>(body: () => T): Promise<T> {
    const out = tx(body);
    await synced();
    return out;
  }
  const savepoint = db.prepare('SAVEPOINT item');
  const release = db.prepare('RELEASE item');
  const rollbackItem = db.prepare('ROLLBACK TO item');
  let queued: Queued[] = [];
  /** One item of a batch, in a savepoint of the batch's transaction: one that throws rolls back alone. */
  function inSavepoint(item: Queued): Outcome {
    savepoint.run();
    let out: Outcome;
    try {
      out = { ok: true, value: item.body() };
    } catch (error) {
      rollbackItem.run();
      out = { ok: false, error: explainDamage(file, error) };
    }
    release.run();
    return out;
  }
  /** A batch of one: its own transaction, no savepoint (one that throws rolls back the whole). */
  function alone(item: Queued): Outcome {
    try {
      return { ok: true, value: tx(item.body) };
    } catch (error) {
      return { ok: false, error };
    }
  }
  function flush(): void {
    const items = queued;
    queued = [];
    if (!db.open) {
      for (const item of items) item.reject(new Error(`reawait: the database '${file}' is closed`));
      return;
    }
    let outcomes: Outcome[];
    try {
      outcomes = items.length === 1 ? [alone(items[0]!)] : tx(() => items.map(inSavepoint));
    } catch (error) {
      for (const item of items) item.reject(error);
      return;
    }
    const durable = items.map((item, k) => {
      const o = outcomes[k]!;
      return o.ok && (typeof item.durable === 'function' ? item.durable(o.value) : item.durable);
    });
    const sync = durable.includes(true) ? synced() : undefined;
    items.forEach((item, k) => {
      const o = outcomes[k]!;
      if (!o.ok) item.reject(o.error);
      else if (durable[k] && sync) sync.then(() => item.resolve(o.value), item.reject);
      else item.resolve(o.value);
    });
  }
  function batch<T>(durable: boolean | ((out: T) => boolean), body: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (queued.length === 0) setImmediate(flush);
      queued.push({ durable: durable as Queued['durable'], body, resolve: resolve as (v: unknown) => void, reject });
    });
  }
  async function close(): Promise<void> {
    if (queued.length) await new Promise((r) => setImmediate(r));
    await wal.close();
    if (db.open) db.close();
  }
  const opened: Opened = { db, file, tx, durableTx, batch, close };
  return opened;
}

/** Create the schema in a new file, bring an earlier version's file up to date; refuse a file of another schema. Checked inside the write lock: two processes may open a new file at once. */
function migrate(db: Db, file: string): void {
  if ((db.pragma('user_version', { simple: true }) as number) === SCHEMA_VERSION) return;
  db.exec('BEGIN IMMEDIATE');
  try {
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > 0 && version < SCHEMA_VERSION) {
      // An earlier version's file: each migration is one step up, in this transaction.
      for (let v = version; v < SCHEMA_VERSION; v++) db.exec(MIGRATIONS[v]!);
      db.exec(`PRAGMA user_version = ${SCHEMA_VERSION};`);
    } else if (version !== SCHEMA_VERSION) {
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
