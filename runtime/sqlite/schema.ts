/**
 * The tables of the embedded database. They mirror the Redis keys of
 * runtime/redis/redis-store.ts, one table per kind of key, so that every
 * transition of runtime/redis/lua/ is one transaction here over the same
 * data:
 *   executions   the record (x): status, rev, counters, outbox flag, tries of
 *                the current resume, …;
 *                `seq` orders executions by creation (list() is newest first);
 *                `phase` is the status with 'ready' and 'waiting' both 'live':
 *                the listing indexes key on it, so the flip of a step
 *                (waiting -> ready -> waiting, twice a step) rewrites only
 *                the partial index of ready executions and the update-time one
 *   states       the value (v): the args until the first suspension, then
 *                the state (compacted: state-header.ts); keyed by the
 *                execution's seq in a rowid table, so a state of up to ~1 KB
 *                stays on its leaf (a WITHOUT ROWID row spills past ~230
 *                bytes at 1 KiB pages: an overflow page per step)
 *   ops          outstanding ops and their watch tokens (x's `o:<op>`),
 *                with the signal name of a signal wait (x's `waits`)
 *   settlements  recorded, unconsumed settlements (s)
 *   watches      multi-op watches and their counters (w)
 *   signals      buffered signals nobody waited for yet (q:<name>)
 *   history      the capped event history (h), numbered per execution
 *                (executions.history counts the events ever appended); a
 *                row per transition: one event, or an array of the events
 *                of one transition, keyed `k` = (the execution's seq << 32)
 *                | n, n the number of its last event: a plain rowid table
 *                (one b-tree, rows of up to ~1 KB on their leaf, appends of
 *                the newest execution at the right edge; seq < 2^31 and
 *                n < 2^32)
 *   jobs         the queue: activity calls, resumes and timers, each with a
 *                lease (runtime/sqlite/sqlite-queue.ts)
 */
export const SCHEMA_VERSION = 6;

/** The listing indexes: none holds the ready/waiting flip but the partial one of ready executions (and the update time). */
const INDEXES = `CREATE INDEX executions_phase ON executions (phase, seq);
CREATE INDEX executions_workflow ON executions (workflow, phase, seq);
CREATE INDEX executions_updated ON executions (phase, updated_at);
CREATE INDEX executions_ready ON executions (seq) WHERE status = 'ready';`;

/** What brings a file of an earlier version to the next one, by that earlier version. */
export const MIGRATIONS: Record<number, string> = {
  // 2: tries of the current resume, for workflowInfo().attempt
  1: 'ALTER TABLE executions ADD COLUMN tries INTEGER NOT NULL DEFAULT 0;',
  // 3: history clustered by execution and event number (one b-tree written per append, not two)
  2: `CREATE TABLE history3 (exec TEXT NOT NULL, n INTEGER NOT NULL, event TEXT NOT NULL, PRIMARY KEY (exec, n)) WITHOUT ROWID;
      INSERT INTO history3 (exec, n, event) SELECT exec, row_number() OVER (PARTITION BY exec ORDER BY seq), event FROM history;
      UPDATE executions SET history = (SELECT count(*) FROM history3 WHERE history3.exec = executions.id);
      DROP TABLE history;
      ALTER TABLE history3 RENAME TO history;`,
  // 4: listing indexes keyed on the phase (ready and waiting are one), ready executions in a partial index
  3: `ALTER TABLE executions ADD COLUMN phase TEXT NOT NULL DEFAULT 'live';
      UPDATE executions SET phase = status WHERE status NOT IN ('ready', 'waiting');
      DROP INDEX executions_status;
      DROP INDEX executions_workflow;
      DROP INDEX executions_updated;
      ${INDEXES}`,
  // 5: history keyed by one integer, (seq << 32) | n, in a rowid table, and jobs without their execution's id
  // (their body has it): a step's rows fit their 1 KiB pages (no overflow page allocated and freed a step)
  4: `CREATE TABLE history5 (k INTEGER PRIMARY KEY, event TEXT NOT NULL);
      INSERT INTO history5 (k, event) SELECT (e.seq << 32) | h.n, h.event FROM history h JOIN executions e ON e.id = h.exec;
      DROP TABLE history;
      ALTER TABLE history5 RENAME TO history;
      CREATE TABLE jobs5 (kind TEXT NOT NULL, id TEXT NOT NULL, body TEXT NOT NULL, avail INTEGER NOT NULL, attempt INTEGER NOT NULL DEFAULT 1, lease TEXT, PRIMARY KEY (kind, id)) WITHOUT ROWID;
      INSERT INTO jobs5 (kind, id, body, avail, attempt, lease) SELECT kind, id, body, avail, attempt, lease FROM jobs;
      DROP TABLE jobs;
      ALTER TABLE jobs5 RENAME TO jobs;
      CREATE INDEX jobs_avail ON jobs (kind, avail);`,
  // 6: states keyed by the execution's seq in a rowid table (a state of up to ~1 KB on its leaf, not an overflow page)
  5: `CREATE TABLE states6 (seq INTEGER PRIMARY KEY, args TEXT, state TEXT);
      INSERT INTO states6 (seq, args, state) SELECT e.seq, s.args, s.state FROM states s JOIN executions e ON e.id = s.id;
      DROP TABLE states;
      ALTER TABLE states6 RENAME TO states;`,
};

export const SCHEMA = `
CREATE TABLE executions (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  workflow TEXT NOT NULL,
  version TEXT NOT NULL,
  status TEXT NOT NULL,
  rev INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  completed_at INTEGER,
  started INTEGER NOT NULL DEFAULT 0,
  settled INTEGER NOT NULL DEFAULT 0,
  at TEXT,
  result TEXT,
  error TEXT,
  cancel TEXT,
  cancel_delivered INTEGER NOT NULL DEFAULT 0,
  problem TEXT,
  parents TEXT,
  notify INTEGER NOT NULL DEFAULT 0,
  dispatch INTEGER,
  lone INTEGER,
  outbox TEXT,
  history INTEGER NOT NULL DEFAULT 0,
  tries INTEGER NOT NULL DEFAULT 0,
  phase TEXT NOT NULL DEFAULT 'live'
);
${INDEXES}
CREATE INDEX executions_ended ON executions (completed_at) WHERE completed_at IS NOT NULL;
CREATE INDEX executions_dispatch ON executions (dispatch) WHERE dispatch IS NOT NULL;
CREATE INDEX executions_notify ON executions (notify) WHERE notify = 1;
CREATE TABLE states (
  seq INTEGER PRIMARY KEY,
  args TEXT,
  state TEXT
);
CREATE TABLE ops (
  exec TEXT NOT NULL,
  op INTEGER NOT NULL,
  token TEXT NOT NULL DEFAULT '',
  signal TEXT,
  PRIMARY KEY (exec, op)
) WITHOUT ROWID;
CREATE INDEX ops_signal ON ops (exec, signal, op) WHERE signal IS NOT NULL;
CREATE TABLE settlements (
  exec TEXT NOT NULL,
  op INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  ok INTEGER NOT NULL,
  payload TEXT NOT NULL,
  PRIMARY KEY (exec, op)
) WITHOUT ROWID;
CREATE TABLE watches (
  exec TEXT NOT NULL,
  key TEXT NOT NULL,
  mode TEXT NOT NULL,
  n INTEGER NOT NULL,
  f INTEGER NOT NULL,
  r INTEGER NOT NULL,
  PRIMARY KEY (exec, key)
) WITHOUT ROWID;
CREATE TABLE signals (
  seq INTEGER PRIMARY KEY,
  exec TEXT NOT NULL,
  name TEXT NOT NULL,
  payload TEXT NOT NULL
);
CREATE INDEX signals_name ON signals (exec, name, seq);
CREATE TABLE history (
  k INTEGER PRIMARY KEY,
  event TEXT NOT NULL
);
CREATE TABLE jobs (
  kind TEXT NOT NULL,
  id TEXT NOT NULL,
  body TEXT NOT NULL,
  avail INTEGER NOT NULL,
  attempt INTEGER NOT NULL DEFAULT 1,
  lease TEXT,
  PRIMARY KEY (kind, id)
) WITHOUT ROWID;
CREATE INDEX jobs_avail ON jobs (kind, avail);
`;
