/**
 * The embedded Store: every execution lives in memory and in two files under
 * `<dir>/executions/`:
 *   `<key>.json`  the execution's document (record, state, signal buffers),
 *                 replaced atomically at each transition that changes it;
 *   `<key>.log`   an append-only log of settlements and history events, so
 *                 a settle costs one small append whatever the group size.
 * What the Redis scripts store as counters and flags is derived on open:
 * the watch counters from the settlements of outstanding ops (WatchTable),
 * 'ready' from the watches. Transitions are atomic because they run
 * synchronously on the in-memory document; each resolves once it is on disk
 * (the writes of one execution go in order, batched). The queue is in
 * memory, so the document also keeps the job of every outstanding op: on
 * open, all of them are pushed again (not only the last commit's outbox).
 */
import { mkdir, readdir, readFile, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { SuspendedAt } from '../machine.js';
import { decodeOutbox, encodeOutbox, emptyOutbox, type Outbox } from '../outbox.js';
import { WatchTable, type WatchDef } from '../watches.js';
import type {
  CancelOutcome,
  CommitOutcome,
  Ending,
  ExecutionRecord,
  ExecutionStatus,
  ExecutionSummary,
  HistoryEvent,
  ListFilter,
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
import { appendDurable, DurableFolder, fileKey, readLog, TEMP_SUFFIX, writeAtomic } from './durable-files.js';
import { lockDir, type DirLock } from './dir-lock.js';

export interface LocalStoreOptions {
  /** The data folder (created if missing). */
  dir: string;
  /** Events kept per execution (default 200, as on Redis). */
  historyCap?: number;
  /** Files that cannot be read are skipped with a warning (default: printed to stderr). */
  onWarning?: (message: string) => void;
}

/** What `<key>.json` holds. */
interface Doc {
  v: 2;
  id: string;
  workflow: string;
  version: string;
  status: ExecutionStatus;
  rev: number;
  createdAt: number;
  updatedAt: number;
  completedAt?: number;
  args?: string;
  state?: string;
  at?: SuspendedAt;
  result?: string;
  error?: string;
  cancel?: { reason: string; delivered: boolean };
  problem?: string;
  parents?: ParentLink[];
  /** An ended child whose parents' ops may not be settled yet. */
  notify?: boolean;
  /** Outstanding ops → watch token (watches.ts). */
  ops: Record<number, string>;
  /** Multi-op watches as the last commit defined them (counters without unconsumed settlements). */
  watches?: Record<string, Omit<WatchDef, 'key' | 'ops'>>;
  /** The job of each outstanding op that has one (calls, timers), for pushing again after a restart. */
  jobs?: Outbox;
  progress: { started: number; settled: number };
  /** Signal waits by name, oldest first. */
  waits?: Record<string, number[]>;
  /** Signals nobody waited for yet, by name, oldest first. */
  buffers?: Record<string, string[]>;
  /** Settlements the commit itself made (buffered signals); later ones are in the log. */
  settled?: StoredSettlement[];
}

/** One line of `<key>.log`. */
type LogLine = { h: HistoryEvent } | { s: StoredSettlement };

export class StoreClosedError extends Error {
  override name = 'StoreClosedError';
  constructor(dir: string) {
    super(`the reawait folder '${dir}' is closed`);
  }
}

class Execution {
  /** Recorded, unconsumed settlements of outstanding ops, by op. */
  readonly settlements = new Map<number, StoredSettlement>();
  table = new WatchTable();
  history: HistoryEvent[] = [];
  /** Outbox flag and text (memory only: after a restart every job of an outstanding op is pushed again). */
  dispatch: number | undefined;
  outbox = '';
  lone: number | undefined;
  // persistence
  docDirty = false;
  lines: string[] = [];
  logLines = 0;
  logExists = false;
  /** The next log append must be fsynced (unset only when every write it carries may skip it). */
  syncLog = false;
  tail: Promise<void> = Promise.resolve();
  next: Promise<void> | undefined;
  /** Flushes history-only lines if no durable transition carries them first. */
  lazyTimer: NodeJS.Timeout | undefined;
  constructor(
    public doc: Doc,
    readonly file: string,
    readonly log: string,
  ) {}
}

const now = (): number => Date.now();
/** How long a history-only line may wait for a durable write to carry it. */
const LAZY_FLUSH_MS = 50;

export class LocalStore implements Store {
  private readonly execs = new Map<string, Execution>();
  /** Ids in creation order (list() walks it backwards: newest first). */
  private order: string[] = [];
  private readonly ready = new Set<string>();
  private readonly dispatchSet = new Set<string>();
  private readonly notify = new Set<string>();
  private readonly cap: number;
  private closed = false;

  private constructor(
    readonly dir: string,
    private readonly folder: string,
    private readonly durable: DurableFolder,
    private readonly lock: DirLock,
    options: LocalStoreOptions,
  ) {
    this.cap = options.historyCap ?? 200;
  }

  /** Open (and lock) the folder, load every execution and recover: waiting executions count as undispatched. */
  static async open(options: LocalStoreOptions): Promise<LocalStore> {
    const dir = path.resolve(options.dir);
    const folder = path.join(dir, 'executions');
    await mkdir(folder, { recursive: true });
    const lock = lockDir(dir);
    let durable: DurableFolder | undefined;
    try {
      durable = await DurableFolder.open(folder);
      const store = new LocalStore(dir, folder, durable, lock, options);
      await store.loadAll(options.onWarning ?? ((m) => process.stderr.write(`reawait: ${m}\n`)));
      return store;
    } catch (e) {
      await durable?.close();
      lock.release();
      throw e;
    }
  }

  private async loadAll(warn: (message: string) => void): Promise<void> {
    const names = await readdir(this.folder);
    const docs = names.filter((n) => n.endsWith('.json'));
    for (const n of names) if (n.endsWith(TEMP_SUFFIX)) await unlink(path.join(this.folder, n)).catch(() => {}); // torn by a crash: the old file stands
    const loaded: Execution[] = [];
    for (let i = 0; i < docs.length; i += 64) {
      const batch = await Promise.all(docs.slice(i, i + 64).map((n) => this.loadOne(n, warn)));
      for (const x of batch) if (x) loaded.push(x);
    }
    loaded.sort((a, b) => a.doc.createdAt - b.doc.createdAt);
    for (const x of loaded) {
      this.execs.set(x.doc.id, x);
      this.order.push(x.doc.id);
      if (x.doc.status === 'ready') this.ready.add(x.doc.id);
      // The queue died with the process: every outstanding op's job is pushed again.
      const jobs = x.doc.jobs && encodeOutbox(x.doc.jobs);
      if (jobs) {
        x.dispatch = x.doc.rev;
        x.outbox = jobs;
        this.dispatchSet.add(x.doc.id);
      }
      if (x.doc.notify) this.notify.add(x.doc.id);
    }
  }

  private async loadOne(name: string, warn: (message: string) => void): Promise<Execution | undefined> {
    const file = path.join(this.folder, name);
    let doc: Doc;
    try {
      doc = JSON.parse(await readFile(file, 'utf8')) as Doc;
      if (doc.v !== 2 || typeof doc.id !== 'string' || typeof doc.status !== 'string' || typeof doc.rev !== 'number' || typeof doc.ops !== 'object') throw new Error('not a reawait execution document (v2)');
    } catch (e) {
      warn(`skipping unreadable execution file '${file}': ${(e as Error).message}`);
      return undefined;
    }
    const x = new Execution(doc, file, file.replace(/\.json$/, '.log'));
    const outstanding = (op: number): boolean => Object.hasOwn(doc.ops, op);
    for (const s of doc.settled ?? []) if (outstanding(s.op)) x.settlements.set(s.op, s);
    const lines = await readLog(x.log);
    x.logLines = lines.length;
    x.logExists = lines.length > 0;
    for (const text of lines) {
      let line: LogLine;
      try {
        line = JSON.parse(text) as LogLine;
      } catch {
        continue;
      }
      if ('h' in line) this.remember(x, line.h);
      else if (outstanding(line.s.op) && !x.settlements.has(line.s.op)) x.settlements.set(line.s.op, line.s);
    }
    // Settlements appended after the document was last written count too.
    for (const s of x.settlements.values()) doc.progress.settled = Math.max(doc.progress.settled, s.seq + 1);
    if (this.rebuildWatches(x) && doc.status === 'waiting') doc.status = 'ready';
    return x;
  }

  // ---------------------------------------------------------------------------
  // persistence
  // ---------------------------------------------------------------------------

  /** Resolves once every change made to `x` so far is on disk. */
  private flush(x: Execution, sync = true): Promise<void> {
    if (sync) x.syncLog = true;
    if (x.next) return x.next;
    const next = x.tail.then(() => {
      x.next = undefined;
      return this.write(x);
    });
    x.next = next;
    x.tail = next.catch(() => {});
    return next;
  }

  private async write(x: Execution): Promise<void> {
    if (x.lazyTimer) clearTimeout(x.lazyTimer);
    x.lazyTimer = undefined;
    const doc = x.docDirty ? JSON.stringify(x.doc) : undefined;
    x.docDirty = false;
    const lines = x.lines;
    x.lines = [];
    const sync = x.syncLog;
    x.syncLog = false;
    // Settlements of old revs and history beyond the cap are dead lines: rewrite the log once they dominate.
    const live = x.history.length + x.settlements.size;
    const compact = x.logLines + lines.length > 2 * live + 64;
    let log = '';
    if (compact) {
      const kept: string[] = [];
      const inDoc = new Set((x.doc.settled ?? []).map((s) => s.op));
      for (const s of x.settlements.values()) if (!inDoc.has(s.op)) kept.push(JSON.stringify({ s }));
      for (const h of x.history) kept.push(JSON.stringify({ h }));
      log = kept.map((l) => `${l}\n`).join('');
      x.logLines = kept.length;
    } else {
      log = lines.join('');
      x.logLines += lines.length;
    }
    if (doc !== undefined) await writeAtomic(this.durable, x.file, doc);
    if (compact) {
      await writeAtomic(this.durable, x.log, log);
      x.logExists = true;
    } else if (log !== '') {
      const created = !x.logExists;
      x.logExists = true;
      await appendDurable(this.durable, x.log, log, created, sync);
    }
  }

  private remember(x: Execution, event: HistoryEvent): void {
    x.history.push(event);
    if (x.history.length > this.cap) x.history.splice(0, x.history.length - this.cap);
  }

  private event(x: Execution, event: HistoryEvent): void {
    this.remember(x, event);
    x.lines.push(`${JSON.stringify({ h: event })}\n`);
  }

  /** The document changed: its atomic write is what must be durable; log lines riding along are history (or settlements it supersedes). */
  private changed(x: Execution): Promise<void> {
    x.docDirty = true;
    return this.flush(x, false);
  }

  // ---------------------------------------------------------------------------
  // watches
  // ---------------------------------------------------------------------------

  /** The watch table of the document's tokens and watches, counting the unconsumed settlements; whether it fires now. */
  private rebuildWatches(x: Execution): boolean {
    const { ops, watches } = x.doc;
    x.table = new WatchTable();
    const tokens: [number, string][] = Object.entries(ops).map(([op, token]) => [Number(op), token]);
    const set: WatchDef[] = Object.entries(watches ?? {}).map(([key, w]) => ({ key, ...w, ops: tokens.filter(([, t]) => t.split(',').includes(key)).map(([op]) => op) }));
    return x.table.apply({ tokens, set, unset: [], empty: false }, this.unconsumed(x));
  }

  private unconsumed(x: Execution): Map<number, boolean> {
    return new Map([...x.settlements.values()].map((s) => [s.op, s.ok]));
  }

  private markReady(x: Execution): void {
    x.doc.status = 'ready';
    x.doc.updatedAt = now();
    this.ready.add(x.doc.id);
  }

  /** Record the settlement of outstanding op `op`: O(its watches). Whether it fires a watch. */
  private settleOp(x: Execution, op: number, ok: boolean, payload: string, inDoc: boolean): boolean {
    const s: StoredSettlement = { op, seq: x.doc.progress.settled++, ok, payload };
    x.settlements.set(op, s);
    if (inDoc) (x.doc.settled ??= []).push(s);
    else x.lines.push(`${JSON.stringify({ s })}\n`);
    return x.table.settle(op, ok);
  }

  /** Ops leave: their settlements, tokens, jobs and signal waits go with them. */
  private removeOps(x: Execution, ops: readonly number[]): void {
    const d = x.doc;
    for (const op of ops) {
      delete d.ops[op];
      x.settlements.delete(op);
      x.table.forget(op);
    }
    if (d.settled) d.settled = d.settled.filter((s) => Object.hasOwn(d.ops, s.op));
    if (d.jobs) {
      const gone = new Set(ops);
      d.jobs.activities = d.jobs.activities.filter((j) => !gone.has(j.op));
      d.jobs.timers = d.jobs.timers.filter((t) => !gone.has(t.job.op));
      if (!d.jobs.activities.length && !d.jobs.timers.length) delete d.jobs;
    }
    for (const [name, list] of Object.entries(d.waits ?? {})) {
      const kept = list.filter((op) => Object.hasOwn(d.ops, op));
      if (kept.length) d.waits![name] = kept;
      else delete d.waits![name];
    }
  }

  private setOutbox(x: Execution, rev: number, outbox: string, lone: number | undefined): void {
    x.outbox = outbox;
    x.lone = lone;
    if (outbox !== '') {
      x.dispatch = rev;
      this.dispatchSet.add(x.doc.id);
      // The calls and timers of the outbox are kept until their ops leave (see the header).
      const o = decodeOutbox(outbox);
      const jobs = (x.doc.jobs ??= emptyOutbox());
      jobs.activities.push(...o.activities);
      jobs.timers.push(...o.timers);
    } else this.clearOutbox(x);
  }

  private clearOutbox(x: Execution): void {
    x.dispatch = undefined;
    x.outbox = '';
    x.lone = undefined;
    this.dispatchSet.delete(x.doc.id);
  }

  // ---------------------------------------------------------------------------
  // Store
  // ---------------------------------------------------------------------------

  /** The execution, for a transition made by a worker: after close() it is as if this process had died (a no-op). */
  private live(id: string): Execution | undefined {
    return this.closed ? undefined : this.execs.get(id);
  }

  /** The execution, for a client call: those fail clearly after close(). */
  private existing(id: string): Execution | undefined {
    if (this.closed) throw new StoreClosedError(this.dir);
    return this.execs.get(id);
  }

  async create(init: NewExecution): Promise<{ created: boolean; record: ExecutionRecord }> {
    const found = this.existing(init.id);
    if (found) {
      // Another await of a running child: it settles that parent op too.
      const link = init.parent;
      const d = found.doc;
      if (link && !isTerminal(d.status) && !d.parents?.some((l) => l.id === link.id && l.op === link.op)) {
        (d.parents ??= []).push(link);
        await this.changed(found);
      }
      return { created: false, record: this.record(found) };
    }
    const t = now();
    const key = fileKey(init.id);
    const doc: Doc = { v: 2, id: init.id, workflow: init.workflow, version: init.version, status: 'ready', rev: 0, createdAt: t, updatedAt: t, args: init.args, ops: {}, progress: { started: 0, settled: 0 } };
    if (init.parent) doc.parents = [init.parent];
    const x = new Execution(doc, path.join(this.folder, `${key}.json`), path.join(this.folder, `${key}.log`));
    this.execs.set(init.id, x);
    this.order.push(init.id);
    this.ready.add(init.id);
    this.event(x, { t, type: 'started', workflow: init.workflow });
    await this.changed(x);
    return { created: true, record: this.record(x) };
  }

  async load(id: string): Promise<ExecutionRecord | undefined> {
    const x = this.execs.get(id);
    return x && this.record(x);
  }

  /**
   * The settlement that makes the execution ready is written but not
   * fsynced: the caller resumes at once and that commit's fsync follows. A
   * kill -9 loses nothing (the line is in the OS's cache); a power cut before
   * the commit re-runs that call (activities run at least once).
   */
  async settleAndLoad(id: string, op: number, ok: boolean, payload: string, event: HistoryEvent): Promise<{ outcome: SettleOutcome; loaded?: LoadedStep }> {
    const outcome = await this.settleDurably(id, op, ok, payload, event, false);
    const loaded = outcome === 'ready' ? await this.loadForStep(id) : undefined;
    return loaded ? { outcome, loaded } : { outcome };
  }

  async loadForStep(id: string): Promise<LoadedStep | undefined> {
    const x = this.execs.get(id);
    return x && { record: this.record(x), settlements: [...x.settlements.values()].map((s) => ({ ...s })).sort((a, b) => a.seq - b.seq) };
  }

  private record(x: Execution): ExecutionRecord {
    const d = x.doc;
    const rec: ExecutionRecord = { id: d.id, workflow: d.workflow, version: d.version, status: d.status, rev: d.rev, createdAt: d.createdAt, updatedAt: d.updatedAt, progress: { ...d.progress } };
    if (d.completedAt !== undefined) rec.completedAt = d.completedAt;
    if (d.args !== undefined) rec.args = d.args;
    if (d.state !== undefined) rec.state = d.state;
    if (d.at) rec.at = { ...d.at };
    if (d.result !== undefined) rec.result = d.result;
    if (d.error !== undefined) rec.error = d.error;
    if (d.cancel) rec.cancel = { ...d.cancel };
    if (d.problem) rec.problem = d.problem;
    if (d.parents) rec.parents = d.parents.map((l) => ({ ...l }));
    if (x.dispatch !== undefined) rec.dispatchPending = x.dispatch;
    return rec;
  }

  async commitSuspension(id: string, rev: number, s: Suspension, events: HistoryEvents): Promise<CommitOutcome> {
    const x = this.live(id);
    if (!x || x.doc.rev !== rev || x.doc.status !== 'ready') return 'stale';
    const d = x.doc;
    const rev1 = rev + 1;
    Object.assign(d, { rev: rev1, status: 'waiting', state: s.state, version: s.version, at: s.at, updatedAt: now() });
    delete d.args;
    delete d.problem;
    if (s.cancelDelivered && d.cancel) d.cancel.delivered = true;
    this.ready.delete(id);
    this.removeOps(x, [...s.consumed, ...s.dropped]);
    for (const { op, signal } of s.started) {
      d.ops[op] = '';
      if (signal !== undefined) ((d.waits ??= {})[signal] ??= []).push(op);
    }
    d.progress.started += s.started.length;
    const { watches } = s;
    for (const [op, token] of watches.tokens) if (Object.hasOwn(d.ops, op)) d.ops[op] = token;
    for (const key of watches.unset) delete d.watches?.[key];
    for (const w of watches.set) (d.watches ??= {})[w.key] = { mode: w.mode, n: w.n, f: w.f, r: w.r };
    if (d.watches && Object.keys(d.watches).length === 0) delete d.watches;
    x.table.apply(watches, this.unconsumed(x));
    this.setOutbox(x, rev1, s.outbox, s.lone);
    for (const e of eventList(events)) this.event(x, e);
    // A signal sent before anyone waited for it settles the oldest new wait of its name.
    for (const { op, signal } of s.started) {
      const buffer = signal !== undefined ? d.buffers?.[signal] : undefined;
      if (!buffer?.length) continue;
      const payload = buffer.shift()!;
      if (buffer.length === 0) delete d.buffers![signal!];
      this.event(x, { t: now(), type: 'signal', name: signal, buffered: true });
      this.settleOp(x, op, true, payload, true);
    }
    const ready = x.table.apply({ tokens: [], set: [], unset: [], empty: false }, this.unconsumed(x)) || (d.cancel !== undefined && !d.cancel.delivered);
    if (ready) this.markReady(x);
    await this.changed(x);
    return ready ? 'ready' : 'waiting';
  }

  async commitEnd(id: string, rev: number, end: Ending, events: HistoryEvents): Promise<boolean> {
    const x = this.live(id);
    if (!x || x.doc.rev !== rev || x.doc.status !== 'ready') return false;
    const d = x.doc;
    const t = now();
    this.removeOps(x, [...end.consumed, ...end.dropped, ...x.settlements.keys()]);
    // Detached ops (some started by this very step) stay outstanding: they keep running.
    for (const op of end.detached) d.ops[op] ??= '';
    d.progress.started += end.started.length;
    for (const k of ['state', 'args', 'at', 'problem', 'buffers', 'waits', 'watches', 'settled'] as const) delete d[k];
    Object.assign(d, { rev: rev + 1, status: end.status, completedAt: t, updatedAt: t });
    if (end.status === 'completed') d.result = end.payload;
    else d.error = end.payload;
    if (end.cancelDelivered && d.cancel) d.cancel.delivered = true;
    this.ready.delete(id);
    x.table = new WatchTable();
    this.setOutbox(x, rev + 1, end.outbox, end.lone);
    if (d.parents) {
      d.notify = true;
      this.notify.add(id);
    }
    for (const e of eventList(events)) this.event(x, e);
    await this.changed(x);
    return true;
  }

  settle(id: string, op: number, ok: boolean, payload: string, event: HistoryEvent): Promise<SettleOutcome> {
    return this.settleDurably(id, op, ok, payload, event, true);
  }

  /** `syncIfReady` false: a settlement that makes the execution ready skips its fsync (see settleAndLoad). */
  private async settleDurably(id: string, op: number, ok: boolean, payload: string, event: HistoryEvent, syncIfReady: boolean): Promise<SettleOutcome> {
    const x = this.live(id);
    if (!x || !Object.hasOwn(x.doc.ops, op)) return 'stale';
    if (x.settlements.has(op)) return 'duplicate';
    if (isTerminal(x.doc.status)) {
      // a detached op (started, never awaited) ended after its workflow did: history only
      this.removeOps(x, [op]);
      this.event(x, event);
      await this.changed(x);
      return 'stale';
    }
    const fire = this.settleOp(x, op, ok, payload, false);
    this.event(x, event);
    const ready = fire && x.doc.status === 'waiting';
    // 'ready' is derived again from the log on open (rebuildWatches): the document need not be rewritten.
    if (ready) this.markReady(x);
    await this.flush(x, syncIfReady || !ready);
    return ready ? 'ready' : 'recorded';
  }

  async isLive(id: string, op: number): Promise<boolean> {
    const x = this.live(id);
    const live = !!x && Object.hasOwn(x.doc.ops, op) && !x.settlements.has(op);
    // The lone call of an outbox being delivered was pushed: its outbox is done (as in is_live.lua).
    if (live && x.lone === op) this.clearOutbox(x);
    return live;
  }

  async outbox(id: string, rev: number): Promise<string | undefined> {
    const x = this.live(id);
    return x && x.dispatch === rev && x.outbox !== '' ? x.outbox : undefined;
  }

  async clearDispatch(id: string, rev: number): Promise<void> {
    const x = this.live(id);
    if (x?.dispatch === rev) this.clearOutbox(x);
  }

  async signal(id: string, name: string, payload: string, event: HistoryEvent): Promise<SignalOutcome> {
    const x = this.existing(id);
    if (!x) throw new ExecutionNotFoundError(id);
    if (isTerminal(x.doc.status)) throw new ExecutionEndedError(id, `send signal '${name}' to`);
    for (const op of x.doc.waits?.[name] ?? []) {
      if (x.settlements.has(op) || !Object.hasOwn(x.doc.ops, op)) continue;
      this.event(x, event);
      const ready = this.settleOp(x, op, true, payload, false) && x.doc.status === 'waiting';
      if (ready) this.markReady(x);
      await this.flush(x);
      return ready ? 'ready' : 'delivered';
    }
    ((x.doc.buffers ??= {})[name] ??= []).push(payload);
    this.event(x, { ...event, type: 'signal buffered' });
    await this.changed(x);
    return 'buffered';
  }

  async requestCancel(id: string, reason: string, event: HistoryEvent): Promise<CancelOutcome> {
    const x = this.existing(id);
    if (!x) throw new ExecutionNotFoundError(id);
    if (isTerminal(x.doc.status) || x.doc.cancel) return 'noop';
    x.doc.cancel = { reason, delivered: false };
    x.doc.updatedAt = now();
    this.event(x, event);
    const waiting = x.doc.status === 'waiting';
    if (waiting) this.markReady(x);
    await this.changed(x);
    return waiting ? 'ready' : 'requested';
  }

  async noteProblem(id: string, rev: number, problem: string, events: HistoryEvents): Promise<void> {
    const x = this.live(id);
    if (!x || x.doc.rev !== rev || isTerminal(x.doc.status) || x.doc.problem === problem) return;
    x.doc.problem = problem;
    x.doc.updatedAt = now();
    for (const e of eventList(events)) this.event(x, e);
    await this.changed(x);
  }

  async clearNotify(id: string): Promise<void> {
    const x = this.live(id);
    this.notify.delete(id);
    if (!x?.doc.notify) return;
    delete x.doc.notify;
    await this.changed(x);
  }

  async list(filter: ListFilter): Promise<{ items: ExecutionSummary[]; cursor?: string }> {
    const limit = filter.limit ?? 50;
    let offset = filter.cursor ? Number(filter.cursor) : 0;
    if (!Number.isInteger(offset) || offset < 0) throw new TypeError(`list: invalid cursor '${filter.cursor}'`);
    const items: ExecutionSummary[] = [];
    for (; offset < this.order.length; ) {
      const d = this.execs.get(this.order[this.order.length - 1 - offset]!)!.doc;
      offset++;
      if (filter.status && d.status !== filter.status) continue;
      if (filter.workflow && d.workflow !== filter.workflow) continue;
      items.push({ id: d.id, workflow: d.workflow, status: d.status, createdAt: d.createdAt, updatedAt: d.updatedAt });
      if (items.length === limit) return offset < this.order.length ? { items, cursor: String(offset) } : { items };
    }
    return { items };
  }

  /**
   * History alone is diagnostic, not state: its line rides along with the
   * execution's next durable write (or a flush shortly after), so a step
   * does not wait for an fsync per event. A crash may lose such a line.
   */
  async appendHistory(id: string, event: HistoryEvent): Promise<void> {
    const x = this.live(id);
    if (!x) return;
    this.event(x, event);
    x.lazyTimer ??= setTimeout(() => {
      x.lazyTimer = undefined;
      this.flush(x).catch(() => {});
    }, LAZY_FLUSH_MS);
  }

  async history(id: string): Promise<HistoryEvent[]> {
    return [...(this.execs.get(id)?.history ?? [])];
  }

  async pending(): Promise<PendingWork> {
    if (this.closed) return { ready: [], dispatch: [], notify: [] };
    return { ready: [...this.ready], dispatch: [...this.dispatchSet], notify: [...this.notify] };
  }

  /** Finish the writes under way and give the folder's lock back. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.execs.values()].map((x) => (x.lines.length > 0 || x.docDirty ? this.flush(x).catch(() => {}) : x.tail)));
    await this.durable.close();
    this.lock.release();
  }
}
