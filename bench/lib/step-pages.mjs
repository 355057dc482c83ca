/**
 * Bench row 8e's anchor: a raw better-sqlite3 loop whose every transaction writes
 * the pages one sequential step's commit writes on the embedded store
 * (`STEPS=300 node bench/probe/wal-frames.mjs` lists them): the execution
 * row and its update-time index entry, the state, a history row, an op
 * replaced by the next, a job replaced by the next and its due-time index
 * entry. Same settings as the store: WAL, synchronous FULL, 1 KiB pages,
 * the WAL written out to its checkpoint size first (database.ts). No engine,
 * no reads, no JSON: the disk work of the schema's layout alone, which is
 * the most a step could ever cost less than.
 */
import Database from 'better-sqlite3';
import { closeSync, fdatasyncSync, fstatSync, openSync, writeSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

const CHECKPOINT_FRAMES = 8192;

/** N such transactions in a new database file; returns their wall time in ms. */
export function stepPagesLoop(file, n) {
  const db = new Database(file);
  db.pragma('page_size = 1024');
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma(`wal_autocheckpoint = ${CHECKPOINT_FRAMES}`);
  db.exec(`CREATE TABLE executions (seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, phase TEXT, rev INTEGER, updated_at INTEGER, at TEXT);
    CREATE INDEX executions_updated ON executions (phase, updated_at);
    CREATE TABLE states (seq INTEGER PRIMARY KEY, state TEXT);
    CREATE TABLE history (k INTEGER PRIMARY KEY, event TEXT);
    CREATE TABLE ops (exec TEXT, op INTEGER, token TEXT, PRIMARY KEY (exec, op)) WITHOUT ROWID;
    CREATE TABLE jobs (kind TEXT, id TEXT, body TEXT, avail INTEGER, lease TEXT, PRIMARY KEY (kind, id)) WITHOUT ROWID;
    CREATE INDEX jobs_avail ON jobs (kind, avail);
    INSERT INTO executions (id, phase, rev, updated_at) VALUES ('wf-0123456789abcdef', 'live', 0, 0);`);
  reserveWal(db, `${file}-wal`, 32 + CHECKPOINT_FRAMES * (1024 + 24));
  const id = 'wf-0123456789abcdef';
  const q = {
    exec: db.prepare('UPDATE executions SET rev = rev + 1, updated_at = ?, at = ? WHERE id = ?'),
    state: db.prepare('INSERT INTO states (seq, state) VALUES (1, ?) ON CONFLICT (seq) DO UPDATE SET state = excluded.state'),
    history: db.prepare('INSERT INTO history (k, event) VALUES (?, ?)'),
    dropOp: db.prepare('DELETE FROM ops WHERE exec = ? AND op = ?'),
    addOp: db.prepare(`INSERT INTO ops (exec, op, token) VALUES (?, ?, '*')`),
    dropJob: db.prepare(`DELETE FROM jobs WHERE kind = 'a' AND id = ?`),
    addJob: db.prepare(`INSERT INTO jobs (kind, id, body, avail, lease) VALUES ('a', ?, ?, ?, 'Zq3k8Jw1xYp0a1')`),
  };
  const step = db.transaction((i) => {
    const t = 1_700_000_000_000 + i;
    q.exec.run(t, `{"fn":"chain","file":"src/chain.ts","line":${4 + (i % 3)},"column":17}`, id);
    q.state.run(`{"v":2,"i":${i},"pad":"${'x'.repeat(280)}"}`);
    q.history.run(i, `[{"t":${t},"type":"call completed","op":${i},"activity":"step"},{"t":${t},"type":"resumed","rev":${i},"settlements":1},{"t":${t},"type":"suspended","fn":"chain","file":"src/chain.ts","line":5}]`);
    q.dropOp.run(id, i - 1);
    q.addOp.run(id, i);
    q.dropJob.run(`${id}:${i - 1}`);
    q.addJob.run(`${id}:${i}`, `{"executionId":"${id}","op":${i},"activity":"step","args":"[${i}]","options":{}}`, t + 5000);
  });
  for (let i = 1; i <= 50; i++) step(i); // warm-up: statements and pages
  const t0 = performance.now();
  for (let i = 51; i < 51 + n; i++) step(i);
  const ms = performance.now() - t0;
  db.close();
  return ms;
}

/** As WalSync.reserve: zeros past the WAL's end up to `bytes`, under the write lock. */
function reserveWal(db, walFile, bytes) {
  db.exec('BEGIN IMMEDIATE');
  try {
    const fd = openSync(walFile, 'r+');
    const zeros = Buffer.alloc(1 << 20);
    for (let at = fstatSync(fd).size; at < bytes; ) at += writeSync(fd, zeros, 0, Math.min(zeros.length, bytes - at), at);
    fdatasyncSync(fd);
    closeSync(fd);
  } finally {
    db.exec('COMMIT');
  }
}
