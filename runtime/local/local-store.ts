/**
 * The embedded Store: every execution lives in memory and in two files under
 * `<dir>/executions/`:
 *   `<key>.json`  the execution's document (record, state, signal buffers),
 *                 replaced atomically at each transition that changes it;
 *   `<key>.log`   an append-only log of settlements and history events, so
 *                 a settle costs one small append whatever the group size.
 * What the Redis scripts store as counters and flags is derived on open:
 * the group counts from the settlements of the current rev, 'ready' from
 * the group rules. Transitions are atomic because they run synchronously on
 * the in-memory document; each resolves once it is on disk (the writes of
 * one execution go in order, batched).
 */
import { mkdir, readdir, readFile, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { GroupMode } from '../contract.js';
import { readyRule } from '../group.js';
import type { SuspendedAt } from '../machine.js';
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
  v: 1;
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
  mode?: GroupMode;
  total?: number;
  result?: string;
  error?: string;
  cancel?: { reason: string; delivered: boolean };
  problem?: string;
  parent?: ParentLink;
  /** An ended child whose parent's slot may not be settled yet. */
  notify?: boolean;
  /** Signal slots of the current suspension, by signal name. */
  waits?: Record<string, number[]>;
  /** Signals nobody waited for yet, by name, oldest first. */
  buffers?: Record<string, string[]>;
  /** Settlements the commit itself made (plain values, buffered signals); later ones are in the log. */
  settled?: StoredSettlement[];
}

/** One line of `<key>.log`. */
type LogLine = { h: HistoryEvent } | { s: StoredSettlement & { rev: number } };

export class StoreClosedError extends Error {
  override name = 'StoreClosedError';
  constructor(dir: string) {
    super(`the reawait folder '${dir}' is closed`);
  }
}

class Execution {
  /** Settlements of the current rev, by slot. */
  readonly settlements = new Map<number, StoredSettlement>();
  fulfilled = 0;
  rejected = 0;
  history: HistoryEvent[] = [];
  /** Outbox flag (memory only: after a restart every waiting execution is re-dispatched). */
  dispatch: number | undefined;
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
      if (x.doc.status === 'waiting') {
        x.dispatch = x.doc.rev;
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
      if (doc.v !== 1 || typeof doc.id !== 'string' || typeof doc.status !== 'string' || typeof doc.rev !== 'number') throw new Error('not a reawait execution document');
    } catch (e) {
      warn(`skipping unreadable execution file '${file}': ${(e as Error).message}`);
      return undefined;
    }
    const x = new Execution(doc, file, file.replace(/\.json$/, '.log'));
    for (const s of doc.settled ?? []) x.settlements.set(s.slot, s);
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
      else if (line.s.rev === doc.rev && !x.settlements.has(line.s.slot)) x.settlements.set(line.s.slot, { slot: line.s.slot, seq: line.s.seq, ok: line.s.ok, payload: line.s.payload });
    }
    for (const s of x.settlements.values()) s.ok ? x.fulfilled++ : x.rejected++;
    if (doc.status === 'waiting' && this.groupSettled(x)) doc.status = 'ready';
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
      const inDoc = new Set((x.doc.settled ?? []).map((s) => s.slot));
      for (const s of x.settlements.values()) if (!inDoc.has(s.slot)) kept.push(JSON.stringify({ s: { rev: x.doc.rev, ...s } }));
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
  // groups
  // ---------------------------------------------------------------------------

  private groupSettled(x: Execution): boolean {
    const { mode, total } = x.doc;
    return mode !== undefined && total !== undefined && readyRule(mode)({ n: total, fulfilled: x.fulfilled, rejected: x.rejected });
  }

  private markReady(x: Execution): void {
    x.doc.status = 'ready';
    x.doc.updatedAt = now();
    this.ready.add(x.doc.id);
    x.dispatch = undefined;
    this.dispatchSet.delete(x.doc.id);
  }

  /** Record one slot of the waiting group: O(1). 'ready' only for the settlement that settles the group. */
  private settleSlot(x: Execution, slot: number, ok: boolean, payload: string, inDoc: boolean): SettleOutcome {
    if (x.settlements.has(slot)) return 'duplicate';
    const s: StoredSettlement = { slot, seq: x.fulfilled + x.rejected, ok, payload };
    x.settlements.set(slot, s);
    if (inDoc) (x.doc.settled ??= []).push(s);
    else x.lines.push(`${JSON.stringify({ s: { rev: x.doc.rev, ...s } })}\n`);
    if (ok) x.fulfilled++;
    else x.rejected++;
    if (this.groupSettled(x)) {
      this.markReady(x);
      return 'ready';
    }
    return 'recorded';
  }

  private resetGroup(x: Execution): void {
    x.settlements.clear();
    x.fulfilled = 0;
    x.rejected = 0;
    delete x.doc.waits;
    delete x.doc.settled;
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
    if (found) return { created: false, record: this.record(found) };
    const t = now();
    const key = fileKey(init.id);
    const doc: Doc = { v: 1, id: init.id, workflow: init.workflow, version: init.version, status: 'ready', rev: 0, createdAt: t, updatedAt: t, args: init.args };
    if (init.parent) doc.parent = init.parent;
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
   * The settlement that makes the group ready is written but not fsynced:
   * the caller resumes at once and that commit's fsync follows. A kill -9
   * loses nothing (the line is in the OS's cache); a power cut before the
   * commit re-runs that call (activities run at least once).
   */
  async settleAndLoad(id: string, rev: number, slot: number, ok: boolean, payload: string, event: HistoryEvent): Promise<{ outcome: SettleOutcome; loaded?: LoadedStep }> {
    const outcome = await this.settleSlotDurably(id, rev, slot, ok, payload, event, false);
    const loaded = outcome === 'ready' ? await this.loadForStep(id) : undefined;
    return loaded ? { outcome, loaded } : { outcome };
  }

  async loadForStep(id: string): Promise<LoadedStep | undefined> {
    const x = this.execs.get(id);
    return x && { record: this.record(x), settlements: await this.settlements(id, x.doc.rev) };
  }

  private record(x: Execution): ExecutionRecord {
    const d = x.doc;
    const rec: ExecutionRecord = { id: d.id, workflow: d.workflow, version: d.version, status: d.status, rev: d.rev, createdAt: d.createdAt, updatedAt: d.updatedAt };
    if (d.completedAt !== undefined) rec.completedAt = d.completedAt;
    if (d.args !== undefined) rec.args = d.args;
    if (d.state !== undefined) rec.state = d.state;
    if (d.at) rec.at = { ...d.at };
    if (d.mode !== undefined && d.total !== undefined) rec.group = { mode: d.mode, total: d.total, fulfilled: x.fulfilled, rejected: x.rejected };
    if (d.result !== undefined) rec.result = d.result;
    if (d.error !== undefined) rec.error = d.error;
    if (d.cancel) rec.cancel = { ...d.cancel };
    if (d.problem) rec.problem = d.problem;
    if (d.parent) rec.parent = { ...d.parent };
    if (x.dispatch !== undefined) rec.dispatchPending = x.dispatch;
    return rec;
  }

  async settlements(id: string, rev: number): Promise<StoredSettlement[]> {
    const x = this.execs.get(id);
    if (!x || x.doc.rev !== rev) return [];
    return [...x.settlements.values()].map((s) => ({ ...s })).sort((a, b) => a.seq - b.seq);
  }

  async commitSuspension(id: string, rev: number, s: Suspension, events: HistoryEvents): Promise<CommitOutcome> {
    const x = this.live(id);
    if (!x || x.doc.rev !== rev || x.doc.status !== 'ready') return 'stale';
    const d = x.doc;
    const rev1 = rev + 1;
    this.resetGroup(x);
    Object.assign(d, { rev: rev1, status: 'waiting', state: s.state, version: s.version, at: s.at, mode: s.mode, total: s.total, updatedAt: now() });
    delete d.args;
    delete d.problem;
    if (s.cancelDelivered && d.cancel) d.cancel.delivered = true;
    this.ready.delete(id);
    if (s.dispatch) {
      x.dispatch = rev1;
      this.dispatchSet.add(id);
    } else {
      x.dispatch = undefined;
      this.dispatchSet.delete(id);
    }
    for (const e of eventList(events)) this.event(x, e);
    let result: CommitOutcome = 'waiting';
    for (const p of s.settled) if (this.settleSlot(x, p.slot, p.ok, p.payload, true) === 'ready') result = 'ready';
    for (const { slot, name } of s.signals) {
      ((d.waits ??= {})[name] ??= []).push(slot);
      const buffer = d.buffers?.[name];
      if (result === 'ready' || !buffer?.length) continue;
      const payload = buffer.shift()!;
      if (buffer.length === 0) delete d.buffers![name];
      this.event(x, { t: now(), type: 'signal', name, buffered: true });
      if (this.settleSlot(x, slot, true, payload, true) === 'ready') result = 'ready';
    }
    if (result !== 'ready' && d.cancel && !d.cancel.delivered) {
      this.markReady(x);
      result = 'ready';
    }
    await this.changed(x);
    return result;
  }

  async commitEnd(id: string, rev: number, end: Ending, events: HistoryEvents): Promise<boolean> {
    const x = this.live(id);
    if (!x || x.doc.rev !== rev || x.doc.status !== 'ready') return false;
    const d = x.doc;
    const t = now();
    this.resetGroup(x);
    for (const k of ['state', 'args', 'at', 'mode', 'total', 'problem', 'buffers'] as const) delete d[k];
    Object.assign(d, { rev: rev + 1, status: end.status, completedAt: t, updatedAt: t });
    if (end.status === 'completed') d.result = end.payload;
    else d.error = end.payload;
    if (end.cancelDelivered && d.cancel) d.cancel.delivered = true;
    this.ready.delete(id);
    x.dispatch = undefined;
    this.dispatchSet.delete(id);
    if (d.parent) {
      d.notify = true;
      this.notify.add(id);
    }
    for (const e of eventList(events)) this.event(x, e);
    await this.changed(x);
    return true;
  }

  settle(id: string, rev: number, slot: number, ok: boolean, payload: string, event: HistoryEvent): Promise<SettleOutcome> {
    return this.settleSlotDurably(id, rev, slot, ok, payload, event, true);
  }

  /** `syncIfReady` false: a settlement that makes the group ready skips its fsync (see settleAndLoad). */
  private async settleSlotDurably(id: string, rev: number, slot: number, ok: boolean, payload: string, event: HistoryEvent, syncIfReady: boolean): Promise<SettleOutcome> {
    const x = this.live(id);
    if (!x || x.doc.rev !== rev || x.doc.status !== 'waiting') return 'stale';
    const outcome = this.settleSlot(x, slot, ok, payload, false);
    if (outcome === 'duplicate') return outcome;
    this.event(x, event);
    await this.flush(x, syncIfReady || outcome !== 'ready');
    return outcome;
  }

  async isLive(id: string, rev: number, slot: number): Promise<boolean> {
    const x = this.live(id);
    const live = !!x && x.doc.rev === rev && x.doc.status === 'waiting' && !x.settlements.has(slot);
    // A lone call being delivered was pushed: its outbox flag is done (as in is_live.lua).
    if (live && x.doc.total === 1 && x.dispatch === rev) {
      x.dispatch = undefined;
      this.dispatchSet.delete(id);
    }
    return live;
  }

  async clearDispatch(id: string, rev: number): Promise<void> {
    const x = this.live(id);
    if (x?.dispatch !== rev) return;
    x.dispatch = undefined;
    this.dispatchSet.delete(id);
  }

  async signal(id: string, name: string, payload: string, event: HistoryEvent): Promise<SignalOutcome> {
    const x = this.existing(id);
    if (!x) throw new ExecutionNotFoundError(id);
    if (isTerminal(x.doc.status)) throw new ExecutionEndedError(id, `send signal '${name}' to`);
    if (x.doc.status === 'waiting') {
      for (const slot of x.doc.waits?.[name] ?? []) {
        if (x.settlements.has(slot)) continue;
        this.event(x, event);
        const outcome = this.settleSlot(x, slot, true, payload, false);
        await this.flush(x);
        return outcome === 'ready' ? 'ready' : 'delivered';
      }
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
