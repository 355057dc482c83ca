/**
 * A damaged embedded database is an error that says so: which file, what
 * SQLite found, and what to do. Nothing in reawait recreates, repairs or
 * overwrites a damaged file. (No native import here: the package root
 * exports this class without loading SQLite.)
 */
import { existsSync, renameSync } from 'node:fs';
import { serializable } from '../serializable.js';

export class DatabaseDamagedError extends Error {
  override name = 'DatabaseDamagedError';
  constructor(
    readonly file: string,
    readonly detail: string,
  ) {
    super(
      `the reawait database '${file}' is damaged (${detail}). Nothing was changed. ` +
        `Stop every process that uses it, keep a copy of the file (and its -wal file), then restore it from a backup, ` +
        `or try 'sqlite3 ${file} .recover' into a new file; to start over, move the file away.`,
    );
  }
}

// It may end up as an execution's error: it decodes as itself.
serializable(DatabaseDamagedError, 'reawait.DatabaseDamagedError');

/** SQLite result codes that mean the file is not a sound database. */
const DAMAGE = new Set(['SQLITE_CORRUPT', 'SQLITE_NOTADB', 'SQLITE_CORRUPT_VTAB', 'SQLITE_CORRUPT_SEQUENCE', 'SQLITE_CORRUPT_INDEX']);

/** `e` as a DatabaseDamagedError when SQLite reports damage; otherwise `e` itself. */
export function explainDamage(file: string, e: unknown): unknown {
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && DAMAGE.has(code)) return new DatabaseDamagedError(file, `${code}: ${(e as Error).message}`);
  return e;
}


/**
 * Move a damaged database (and its -wal and -shm files) aside, next to it,
 * as `<file>.damaged-<time>`: kept for recovery, out of the way of a new
 * one. Returns the new name of the database file.
 */
export function moveAside(file: string, now = new Date()): string {
  const aside = `${file}.damaged-${now.toISOString().replace(/[:.]/g, '-')}`;
  for (const suffix of ['-wal', '-shm', '']) if (existsSync(file + suffix)) renameSync(file + suffix, aside + suffix);
  return aside;
}
