/**
 * The embedded backend: a SqliteStore and a SqliteQueue on one database
 * file, `<dir>/reawait.db`. Each opener (Client, Worker) has its own
 * connection; any number of processes may open the same file at once.
 */
import path from 'node:path';
import type { Backend } from '../engine/backend.js';
import { openDatabase, type Synchronous } from './database.js';
import { SqliteQueue } from './sqlite-queue.js';
import { SqliteStore } from './sqlite-store.js';

export const DATABASE_FILE = 'reawait.db';

export interface SqliteBackendOptions {
  /** The data folder (default '.reawait'); created if missing. The database is `<dir>/reawait.db`. */
  dir?: string;
  /** 'FULL' (default): every transition is on disk before it returns. 'NORMAL': a power cut may lose the last transitions (never consistency). */
  synchronous?: Synchronous;
  /** Run SQLite's quick integrity check when opening (default true; it reads the whole file: Workers do, Clients do not). */
  check?: boolean;
  historyCap?: number;
  /** How long a worker holds a job without renewing it (default 5 s): a killed worker's jobs run again after it. */
  leaseMs?: number;
  /** How often an idle worker looks for jobs pushed by other processes (default 50 ms). */
  pollMs?: number;
  /** Errors of jobs this opener serves that are not retried. */
  onError?: (error: unknown, where: string) => void;
}

/** The database file of an embedded data folder. */
export const databaseFile = (dir: string): string => path.resolve(dir, DATABASE_FILE);

export function sqliteBackend(options: SqliteBackendOptions = {}): Backend {
  const opened = openDatabase({
    file: databaseFile(options.dir ?? '.reawait'),
    ...(options.synchronous ? { synchronous: options.synchronous } : {}),
    ...(options.check !== undefined ? { check: options.check } : {}),
  });
  const queue = new SqliteQueue(opened, {
    ...(options.leaseMs ? { leaseMs: options.leaseMs } : {}),
    ...(options.pollMs ? { pollMs: options.pollMs } : {}),
    ...(options.onError ? { onError: options.onError } : {}),
  });
  const store = new SqliteStore(opened, { queue, ...(options.historyCap ? { historyCap: options.historyCap } : {}) });
  return { store, queue };
}
