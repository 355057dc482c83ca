/**
 * Store on Redis. Every key of one execution carries the hash tag `{id}`
 * (the id escaped by keys.ts, so user strings cannot reach another key):
 *   x        the record: a hash of short fields only (status, rev, where it
 *            waits, signal waits, progress counters, tries of this resume, and `o:<op>` → watch
 *            token for each outstanding op), so Redis keeps it as a listpack
 *   v        the value: the encoded args until the first suspension, then
 *            the state document without the workflow and version that x
 *            holds (state-header.ts)
 *   s        settlements recorded and not yet consumed (op -> seq:ok:payload)
 *   w        multi-op watches (key -> 'mode n f r'); absent for most executions
 *   b        the outbox: the last commit's jobs until they are all pushed (a
 *            worker's commit queues its calls and timers itself: children only)
 *   h        the capped event history
 *   q:<name> buffered signals of that name
 * Every transition is one Lua script (./lua) guarded by the revision. The
 * global keys are indexes: `all` lists every id in creation order for
 * list() (a list, not a zset: ~35 bytes per execution instead of ~145),
 * `ended` holds ended ids by end time for prune(), and the sets ready,
 * dispatch and notify serve the recovery sweep. With a retention, an ended
 * execution's keys expire on their own; prune() also drops its index entries.
 */
import type { Redis } from 'ioredis';
import type { SuspendedAt } from '../machine.js';
import type {
  BeginStep,
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
  QueuedJobs,
  SettleOutcome,
  SignalOutcome,
  Store,
  StoredSettlement,
  Suspension,
} from '../store.js';
import { eventList, ExecutionEndedError, ExecutionNotFoundError, isTerminal, type HistoryEvents, type LoadedStep } from '../store.js';
import { watchDefText } from '../watches.js';
import { compactState, expandState } from '../state-header.js';
import { runScript, type ScriptName } from './scripts.js';
import { executionBase, signalBufferKey } from './keys.js';

export interface RedisStoreOptions {
  /** Key prefix (default 'reawait'). */
  prefix?: string;
  /** Events kept per execution (default 200). */
  historyCap?: number;
  /** Quit the client on close() (default true). */
  ownsClient?: boolean;
  /** ms an ended execution's keys live after its end (they expire then); 0 or absent: until pruned. */
  retentionMs?: number;
  /**
   * A worker's queue: its commits queue their activity calls and timers
   * themselves, in the commit's own script (queuesJobs), instead of pushing
   * them after it.
   */
  jobs?: CommitJobs;
}

/** What a commit script needs to queue jobs as the queue would (beequeue-queue.ts forCommit; lib.lua queue_jobs). */
export interface CommitJobs {
  forCommit(jobs: QueuedJobs): { keys: string[]; args: string[] };
}

export class RedisStore implements Store {
  private readonly prefix: string;
  private readonly cap: number;
  readonly queuesJobs: boolean;
  constructor(
    readonly redis: Redis,
    private readonly options: RedisStoreOptions = {},
  ) {
    this.queuesJobs = options.jobs !== undefined;
    this.prefix = options.prefix ?? 'reawait';
    this.cap = options.historyCap ?? 200;
  }

  private keys(id: string, extra: string[] = []): string[] {
    const base = executionBase(this.prefix, id);
    const g = this.prefix;
    return [`${base}:x`, `${base}:s`, `${base}:v`, `${base}:h`, this.allKey, `${g}:ready`, `${g}:dispatch`, `${g}:notify`, `${base}:b`, `${base}:w`, ...extra];
  }

  /** The index of every execution id, in creation order. */
  private get allKey(): string {
    return `${this.prefix}:all`;
  }

  /** Ended executions by end time (zset id -> completedAt): what prune() walks. */
  private get endedKey(): string {
    return `${this.prefix}:ended`;
  }

  private bufferKey(id: string, name: string): string {
    return signalBufferKey(this.prefix, id, name);
  }

  /** Runs a transition script; its events go in one argument, one JSON per line (lib.lua's history() splits them). */
  private run(name: ScriptName, id: string, events: HistoryEvents | undefined, args: (string | number)[], extraKeys: string[] = []): Promise<unknown> {
    const lines = events === undefined ? '' : eventList(events).map((e) => JSON.stringify(e)).join('\n');
    return runScript(this.redis, name, this.keys(id, extraKeys), [Date.now(), this.cap, lines, id, ...args]);
  }

  async create(init: NewExecution): Promise<{ created: boolean; record: ExecutionRecord }> {
    const event: HistoryEvent = { t: Date.now(), type: 'started', workflow: init.workflow };
    const created =
      (await this.run('create', init.id, event, [init.workflow, init.version, init.args, init.parent ? JSON.stringify(init.parent) : '']).catch((e: unknown) => {
        throw this.explainIndex(e);
      })) === 1;
    const record = await this.load(init.id);
    if (!record) throw new Error(`reawait: execution '${init.id}' vanished right after it was created`);
    return { created, record };
  }

  async load(id: string): Promise<ExecutionRecord | undefined> {
    const [k, , kv] = this.keys(id);
    const [[, h], [, v]] = (await this.redis.multi().hgetall(k!).get(kv!).exec()) as [[unknown, Record<string, string>], [unknown, string | null]];
    return this.record(id, h, v);
  }

  async loadForStep(id: string): Promise<LoadedStep | undefined> {
    const [k, ks, kv] = this.keys(id);
    // MULTI: the record and its settlements from one moment (a settle between two reads could not mix revs).
    const [[, h], [, all], [, v]] = (await this.redis.multi().hgetall(k!).hgetall(ks!).get(kv!).exec()) as [
      [unknown, Record<string, string>],
      [unknown, Record<string, string>],
      [unknown, string | null],
    ];
    const record = this.record(id, h, v);
    return record && { record, settlements: parseSettlements(all) };
  }

  async beginStep(id: string, rev: number): Promise<number | undefined> {
    const n = Number(await this.run('begin_step', id, undefined, [rev]));
    return n > 0 ? n : undefined;
  }

  /**
   * The record from its hash and its value key. The hash holds only short
   * fields, so Redis keeps it as a compact listpack (any value over 64 bytes
   * would turn it into a hashtable, twice the memory); the long ones live
   * apart: the value key holds the args until the first suspension (no `at`
   * yet), the state after it.
   */
  private record(id: string, h: Record<string, string>, value: string | null): ExecutionRecord | undefined {
    if (!h.status) return undefined;
    const rec: ExecutionRecord = {
      id,
      workflow: h.workflow ?? '',
      version: h.version ?? '',
      status: h.status as ExecutionStatus,
      rev: Number(h.rev),
      createdAt: Number(h.createdAt),
      updatedAt: Number(h.updatedAt),
      progress: { started: Number(h.started ?? 0), settled: Number(h.settled ?? 0) },
    };
    if (h.completedAt) rec.completedAt = Number(h.completedAt);
    if (h.at) {
      if (value !== null) rec.state = expandState(value, rec.workflow, rec.version);
      rec.at = parseAt(h.at, h.atFn ?? rec.workflow, h.atFile ?? '', rec.version);
    } else if (value !== null && !isTerminal(rec.status)) rec.args = value;
    if (h.result !== undefined) rec.result = h.result;
    if (h.error !== undefined) rec.error = h.error;
    if (h.cancel !== undefined) rec.cancel = { reason: h.cancel, delivered: h.cancelDelivered === '1' };
    if (h.problem) rec.problem = h.problem;
    if (h.parent) rec.parents = JSON.parse(h.parent) as ParentLink[];
    if (h.dispatch) rec.dispatchPending = Number(h.dispatch);
    return rec;
  }

  async commitSuspension(id: string, rev: number, s: Suspension, event: HistoryEvents): Promise<CommitOutcome> {
    const { at } = s;
    const args: (string | number)[] = [rev, compactState(s.state, s.workflow, s.version), s.version, `${at.line}:${at.column}:${at.pc}:${at.depth}`, at.fn, at.file, s.cancelDelivered ? '1' : '0', s.outbox, s.lone ?? ''];
    const bufferKeys: string[] = [];
    args.push(s.started.length);
    for (const x of s.started) {
      args.push(x.op, x.signal ?? '');
      if (x.signal !== undefined) bufferKeys.push(this.bufferKey(id, x.signal));
    }
    pushList(args, s.consumed);
    pushList(args, s.dropped);
    const w = s.watches;
    args.push(w.tokens.length);
    for (const [op, token] of w.tokens) args.push(op, token);
    args.push(w.set.length);
    for (const d of w.set) args.push(d.key, watchDefText(d), d.ops.length, ...d.ops);
    pushList(args, w.unset);
    const jobs = this.jobArgs(s.jobs);
    return (await this.run('commit_suspension', id, event, [...args, ...jobs.args], [...bufferKeys, ...jobs.keys])) as CommitOutcome;
  }

  async commitEnd(id: string, rev: number, end: Ending, event: HistoryEvents): Promise<boolean> {
    const args: (string | number)[] = [rev, end.status, end.payload, end.cancelDelivered ? '1' : '0', end.outbox, end.lone ?? '', end.started.length];
    pushList(args, end.consumed);
    pushList(args, end.dropped);
    pushList(args, end.detached);
    args.push(this.options.retentionMs ?? 0);
    const jobs = this.jobArgs(end.jobs);
    return (await this.run('commit_end', id, event, [...args, ...jobs.args], [this.endedKey, ...jobs.keys])) === 1;
  }

  /** The jobs a commit queues (lib.lua queue_jobs): none without a queue to write them for. */
  private jobArgs(jobs: QueuedJobs | undefined): { keys: string[]; args: string[] } {
    const none = !jobs || (jobs.activities.length === 0 && jobs.timers.length === 0);
    return none || !this.options.jobs ? { keys: [], args: ['0'] } : this.options.jobs.forCommit(jobs);
  }

  async settle(id: string, op: number, ok: boolean, payload: string, event: HistoryEvent): Promise<SettleOutcome> {
    return (await this.run('settle', id, event, [op, ok ? '1' : '0', payload, '0'])) as SettleOutcome;
  }

  /** settle.lua, which also counts the resume's try when `begin.runs` says the caller runs it (no begin_step round trip). */
  async settleAndLoad(id: string, op: number, ok: boolean, payload: string, event: HistoryEvent, begin?: BeginStep): Promise<{ outcome: SettleOutcome; loaded?: LoadedStep }> {
    const r = (await this.run('settle', id, event, [op, ok ? '1' : '0', payload, '1', ...runsArgs(begin?.runs)])) as SettleOutcome | [SettleOutcome, string[], string[], string | null, number];
    if (typeof r === 'string') return { outcome: r };
    const record = this.record(id, pairs(r[1]), r[3]);
    if (!record) return { outcome: r[0] };
    const loaded: LoadedStep = { record, settlements: parseSettlements(pairs(r[2])) };
    if (r[4] > 0) loaded.attempt = r[4];
    return { outcome: r[0], loaded };
  }

  async isLive(id: string, op: number): Promise<boolean> {
    return (await this.run('is_live', id, undefined, [op])) === 1;
  }

  async outbox(id: string, rev: number): Promise<string | undefined> {
    const [k, , , , , , , , kb] = this.keys(id);
    const [[, dispatch], [, outbox]] = (await this.redis.multi().hget(k!, 'dispatch').get(kb!).exec()) as [[unknown, string | null], [unknown, string | null]];
    return dispatch === String(rev) && outbox !== null ? outbox : undefined;
  }

  async clearDispatch(id: string, rev: number): Promise<void> {
    await this.run('clear_dispatch', id, undefined, [rev]);
  }

  async signal(id: string, name: string, payload: string, event: HistoryEvent): Promise<SignalOutcome> {
    const buffered: HistoryEvent = { ...event, type: 'signal buffered' };
    const r = (await this.run('signal', id, event, [name, payload, JSON.stringify(buffered)], [this.bufferKey(id, name)])) as string;
    if (r === 'missing') throw new ExecutionNotFoundError(id);
    if (r === 'ended') throw new ExecutionEndedError(id, `send signal '${name}' to`);
    return r as SignalOutcome;
  }

  async requestCancel(id: string, reason: string, event: HistoryEvent): Promise<CancelOutcome> {
    const r = (await this.run('cancel', id, event, [reason])) as string;
    if (r === 'missing') throw new ExecutionNotFoundError(id);
    return r as CancelOutcome;
  }

  async retry(id: string, events: HistoryEvents, redispatch: readonly number[] = []): Promise<number | 'not failed' | 'no state' | 'missing'> {
    return (await this.run('retry', id, events, [redispatch.length, ...redispatch], [this.endedKey])) as number | 'not failed' | 'no state' | 'missing';
  }

  async noteProblem(id: string, rev: number, problem: string, event: HistoryEvents): Promise<void> {
    await this.run('note_problem', id, event, [rev, problem]);
  }

  async clearNotify(id: string): Promise<void> {
    await this.redis.srem(`${this.prefix}:notify`, id);
  }

  /**
   * Newest first. The cursor is the position in `all` of the next (older) id
   * to read: ids are only ever appended, so executions started while a
   * caller pages do not shift its pages.
   */
  async list(filter: ListFilter): Promise<{ items: ExecutionSummary[]; cursor?: string }> {
    const limit = filter.limit ?? 50;
    const key = this.allKey;
    let pos = filter.cursor ? Number(filter.cursor) : (await this.redis.llen(key).catch((e: unknown) => Promise.reject(this.explainIndex(e)))) - 1;
    if (filter.cursor && (!Number.isInteger(pos) || pos < 0)) throw new TypeError(`list: invalid cursor '${filter.cursor}'`);
    const items: ExecutionSummary[] = [];
    const page = Math.max(limit, 100);
    while (pos >= 0) {
      const ids = (await this.redis.lrange(key, Math.max(0, pos - page + 1), pos)).reverse();
      if (ids.length === 0) break;
      const pipe = this.redis.pipeline();
      for (const id of ids) pipe.hmget(this.keys(id)[0]!, 'workflow', 'status', 'createdAt', 'updatedAt');
      const rows = (await pipe.exec()) ?? [];
      for (let i = 0; i < ids.length; i++) {
        pos--;
        const [wf, status, createdAt, updatedAt] = rows[i]![1] as (string | null)[];
        if (!status) continue;
        if (filter.status && status !== filter.status) continue;
        if (filter.workflow && wf !== filter.workflow) continue;
        items.push({ id: ids[i]!, workflow: wf ?? '', status: status as ExecutionStatus, createdAt: Number(createdAt), updatedAt: Number(updatedAt) });
        if (items.length === limit) return pos >= 0 ? { items, cursor: String(pos) } : { items };
      }
    }
    return { items };
  }

  /** WRONGTYPE on the `all` index: an earlier build kept it as a sorted set. */
  private explainIndex(e: unknown): unknown {
    if (!(e instanceof Error) || !e.message.includes('WRONGTYPE')) return e;
    const key = this.allKey;
    return new Error(
      `reawait: Redis key '${key}' is not the list of execution ids this version keeps (an earlier build of reawait kept a sorted set there); ` +
        `delete that key (DEL ${key}) or use another prefix. (${e.message})`,
    );
  }

  async appendHistory(id: string, event: HistoryEvent): Promise<void> {
    await this.run('append_history', id, event, []);
  }

  async history(id: string): Promise<HistoryEvent[]> {
    return (await this.redis.lrange(this.keys(id)[3]!, 0, -1)).map((s) => JSON.parse(s) as HistoryEvent);
  }

  async prune(before: number): Promise<number> {
    let removed = 0;
    // Oldest first, a batch at a time; what stays (a child whose parent is not yet notified) is skipped past.
    let offset = 0;
    for (;;) {
      const ids = await this.redis.zrangebyscore(this.endedKey, '-inf', `(${before}`, 'LIMIT', offset, 500);
      if (ids.length === 0) return removed;
      const gone: string[] = [];
      for (const id of ids) if ((await this.run('prune', id, undefined, [before], [this.endedKey])) === 1) gone.push(id);
      if (gone.length) await runScript(this.redis, 'prune_index', [this.allKey], [0, 0, '', '', ...gone]);
      removed += gone.length;
      offset += ids.length - gone.length;
    }
  }

  async pending(): Promise<PendingWork> {
    const g = this.prefix;
    const [ready, dispatch, notify] = await Promise.all([this.redis.smembers(`${g}:ready`), this.redis.smembers(`${g}:dispatch`), this.redis.smembers(`${g}:notify`)]);
    return { ready, dispatch, notify };
  }

  async close(): Promise<void> {
    if (this.options.ownsClient === false) return;
    // QUIT waits for a reply a Redis that is gone never sends: cut it off.
    if (this.redis.status !== 'ready') return this.redis.disconnect();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.redis.quit().catch(() => {}), new Promise<void>((r) => (timer = setTimeout(r, 2000)))]);
    clearTimeout(timer);
    this.redis.disconnect();
  }
}

/** The settlements hash (op → `seq:ok:payload`) in arrival order. */
function parseSettlements(all: Record<string, string>): StoredSettlement[] {
  const out: StoredSettlement[] = [];
  for (const [op, v] of Object.entries(all)) {
    const a = v.indexOf(':');
    const b = v.indexOf(':', a + 1);
    out.push({ op: Number(op), seq: Number(v.slice(0, a)), ok: v.slice(a + 1, b) === '1', payload: v.slice(b + 1) });
  }
  return out.sort((x, y) => x.seq - y.seq);
}

/** settle.lua's ARGV 9..: how many workflows, then name and version of each; encoded once per map (a worker has one). */
const runsArgCache = new WeakMap<ReadonlyMap<string, string>, readonly string[]>();
function runsArgs(runs: ReadonlyMap<string, string> | undefined): readonly string[] {
  if (!runs) return ['0'];
  let args = runsArgCache.get(runs);
  if (!args) runsArgCache.set(runs, (args = [String(runs.size), ...[...runs].flat()]));
  return args;
}

/** A list argument: its length, then its items. */
function pushList(args: (string | number)[], items: readonly (string | number)[]): void {
  args.push(items.length, ...items);
}

/** A flat HGETALL reply from Lua ([field, value, …]) as an object. */
function pairs(flat: string[]): Record<string, string> {
  const o: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) o[flat[i]!] = flat[i + 1]!;
  return o;
}

/** The record's `at` field, 'line:column:pc:depth', with its fn and file fields. */
function parseAt(at: string, fn: string, file: string, version: string): SuspendedAt {
  const [line, column, pc, depth] = at.split(':').map(Number) as [number, number, number, number];
  return { fn, version, pc, file, line, column, depth };
}
