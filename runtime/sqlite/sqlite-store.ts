/**
 * The embedded Store on SQLite (tables: ./schema.ts). Every transition is
 * one IMMEDIATE transaction doing what its Redis script does
 * (runtime/redis/lua/<name>.lua, named on each method), with the same
 * revision guard, so any number of processes may share one database file:
 * the write lock orders their transitions as Redis orders scripts.
 *
 * What a caller relies on (create, commits, settlements, signals, cancels)
 * commits durably; what the recovery sweep redoes (outbox and notify flags
 * cleared, history-only events) commits without its own fsync (./database.ts).
 */
import type { GroupMode } from '../contract.js';
import type { SuspendedAt } from '../machine.js';
import { readyRule } from '../ready-rules.js';
import { compactState, expandState } from '../state-header.js';
import type {
  CancelOutcome,
  CarriedSettlement,
  CommitOutcome,
  Ending,
  ExecutionRecord,
  ExecutionStatus,
  ExecutionSummary,
  HistoryEvent,
  ListFilter,
  LoadOptions,
  NewExecution,
  ParentLink,
  PendingWork,
  SettleOutcome,
  SignalOutcome,
  Store,
  StoredSettlement,
  Suspension,
} from '../store.js';
import { eventList, ExecutionEndedError, ExecutionNotFoundError, isTerminal, type HistoryEvents, type LoadedStep } from '../store.js';
import type { Opened } from './database.js';
import { explainDamage } from './damage.js';
import { SqliteQueue, type Handoff } from './sqlite-queue.js';

export interface SqliteStoreOptions {
  /** Events kept per execution (default 200, as on Redis). */
  historyCap?: number;
  /** The queue on the same connection: a commit's calls go to its worker when it has room (default: a queue that serves nobody). */
  queue?: SqliteQueue;
}

interface Row {
  seq: number;
  id: string;
  workflow: string;
  version: string;
  status: ExecutionStatus;
  rev: number;
  created_at: number;
  updated_at: number;
  completed_at: number | null;
  started: number;
  settled: number;
  at: string | null;
  result: string | null;
  error: string | null;
  cancel: string | null;
  cancel_delivered: number;
  problem: string | null;
  parents: string | null;
  notify: number;
  dispatch: number | null;
  lone: number | null;
  outbox: string | null;
  history: number;
}

/** What a transition checks first: a few columns, not the whole record (at, cancel: whether set). */
interface Head {
  seq: number;
  rev: number;
  status: ExecutionStatus;
  at: 0 | 1;
  cancel: 0 | 1;
  cancel_delivered: number;
}

interface ValueRow {
  args: string | null;
  state: string | null;
}

/**
 * A history row's key: the execution's creation number in the high 32 bits, the event number in the low
 * 32 (schema.ts). One rowid b-tree: an append needs no second index, and a row of up to ~1 KB stays on
 * its leaf (a WITHOUT ROWID row spills past ~230 bytes at 1 KiB pages, each spill a page allocated, freed
 * and the file header rewritten).
 */
const HISTORY_KEY = (seq: string, n: string): string => `((${seq} << 32) | ${n})`;
const N_MASK = '0xFFFFFFFF';

/** History rows beyond the cap are trimmed in batches of about this many. */
const TRIM_SLACK = 32;
/** History rows the cap keeps (as lib.lua's keeps()): what a retry reads, a final 'call failed' event (with its job) and a 'child failed' one. */
const KEPT_EVENT = `((event LIKE '%"type":"call failed"%' AND event LIKE '%"job":{%') OR event LIKE '%"type":"child failed"%')`;
/** KEPT_EVENT of one event (a row of several keeps them all; history() reads back only the kept ones of it). */
const kept = (e: HistoryEvent): boolean => (e.type === 'call failed' && typeof e.job === 'object' && e.job !== null) || e.type === 'child failed';

export class SqliteStore implements Store {
  /** A commit writes its calls and timers as rows of the jobs table in its own transaction (sqlite-queue.ts stage). */
  readonly queuesJobs = true;
  private readonly cap: number;
  private readonly jobs: SqliteQueue;
  private readonly q;
  private closed = false;

  constructor(
    private readonly d: Opened,
    options: SqliteStoreOptions = {},
  ) {
    this.cap = options.historyCap ?? 200;
    this.jobs = options.queue ?? new SqliteQueue(d);
    const p = (sql: string) => d.db.prepare(sql);
    this.q = {
      row: p('SELECT * FROM executions WHERE id = ?'),
      head: p('SELECT seq, rev, status, at IS NOT NULL AS at, cancel IS NOT NULL AS cancel, cancel_delivered FROM executions WHERE id = ?'),
      // states are keyed by the execution's seq: every caller has read its row first
      value: p('SELECT args, state FROM states WHERE seq = ?'),
      insert: p(`INSERT INTO executions (id, workflow, version, status, rev, created_at, updated_at, parents) VALUES (?, ?, ?, 'ready', 0, ?, ?, ?)`),
      insertValue: p('INSERT INTO states (seq, args) VALUES (?, ?)'),
      beginStep: p(`UPDATE executions SET tries = tries + 1 WHERE id = ? AND rev = ? AND status = 'ready' RETURNING tries`),
      // beginSettled's checks and its write in one statement: waiting with no cancel pending, the op outstanding
      // with the token '*' (so unsettled: a settlement of it would have made the execution ready), no settlement
      // recorded; the record comes back
      beginSettled: p(
        `UPDATE executions SET tries = tries + 1 WHERE id = @id AND status = 'waiting' AND (cancel IS NULL OR cancel_delivered = 1)
         AND EXISTS (SELECT 1 FROM ops WHERE exec = @id AND op = @op AND token = '*') AND NOT EXISTS (SELECT 1 FROM settlements WHERE exec = @id)
         RETURNING *`,
      ),
      setParents: p('UPDATE executions SET parents = ? WHERE id = ?'),
      settlements: p('SELECT op, seq, ok, payload FROM settlements WHERE exec = ? ORDER BY seq'),
      // the whole record of a suspension in one write: counters, outbox flag, the events it appends (their count
      // returned); guarded as due() says (@carried: 1 when the commit carries its settlement), so a stale commit
      // writes nothing and returns no row; `pending`: a cancel not delivered yet, by this commit or before
      suspend: p(
        `UPDATE executions SET rev = rev + 1, status = 'waiting', version = @version, at = @at, updated_at = @t, problem = NULL, tries = 0,
           cancel_delivered = max(cancel_delivered, @delivered), started = started + @started, settled = settled + @carried,
           dispatch = @dispatch, lone = @lone, outbox = @outbox, history = history + @events
         WHERE id = @id AND rev = @rev AND (CASE WHEN @carried = 1 THEN status = 'waiting' AND (cancel IS NULL OR cancel_delivered = 1) ELSE status = 'ready' END)
         RETURNING history, seq, cancel IS NOT NULL AND cancel_delivered <> 1 AS pending`,
      ),
      putState: p('INSERT INTO states (seq, args, state) VALUES (?, NULL, ?) ON CONFLICT (seq) DO UPDATE SET args = NULL, state = excluded.state'),
      end: p(
        `UPDATE executions SET rev = rev + 1, status = ?, phase = ?, result = ?, error = ?, completed_at = ?, updated_at = ?, at = NULL, problem = NULL, cancel_delivered = max(cancel_delivered, ?), started = started + ?, notify = (parents IS NOT NULL) WHERE id = ?`,
      ),
      endKeepAt: p(
        `UPDATE executions SET rev = rev + 1, status = ?, phase = ?, result = ?, error = ?, completed_at = ?, updated_at = ?, problem = NULL, cancel_delivered = max(cancel_delivered, ?), started = started + ?, notify = (parents IS NOT NULL) WHERE id = ?`,
      ),
      retry: p(`UPDATE executions SET rev = rev + 1, status = 'ready', phase = 'live', error = NULL, completed_at = NULL, started = started + ?, updated_at = ? WHERE id = ?`),
      setOutbox: p('UPDATE executions SET dispatch = ?, lone = ?, outbox = ? WHERE id = ?'),
      clearOutboxAt: p('UPDATE executions SET dispatch = NULL, lone = NULL, outbox = NULL WHERE id = ? AND dispatch = ?'),
      clearLone: p('UPDATE executions SET dispatch = NULL, lone = NULL, outbox = NULL WHERE id = ? AND lone = ?'),
      addOp: p('INSERT OR IGNORE INTO ops (exec, op, token, signal) VALUES (?, ?, ?, ?)'),
      delOp: p('DELETE FROM ops WHERE exec = ? AND op = ?'),
      delSettlement: p('DELETE FROM settlements WHERE exec = ? AND op = ?'),
      op: p('SELECT token FROM ops WHERE exec = ? AND op = ?'),
      setToken: p('UPDATE ops SET token = ? WHERE exec = ? AND op = ?'),
      settlementOk: p('SELECT ok FROM settlements WHERE exec = ? AND op = ?'),
      putWatch: p('INSERT INTO watches (exec, key, mode, n, f, r) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (exec, key) DO UPDATE SET mode = excluded.mode, n = excluded.n, f = excluded.f, r = excluded.r'),
      delWatch: p('DELETE FROM watches WHERE exec = ? AND key = ?'),
      watch: p('SELECT mode, n, f, r FROM watches WHERE exec = ? AND key = ?'),
      bumpWatch: p('UPDATE watches SET f = f + ?, r = r + ? WHERE exec = ? AND key = ?'),
      watches: p('SELECT mode, n, f, r FROM watches WHERE exec = ?'),
      firesAlone: p(`SELECT 1 FROM settlements s JOIN ops o ON o.exec = s.exec AND o.op = s.op WHERE s.exec = ? AND o.token = '*' LIMIT 1`),
      nextSeq: p('UPDATE executions SET settled = settled + 1 WHERE id = ? RETURNING settled - 1 AS seq'),
      insertSettlement: p('INSERT INTO settlements (exec, op, seq, ok, payload) VALUES (?, ?, ?, ?, ?)'),
      hasSettlement: p('SELECT 1 FROM settlements WHERE exec = ? AND op = ?'),
      markReady: p(`UPDATE executions SET status = 'ready', updated_at = ? WHERE id = ?`),
      popSignal: p('DELETE FROM signals WHERE seq = (SELECT seq FROM signals WHERE exec = ? AND name = ? ORDER BY seq LIMIT 1) RETURNING payload'),
      pushSignal: p('INSERT INTO signals (exec, name, payload) VALUES (?, ?, ?)'),
      waitFor: p('SELECT o.op, o.token FROM ops o WHERE o.exec = ? AND o.signal = ? AND NOT EXISTS (SELECT 1 FROM settlements s WHERE s.exec = o.exec AND s.op = o.op) ORDER BY o.op LIMIT 1'),
      endOpsSettled: p('DELETE FROM ops WHERE exec = ? AND op IN (SELECT op FROM settlements WHERE exec = ?)'),
      endSettlements: p('DELETE FROM settlements WHERE exec = ?'),
      dropState: p('DELETE FROM states WHERE seq = ?'),
      endWatches: p('DELETE FROM watches WHERE exec = ?'),
      endSignals: p('DELETE FROM signals WHERE exec = ?'),
      endWaits: p('UPDATE ops SET signal = NULL, token = ? WHERE exec = ?'),
      cancel: p('UPDATE executions SET cancel = ?, updated_at = ? WHERE id = ?'),
      problem: p('UPDATE executions SET problem = ?, updated_at = ? WHERE id = ?'),
      clearNotify: p('UPDATE executions SET notify = 0 WHERE id = ? AND notify = 1'),
      live: p('SELECT e.lone FROM ops o JOIN executions e ON e.id = o.exec WHERE o.exec = ? AND o.op = ? AND NOT EXISTS (SELECT 1 FROM settlements s WHERE s.exec = o.exec AND s.op = o.op)'),
      outbox: p('SELECT outbox FROM executions WHERE id = ? AND dispatch = ?'),
      addHistory: p(`INSERT INTO history (k, event) VALUES (${HISTORY_KEY('@s', '@n')}, @event)`),
      countHistory: p('UPDATE executions SET history = history + ? WHERE id = ? RETURNING history, seq'),
      // What a retry reads (engine/redispatch.ts) the cap never trims.
      trimHistory: p(`DELETE FROM history WHERE k > ${HISTORY_KEY('@s', '0')} AND k <= ${HISTORY_KEY('@s', '@upTo')} AND NOT (${KEPT_EVENT})`),
      history: p(`SELECT k & ${N_MASK} AS n, event FROM history WHERE k > ${HISTORY_KEY('@s', '0')} AND k < ${HISTORY_KEY('(@s + 1)', '0')} AND (k & ${N_MASK} > @from OR ${KEPT_EVENT}) ORDER BY k`),
      historyCount: p('SELECT history, seq FROM executions WHERE id = ?'),
      ready: p(`SELECT id FROM executions WHERE status = 'ready'`),
      dispatch: p('SELECT id FROM executions WHERE dispatch IS NOT NULL'),
      notify: p('SELECT id FROM executions WHERE notify = 1'),
      prunable: p(`SELECT id, seq FROM executions WHERE status IN ('completed', 'failed', 'cancelled') AND completed_at < ? AND notify = 0 AND dispatch IS NULL`),
      pruneRows: ['executions WHERE id', 'ops WHERE exec', 'settlements WHERE exec', 'watches WHERE exec', 'signals WHERE exec'].map((t) => p(`DELETE FROM ${t} = ?`)),
      pruneHistory: p(`DELETE FROM history WHERE k > ${HISTORY_KEY('@s', '0')} AND k < ${HISTORY_KEY('(@s + 1)', '0')}`),
    };
  }

  // ---------------------------------------------------------------------------
  // shared steps (lib.lua)
  // ---------------------------------------------------------------------------

  /**
   * Append events, numbered on from the record's count of events ever
   * appended; each time the count passes a multiple of TRIM_SLACK, drop all
   * but the last `cap` (so at most cap + TRIM_SLACK - 1 are kept), except
   * what a retry reads (KEPT_EVENT).
   */
  private addHistory(id: string, events: HistoryEvents | undefined): void {
    if (events === undefined) return;
    const list = eventList(events);
    if (!list.length) return;
    const count = this.q.countHistory.get(list.length, id) as { history: number; seq: number } | undefined;
    if (count) this.appendEvents(count.seq, list, count.history);
  }

  /**
   * Write `list` as the events numbered up to `last` (the record's count already includes them), trimming as
   * addHistory says. One row per transition: `n` the number of its last event, `event` one event's JSON or, for
   * a transition of several (a step's 'call completed', 'resumed', 'suspended', 'dispatched'), a JSON array of
   * them: one b-tree cell to insert per step, and a step's history bytes without three copies of the key.
   */
  private appendEvents(seq: number, list: readonly HistoryEvent[], last: number): void {
    const first = last - list.length + 1;
    this.q.addHistory.run({ s: seq, n: last, event: JSON.stringify(list.length === 1 ? list[0] : list) });
    if (last > this.cap && Math.floor(last / TRIM_SLACK) !== Math.floor((first - 1) / TRIM_SLACK)) this.q.trimHistory.run({ s: seq, upTo: last - this.cap });
  }

  private markReady(id: string, t: number): void {
    this.q.markReady.run(t, id);
  }

  /** Record the settlement of outstanding op `op` (token `token`): O(watches of the op). Whether it fires a watch (lib.lua settle_op). */
  private settleOp(id: string, op: number, ok: boolean, payload: string, token: string): boolean {
    const { seq } = this.q.nextSeq.get(id) as { seq: number };
    this.q.insertSettlement.run(id, op, seq, ok ? 1 : 0, payload);
    if (token === '*') return true;
    let fire = false;
    for (const key of token.split(',')) {
      if (key === '') continue;
      const w = this.q.watch.get(id, key) as { mode: GroupMode; n: number; f: number; r: number } | undefined;
      if (!w) continue;
      this.q.bumpWatch.run(ok ? 1 : 0, ok ? 0 : 1, id, key);
      if (ready(w.mode, w.n, w.f + (ok ? 1 : 0), w.r + (ok ? 0 : 1))) fire = true;
    }
    return fire;
  }

  /** Whether what is recorded already fires a watch (settlements a commit did not consume). */
  private firesNow(id: string): boolean {
    if (this.q.firesAlone.get(id)) return true;
    for (const w of this.q.watches.all(id) as { mode: GroupMode; n: number; f: number; r: number }[]) if (ready(w.mode, w.n, w.f, w.r)) return true;
    return false;
  }

  private setOutbox(id: string, rev: number, outbox: string, lone: number | undefined): void {
    this.q.setOutbox.run(...outboxColumns(rev, outbox, lone), id);
  }

  /** `unrecorded`: an op whose settlement a commit carries (no settlement row to delete). */
  private removeOps(id: string, ops: readonly number[], unrecorded?: number): void {
    for (const op of ops) {
      this.q.delOp.run(id, op);
      if (op !== unrecorded) this.q.delSettlement.run(id, op);
    }
  }

  private record(r: Row, v: ValueRow | undefined): ExecutionRecord {
    const rec: ExecutionRecord = {
      id: r.id,
      workflow: r.workflow,
      version: r.version,
      status: r.status,
      rev: r.rev,
      createdAt: r.created_at,
      updatedAt: r.updated_at,
      progress: { started: r.started, settled: r.settled },
    };
    if (r.completed_at !== null) rec.completedAt = r.completed_at;
    if (r.at !== null) {
      rec.at = JSON.parse(r.at) as SuspendedAt;
      if (v?.state != null) rec.state = expandState(v.state, r.workflow, r.version);
    } else if (v?.args != null && !isTerminal(r.status)) rec.args = v.args;
    if (r.result !== null) rec.result = r.result;
    if (r.error !== null) rec.error = r.error;
    if (r.cancel !== null) rec.cancel = { reason: r.cancel, delivered: r.cancel_delivered === 1 };
    if (r.problem !== null) rec.problem = r.problem;
    if (r.parents !== null) rec.parents = JSON.parse(r.parents) as ParentLink[];
    if (r.dispatch !== null) rec.dispatchPending = r.dispatch;
    return rec;
  }

  private row(id: string): Row | undefined {
    return this.q.row.get(id) as Row | undefined;
  }

  private head(id: string): Head | undefined {
    return this.q.head.get(id) as Head | undefined;
  }

  private readRecord(id: string): ExecutionRecord | undefined {
    const r = this.row(id);
    return r && this.record(r, this.q.value.get(r.seq) as ValueRow | undefined);
  }

  private readStep(id: string): LoadedStep | undefined {
    const record = this.readRecord(id);
    if (!record) return undefined;
    const settlements = (this.q.settlements.all(id) as { op: number; seq: number; ok: number; payload: string }[]).map((s): StoredSettlement => ({ op: s.op, seq: s.seq, ok: s.ok === 1, payload: s.payload }));
    return { record, settlements };
  }

  private check(): void {
    if (this.closed) throw new Error(`reawait: the database '${this.d.file}' is closed`);
  }

  /** A read of several statements from one snapshot. */
  private read<T>(body: () => T): T {
    return this.guard(() => this.d.db.transaction(body)());
  }

  /** A read; SQLite's report of a damaged file becomes a DatabaseDamagedError naming it. */
  private guard<T>(body: () => T): T {
    this.check();
    try {
      return body();
    } catch (e) {
      throw explainDamage(this.d.file, e);
    }
  }

  /** One transaction; a `durable` one resolves once on disk (FULL). */
  private write<T>(durable: boolean, body: () => T): Promise<T> {
    this.check();
    return durable ? this.d.durableTx(body) : Promise.resolve(this.d.tx(body));
  }

  // ---------------------------------------------------------------------------
  // Store
  // ---------------------------------------------------------------------------

  /** create.lua */
  async create(init: NewExecution): Promise<{ created: boolean; record: ExecutionRecord }> {
    return this.write(true, () => {
      const found = this.row(init.id);
      if (found) {
        const link = init.parent;
        if (link && !isTerminal(found.status)) {
          const links = found.parents ? (JSON.parse(found.parents) as ParentLink[]) : [];
          if (!links.some((l) => l.id === link.id && l.op === link.op)) {
            links.push(link);
            this.q.setParents.run(JSON.stringify(links), init.id);
          }
        }
        return { created: false, record: this.readRecord(init.id)! };
      }
      const t = Date.now();
      const { lastInsertRowid } = this.q.insert.run(init.id, init.workflow, init.version, t, t, init.parent ? JSON.stringify([init.parent]) : null);
      this.q.insertValue.run(lastInsertRowid, init.args);
      this.addHistory(init.id, { t, type: 'started', workflow: init.workflow });
      return { created: true, record: this.readRecord(init.id)! };
    });
  }

  async load(id: string, options?: LoadOptions): Promise<ExecutionRecord | undefined> {
    if (options?.state === false) {
      const r = this.guard(() => this.row(id));
      return r && this.record(r, undefined);
    }
    return this.read(() => this.readRecord(id));
  }

  async loadForStep(id: string): Promise<LoadedStep | undefined> {
    if (this.closed) return undefined;
    return this.read(() => this.readStep(id));
  }

  /** begin_step.lua. Without an fsync: a crash of the process keeps it (the WAL is written), a power cut may lose it. */
  async beginStep(id: string, rev: number): Promise<number | undefined> {
    if (this.closed) return undefined;
    return this.d.batch(false, () => (this.q.beginStep.get(id, rev) as { tries: number } | undefined)?.tries);
  }

  /**
   * The resume a settlement would make ready, begun before the settlement
   * is written (Store.beginSettled): its try counted at the waiting rev
   * (without an fsync, as beginStep), the settlement left to the step's
   * commit. Its checks read what settleIn's do.
   */
  async beginSettled(id: string, op: number, ok: boolean, payload: string, begin: (record: ExecutionRecord) => boolean): Promise<LoadedStep | undefined> {
    if (this.closed) return undefined;
    this.check();
    try {
      return this.d.tx((): LoadedStep => {
        const r = this.q.beginSettled.get({ id, op }) as (Row & { tries: number }) | undefined;
        if (!r) throw NOT_BEGUN;
        const record = this.record(r, this.q.value.get(r.seq) as ValueRow | undefined);
        // the try is counted before `begin` sees the record (one statement for both): a no rolls it back (rare)
        if (!willRun(begin, record)) throw NOT_BEGUN;
        record.status = 'ready';
        return { record, settlements: [{ op, seq: record.progress.settled, ok, payload }], attempt: r.tries };
      });
    } catch (e) {
      if (e === NOT_BEGUN) return undefined;
      throw e;
    }
  }

  /** commit_suspension.lua */
  async commitSuspension(id: string, rev: number, s: Suspension, stepEvents: HistoryEvents): Promise<CommitOutcome> {
    if (this.closed) return 'stale';
    let handoff: Handoff | undefined;
    const out = await this.staged(() => handoff, this.d.batch(true, (): CommitOutcome => {
      const t = Date.now();
      const events = eventList(withCarried(s.settles, stepEvents));
      const [dispatch, lone, outbox] = outboxColumns(rev + 1, s.outbox, s.lone);
      const row = this.q.suspend.get({
        version: s.version, at: JSON.stringify(s.at), t, delivered: s.cancelDelivered ? 1 : 0, started: s.started.length, carried: s.settles ? 1 : 0,
        dispatch, lone, outbox, events: events.length, id, rev,
      }) as { history: number; seq: number; pending: number } | undefined;
      if (!row) return 'stale';
      const { history, seq } = row;
      handoff = this.jobs.stage(id, s.jobs, [...s.consumed, ...s.dropped], t);
      this.q.putState.run(seq, compactState(s.state, s.workflow, s.version));
      // a new op is written with its watch token; the tokens of ops already out are updated
      const w = s.watches;
      const tokens = new Map(w.tokens);
      for (const { op, signal } of s.started) {
        this.q.addOp.run(id, op, tokens.get(op) ?? '', signal ?? null);
        tokens.delete(op);
      }
      this.removeOps(id, s.consumed, s.settles?.op);
      this.removeOps(id, s.dropped);
      for (const [op, token] of tokens) this.q.setToken.run(token, id, op);
      for (const def of w.set) {
        // settlements recorded while the step ran, and not consumed by it, count too
        let f = def.f;
        let rj = def.r;
        for (const op of def.ops) {
          const st = this.q.settlementOk.get(id, op) as { ok: number } | undefined;
          if (st) st.ok === 1 ? f++ : rj++;
        }
        this.q.putWatch.run(id, def.key, def.mode, def.n, f, rj);
      }
      for (const key of w.unset) this.q.delWatch.run(id, key);
      this.appendEvents(seq, events, history);
      // a signal sent before anyone waited for it settles the oldest new wait of its name
      for (const { op, signal } of s.started) {
        if (signal === undefined) continue;
        const buffered = this.q.popSignal.get(id, signal) as { payload: string } | undefined;
        if (!buffered) continue;
        this.addHistory(id, { t, type: 'signal', name: signal, buffered: true });
        const token = (this.q.op.get(id, op) as { token: string }).token;
        this.settleOp(id, op, true, buffered.payload, token);
      }
      if (this.firesNow(id) || row.pending === 1) {
        this.markReady(id, t);
        return 'ready';
      }
      return 'waiting';
    }));
    if (out !== 'stale' && s.settles) s.settles.committed = true;
    return out;
  }

  /** Once `commit` is on disk, the jobs it leased to this worker start; if it fails, their slots are given back. */
  private async staged<T>(handoff: () => Handoff | undefined, commit: Promise<T>): Promise<T> {
    let out: T;
    try {
      out = await commit;
    } catch (e) {
      handoff()?.failed();
      throw e;
    }
    handoff()?.done();
    return out;
  }

  /** commit_end.lua */
  async commitEnd(id: string, rev: number, end: Ending, events: HistoryEvents): Promise<boolean> {
    if (this.closed) return false;
    let handoff: Handoff | undefined;
    const out = await this.staged(() => handoff, this.d.batch(true, () => {
      const r = this.head(id);
      if (!due(r, rev, end.settles)) return false;
      const seq = end.settles ? (this.q.nextSeq.get(id) as { seq: number }).seq : 0;
      const t = Date.now();
      handoff = this.jobs.stage(id, end.jobs, [...end.consumed, ...end.dropped], t);
      const completed = end.status === 'completed';
      // A failure after a suspension keeps the last state, where it waited, and the settlements the failing step
      // consumed with their ops: retry() resumes from them. Any other end drops them.
      const keep = end.status === 'failed' && r.at === 1 && (this.q.value.get(r.seq) as ValueRow | undefined)?.state != null;
      // a retry reads the settlements the failing step consumed: a carried one is recorded for it
      if (keep && end.settles) this.q.insertSettlement.run(id, end.settles.op, seq, end.settles.ok ? 1 : 0, end.settles.payload);
      (keep ? this.q.endKeepAt : this.q.end).run(end.status, end.status, completed ? end.payload : null, completed ? null : end.payload, t, t, end.cancelDelivered ? 1 : 0, end.started.length, id);
      if (!keep) this.removeOps(id, end.consumed, end.settles?.op);
      this.removeOps(id, end.dropped);
      // ops that settled while the last step ran are over; detached ops stay, watched by nobody
      if (!keep) this.q.endOpsSettled.run(id, id);
      for (const op of end.detached) this.q.addOp.run(id, op, '', null);
      this.q.endWaits.run('', id);
      if (!keep) this.q.endSettlements.run(id);
      // A failed execution keeps its last state (a CorruptStateError's data stays as it was) until it is pruned.
      if (end.status !== 'failed') this.q.dropState.run(r.seq);
      this.q.endWatches.run(id);
      this.q.endSignals.run(id);
      this.setOutbox(id, rev + 1, end.outbox, end.lone);
      this.addHistory(id, withCarried(end.settles, events));
      return true;
    }));
    if (out && end.settles) end.settles.committed = true;
    return out;
  }

  async settle(id: string, op: number, ok: boolean, payload: string, event: HistoryEvent): Promise<SettleOutcome> {
    if (this.closed) return 'stale';
    this.check();
    return this.d.batch(true, () => this.settleIn(id, op, ok, payload, event));
  }

  /**
   * settle.lua with its load. Settlements and commits go through group
   * commit (./database.ts batch): the settlements of calls that end
   * together share one fsync.
   */
  async settleAndLoad(id: string, op: number, ok: boolean, payload: string, event: HistoryEvent, begin?: (record: ExecutionRecord) => boolean): Promise<{ outcome: SettleOutcome; loaded?: LoadedStep }> {
    if (this.closed) return { outcome: 'stale' };
    // A settlement that makes the execution ready alone (its op's watch token is '*') commits without its own
    // fsync: the caller resumes at once and that commit's fsync covers it (one WAL, written in order). A kill -9
    // loses nothing; a power cut before the commit re-runs the call (activities run at least once).
    const seen = { alone: false };
    return this.d.batch(
      () => !seen.alone,
      (): { outcome: SettleOutcome; loaded?: LoadedStep } => {
        seen.alone = false;
        const outcome = this.settleIn(id, op, ok, payload, event, seen);
        if (outcome !== 'ready') return { outcome };
        const loaded = this.readStep(id);
        if (!loaded) return { outcome };
        // the resume's try, counted in this transaction when the caller will run its code (one write less per step)
        if (begin && willRun(begin, loaded.record)) {
          const tries = (this.q.beginStep.get(id, loaded.record.rev) as { tries: number } | undefined)?.tries;
          if (tries !== undefined) loaded.attempt = tries;
        }
        return { outcome, loaded };
      },
    );
  }

  /** settle.lua; `seen.alone` tells whether it made the execution ready by its op alone (watch token '*'). */
  private settleIn(id: string, op: number, ok: boolean, payload: string, event: HistoryEvent, seen?: { alone: boolean }): SettleOutcome {
    const r = this.head(id);
    if (!r) return 'stale';
    const o = this.q.op.get(id, op) as { token: string } | undefined;
    if (!o) return 'stale';
    if (this.q.hasSettlement.get(id, op)) return 'duplicate';
    if (r.status === 'failed' && r.at === 1) {
      // a failed execution keeps its last state for a retry (commitEnd): a call still running beside the
      // failure is recorded for the retry's resume, or the retried execution would wait for it forever
      this.settleOp(id, op, ok, payload, '*');
      this.addHistory(id, event);
      return 'stale';
    }
    if (isTerminal(r.status)) {
      // a detached op (started, never awaited) ended after its workflow did: history only
      this.q.delOp.run(id, op);
      this.addHistory(id, event);
      return 'stale';
    }
    const fire = this.settleOp(id, op, ok, payload, o.token);
    this.addHistory(id, event);
    if (fire && r.status === 'waiting') {
      this.markReady(id, Date.now());
      if (seen) seen.alone = o.token === '*';
      return 'ready';
    }
    return 'recorded';
  }

  /** is_live.lua: the lone call of an outbox being delivered was pushed, so its outbox is done. */
  async isLive(id: string, op: number): Promise<boolean> {
    if (this.closed) return false;
    const live = this.guard(() => this.q.live.get(id, op) as { lone: number | null } | undefined);
    if (!live) return false;
    if (live.lone === op) await this.write(false, () => this.q.clearLone.run(id, op));
    return true;
  }

  async outbox(id: string, rev: number): Promise<string | undefined> {
    if (this.closed) return undefined;
    return this.guard(() => (this.q.outbox.get(id, rev) as { outbox: string | null } | undefined)?.outbox ?? undefined);
  }

  /** clear_dispatch.lua */
  async clearDispatch(id: string, rev: number): Promise<void> {
    if (this.closed) return;
    await this.write(false, () => this.q.clearOutboxAt.run(id, rev));
  }

  /** signal.lua */
  async signal(id: string, name: string, payload: string, event: HistoryEvent): Promise<SignalOutcome> {
    const out = await this.write(true, (): SignalOutcome | 'missing' | 'ended' => {
      const r = this.row(id);
      if (!r) return 'missing';
      if (isTerminal(r.status)) return 'ended';
      // the oldest outstanding, unsettled wait for this name takes it
      const wait = this.q.waitFor.get(id, name) as { op: number; token: string } | undefined;
      if (wait) {
        this.addHistory(id, event);
        if (this.settleOp(id, wait.op, true, payload, wait.token) && r.status === 'waiting') {
          this.markReady(id, Date.now());
          return 'ready';
        }
        return 'delivered';
      }
      this.q.pushSignal.run(id, name, payload);
      this.addHistory(id, { ...event, type: 'signal buffered' });
      return 'buffered';
    });
    if (out === 'missing') throw new ExecutionNotFoundError(id);
    if (out === 'ended') throw new ExecutionEndedError(id, `send signal '${name}' to`);
    return out;
  }

  /** cancel.lua */
  async requestCancel(id: string, reason: string, event: HistoryEvent): Promise<CancelOutcome> {
    const out = await this.write(true, (): CancelOutcome | 'missing' => {
      const r = this.row(id);
      if (!r) return 'missing';
      if (isTerminal(r.status) || r.cancel !== null) return 'noop';
      const t = Date.now();
      this.q.cancel.run(reason, t, id);
      this.addHistory(id, event);
      if (r.status === 'waiting') {
        this.markReady(id, t);
        return 'ready';
      }
      return 'requested';
    });
    if (out === 'missing') throw new ExecutionNotFoundError(id);
    return out;
  }

  /** note_problem.lua */
  async retry(id: string, events: HistoryEvents, redispatch: readonly number[] = []): Promise<number | 'not failed' | 'no state' | 'missing'> {
    if (this.closed) return 'missing';
    return this.write(true, (): number | 'not failed' | 'no state' | 'missing' => {
      const r = this.row(id);
      if (!r) return 'missing';
      if (r.status !== 'failed') return 'not failed';
      if (r.at === null || (this.q.value.get(r.seq) as ValueRow | undefined)?.state == null) return 'no state';
      this.q.retry.run(redispatch.length, Date.now(), id);
      // The end cleared the ops' watches: the new attempt's settlement fires the resume alone ('*').
      for (const op of redispatch) {
        this.q.delSettlement.run(id, op);
        this.q.setToken.run('*', id, op);
      }
      this.addHistory(id, events);
      return r.rev + 1;
    });
  }

  async noteProblem(id: string, rev: number, problem: string, events: HistoryEvents): Promise<void> {
    if (this.closed) return;
    await this.write(true, () => {
      const r = this.row(id);
      if (!r || r.rev !== rev || isTerminal(r.status) || r.problem === problem) return;
      this.q.problem.run(problem, Date.now(), id);
      this.addHistory(id, events);
    });
  }

  async clearNotify(id: string): Promise<void> {
    if (this.closed) return;
    await this.write(false, () => this.q.clearNotify.run(id));
  }

  /** Newest first; the cursor is the creation sequence number of the last item (pages hold still while executions start). */
  async list(filter: ListFilter): Promise<{ items: ExecutionSummary[]; cursor?: string }> {
    this.check();
    const limit = filter.limit ?? 50;
    let before = Number.MAX_SAFE_INTEGER;
    if (filter.cursor) {
      before = Number(filter.cursor);
      if (!Number.isInteger(before) || before < 0) throw new TypeError(`list: invalid cursor '${filter.cursor}'`);
    }
    const where = ['seq < ?'];
    const params: (string | number)[] = [before];
    if (filter.status === 'ready' || filter.status === 'waiting') {
      // Both are the phase 'live' in the indexes (schema.ts). 'ready' alone reads the partial index of ready
      // executions, which only a literal status = 'ready' matches (a bound one would not).
      where.push(`status = '${filter.status}'`);
      if (filter.status === 'waiting' || filter.workflow) where.push(`phase = 'live'`);
    } else if (filter.status) {
      where.push('phase = ?');
      params.push(filter.status);
    }
    if (filter.workflow) {
      where.push('workflow = ?');
      params.push(filter.workflow);
    }
    const rows = this.guard(() => this.d.db
      .prepare(`SELECT seq, id, workflow, status, created_at, updated_at FROM executions WHERE ${where.join(' AND ')} ORDER BY seq DESC LIMIT ?`)
      .all(...params, limit + 1)) as Pick<Row, 'seq' | 'id' | 'workflow' | 'status' | 'created_at' | 'updated_at'>[];
    const more = rows.length > limit;
    const items = rows.slice(0, limit).map((r): ExecutionSummary => ({ id: r.id, workflow: r.workflow, status: r.status, createdAt: r.created_at, updatedAt: r.updated_at }));
    return more ? { items, cursor: String(rows[limit - 1]!.seq) } : { items };
  }

  /** History alone is diagnostic: it commits without its own fsync (the next durable commit carries it). */
  async appendHistory(id: string, event: HistoryEvent): Promise<void> {
    if (this.closed) return;
    await this.write(false, () => {
      if (this.row(id)) this.addHistory(id, event);
    });
  }

  /** The last `cap` events and the older ones the cap keeps (KEPT_EVENT), oldest first. */
  async history(id: string): Promise<HistoryEvent[]> {
    const rows = this.read(() => {
      const count = this.q.historyCount.get(id) as { history: number; seq: number } | undefined;
      const from = (count?.history ?? 0) - this.cap;
      return { from, rows: count ? (this.q.history.all({ s: count.seq, from }) as { n: number; event: string }[]) : [] };
    });
    const out: HistoryEvent[] = [];
    for (const { n, event } of rows.rows) {
      const parsed = JSON.parse(event) as HistoryEvent | HistoryEvent[];
      const list = Array.isArray(parsed) ? parsed : [parsed];
      list.forEach((e, i) => {
        if (n - list.length + 1 + i > rows.from || kept(e)) out.push(e);
      });
    }
    return out;
  }

  /** prune.lua: ended before `before`, parents told and jobs pushed; all its rows go (queued jobs of detached calls settle as stale). */
  async prune(before: number): Promise<number> {
    return this.write(true, () => {
      const rows = this.q.prunable.all(before) as { id: string; seq: number }[];
      for (const { id, seq } of rows) {
        for (const del of this.q.pruneRows) del.run(id);
        this.q.dropState.run(seq);
        this.q.pruneHistory.run({ s: seq });
      }
      return rows.length;
    });
  }

  async pending(): Promise<PendingWork> {
    if (this.closed) return { ready: [], dispatch: [], notify: [] };
    return this.read(() => {
      const ids = (s: { all(): unknown[] }) => (s.all() as { id: string }[]).map((r) => r.id);
      return { ready: ids(this.q.ready), dispatch: ids(this.q.dispatch), notify: ids(this.q.notify) };
    });
  }

  /** Close the connection. Worker-side transitions after close are no-ops (as if this process had died); client calls fail clearly. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.d.close();
  }
}

/** Thrown inside beginSettled's transaction to roll it back: the step is not begun that way. */
const NOT_BEGUN = new Error('reawait: not begun');

/** The caller's answer; one that throws (it runs inside the transaction) counts as no. */
function willRun(begin: (record: ExecutionRecord) => boolean, record: ExecutionRecord): boolean {
  try {
    return begin(record);
  } catch {
    return false;
  }
}

/**
 * The guard of a step's commit at `rev`: the resume it commits was made
 * ready by a recorded settlement ('ready'), or it carries the settlement
 * that makes it ready (beginSettled) and the execution still waits at that
 * rev with no cancel pending. Nothing else to check then: at that rev the
 * op is outstanding with the token '*', so a settlement of it since
 * (another delivery) would have made the execution ready. The `suspend`
 * statement checks the same in its WHERE (one statement for the guard and
 * the write): change both together.
 */
function due(r: Head | undefined, rev: number, carried: CarriedSettlement | undefined): r is Head {
  if (!r || r.rev !== rev) return false;
  if (!carried) return r.status === 'ready';
  return r.status === 'waiting' && !(r.cancel === 1 && r.cancel_delivered !== 1);
}

/** The outbox flag's columns (dispatch, lone, outbox) of a commit that made `rev`: all null for no outbox. */
const outboxColumns = (rev: number, outbox: string, lone: number | undefined): [number | null, number | null, string | null] =>
  outbox !== '' ? [rev, lone ?? null, outbox] : [null, null, null];

/** The commit's events, after the event of the settlement it carries. */
const withCarried = (carried: CarriedSettlement | undefined, events: HistoryEvents): HistoryEvents => (carried ? [carried.event, ...eventList(events)] : events);

const ready = (mode: GroupMode, n: number, f: number, r: number): boolean => readyRule(mode)({ n, fulfilled: f, rejected: r });
