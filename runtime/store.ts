/**
 * The Store: every atomic state transition of an execution, and nothing
 * else. The worker and client (runtime/engine/) are written against this
 * interface only, so a backend is a Store plus a Queue (runtime/queue.ts).
 *
 * Rules every implementation keeps (runtime/fibers.md):
 * - Each transition is atomic (one Lua script on Redis, one transaction on
 *   the embedded backend). A commit is guarded by the execution's revision
 *   `rev`: a commit naming an old rev is a no-op that reports 'stale', so a
 *   late or duplicated resume changes nothing.
 * - `rev` grows by one at every committed step (suspension or end).
 * - An execution has outstanding ops (per-execution op ids, never reused):
 *   a commit adds the ops its step started and removes the ones whose
 *   settlements it consumed or that it dropped. A settlement is recorded
 *   once per outstanding op (a second one is a 'duplicate'), whatever the
 *   execution's status, and kept until a commit consumes it.
 * - Each outstanding op has a watch token (watches.ts): settle() reports
 *   'ready' to exactly one caller per commit — the first whose settlement
 *   fires a watch while the execution waits; a commit reports 'ready' at
 *   once when settlements it did not consume already fire its new watches.
 *   Each settle() is O(1) in the number of outstanding ops.
 * - Payloads (args, results, errors, signal data, cancel reasons) are
 *   strings from runtime/codec.ts encodeValue(); states are StateDoc JSON
 *   from encodeState(). The store never decodes them.
 */
import { serializable } from './serializable.js';
import type { SuspendedAt } from './machine.js';
import type { WatchPlan } from './watches.js';
import type { ActivityJob, TimerJob } from './queue.js';

export type ExecutionStatus =
  /** Its next step is due: the first run, or a resume after its group settled (or a cancel). */
  | 'ready'
  /** Suspended on a group of outstanding commands. */
  | 'waiting'
  | 'completed'
  | 'failed'
  /** Ended by a cancel: the workflow let the CancelledError escape. */
  | 'cancelled';

export const TERMINAL_STATUSES: readonly ExecutionStatus[] = ['completed', 'failed', 'cancelled'];

export function isTerminal(status: ExecutionStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}

export class ExecutionNotFoundError extends Error {
  override name = 'ExecutionNotFoundError';
  constructor(readonly id: string) {
    super(`no execution with id '${id}'`);
  }
}

export class ExecutionEndedError extends Error {
  override name = 'ExecutionEndedError';
  constructor(
    readonly id: string,
    what: string,
  ) {
    super(`cannot ${what} execution '${id}': it has already ended`);
  }
}
// Both cross processes (an embedded backend's holder answers another process's client).
serializable(ExecutionNotFoundError, 'reawait.ExecutionNotFoundError');
serializable(ExecutionEndedError, 'reawait.ExecutionEndedError');

/** The op of a parent execution that a child execution settles when it ends. */
export interface ParentLink {
  id: string;
  op: number;
}

export interface ExecutionRecord {
  id: string;
  workflow: string;
  /** Version hash of the code that runs it; '' until the first step when started by name only. */
  version: string;
  status: ExecutionStatus;
  rev: number;
  /** ms since epoch */
  createdAt: number;
  updatedAt: number;
  completedAt?: number;
  /** Encoded argument array; kept until the first step commits. */
  args?: string;
  /** StateDoc JSON while suspended (or ready to resume). */
  state?: string;
  /** Where it waits (source file/line of the await at the end of the root fiber's wait chain). */
  at?: SuspendedAt;
  /** Ops started and settled over the whole run (for progress: settled of started). */
  progress: { started: number; settled: number };
  /** Encoded result (completed). */
  result?: string;
  /** Encoded error (failed / cancelled). */
  error?: string;
  /** A cancel was requested (encoded reason); `delivered` once the workflow has seen it. */
  cancel?: { reason: string; delivered: boolean };
  /** Why the last attempt to step it did not proceed (e.g. a version mismatch); cleared by the next commit. */
  problem?: string;
  /** The parent ops this child settles when it ends (one per startChild of its id by a parent). */
  parents?: ParentLink[];
  /** A commit whose outbox is not all pushed yet; the rev it made. */
  dispatchPending?: number;
}

/** One recorded settlement of an outstanding op, encoded; `seq` orders arrivals. */
export interface StoredSettlement {
  op: number;
  seq: number;
  ok: boolean;
  payload: string;
}

export interface HistoryEvent {
  /** ms since epoch */
  t: number;
  type: string;
  [detail: string]: unknown;
}

/** One event, or several in order (a step's commit carries its 'resumed' event too: one write instead of two). */
export type HistoryEvents = HistoryEvent | readonly HistoryEvent[];

export const eventList = (e: HistoryEvents): readonly HistoryEvent[] => (Array.isArray(e) ? e : [e as HistoryEvent]);

/** What a resume reads: the record and its unconsumed settlements (in arrival order). */
export interface LoadedStep {
  record: ExecutionRecord;
  settlements: StoredSettlement[];
  /** The try of this resume, already counted with the load (settleAndLoad's `begin`): the step does not call beginStep. */
  attempt?: number;
}

export interface NewExecution {
  id: string;
  workflow: string;
  /** '' when the starter does not have the workflow's code (start by name). */
  version: string;
  args: string;
  parent?: ParentLink;
}

/** What a committed step changes in the execution's set of outstanding ops. */
export interface OpChanges {
  /** Ops the step started; a signal wait carries its signal's name (a buffered signal settles it at commit). */
  started: { op: number; signal?: string }[];
  /** Ops whose settlements the step applied. */
  consumed: number[];
  /** Outstanding ops the step gave up: no longer wanted (their queued jobs are dropped). */
  dropped: number[];
  /**
   * The outbox: the step's jobs to push once the commit is in (an encoded
   * Outbox, engine/dispatch.ts), or '' when nothing needs pushing. It stays
   * in the store until clearDispatch, so the recovery sweep can push again.
   */
  outbox: string;
  /** The outbox is one activity call, this op: its delivery (isLive) clears the outbox flag. */
  lone?: number;
  /**
   * The settlement this step applied and that is not recorded yet (Store.beginSettled): the commit
   * records it too, as settle() would have, and is 'stale' unless the execution still waits for it
   * at `rev` with no cancel pending. `committed` is set once a commit carrying it is in.
   */
  settles?: CarriedSettlement;
  /**
   * Only for a store that `queuesJobs`: the step's activity calls and timers,
   * which the commit writes into the queue in its own transaction (they are
   * then not in `outbox`).
   */
  jobs?: QueuedJobs;
}

/** A settlement a step's commit records itself (OpChanges.settles). */
export interface CarriedSettlement {
  op: number;
  ok: boolean;
  payload: string;
  event: HistoryEvent;
  committed?: boolean;
}

/** Activity calls and timers a commit queues itself (Store.queuesJobs). */
export interface QueuedJobs {
  activities: readonly ActivityJob[];
  timers: readonly { job: TimerJob; at: number }[];
}

export interface Suspension extends OpChanges {
  /** The execution's workflow (the root fiber's): a store may keep the state without it (state-header.ts). */
  workflow: string;
  state: string;
  /** Version of the code that produced the state (fills in a '' version). */
  version: string;
  at: SuspendedAt;
  /** The watches after this step, as a diff from the last commit's. */
  watches: WatchPlan;
  /** This step delivered the pending cancel to the workflow. */
  cancelDelivered: boolean;
}

export interface Ending extends OpChanges {
  status: 'completed' | 'failed' | 'cancelled';
  /** Encoded result or error. */
  payload: string;
  cancelDelivered: boolean;
  /**
   * Outstanding ops that stay after the end (calls and children started and
   * never awaited: they run even if the workflow ended first); their late
   * settlements are only recorded in the history. Every other outstanding op
   * must be in `dropped`.
   */
  detached: number[];
}

export type SettleOutcome =
  /** This settlement fired a watch of the waiting execution: the caller must resume it. */
  | 'ready'
  /** Recorded (the execution still waits, or a resume is already due or running). */
  | 'recorded'
  /** The op was already settled (a duplicate delivery). */
  | 'duplicate'
  /** The op is not outstanding (consumed, dropped, or its execution ended). */
  | 'stale';

/**
 * 'waiting': suspended and its outbox flag set (if it has an outbox);
 * 'ready': committed, but already due again (settlements it did not consume
 * or buffered signals fire its watches, or a cancel arrived meanwhile): resume it;
 * 'stale': someone else committed this rev first (nothing changed).
 */
export type CommitOutcome = 'waiting' | 'ready' | 'stale';

export type SignalOutcome =
  /** Settled the oldest outstanding wait for it, which fired a watch: resume it. */
  | 'ready'
  /** Settled the oldest outstanding wait for it. */
  | 'delivered'
  /** Nobody waits for it yet: kept in order for the next wait of that name. */
  | 'buffered';

export type CancelOutcome =
  /** It was waiting: it is now ready and must be resumed (with the CancelledError). */
  | 'ready'
  /** Recorded; it is mid-step and will see the cancel at its next await. */
  | 'requested'
  /** It had already ended (or a cancel was already requested): nothing to do. */
  | 'noop';

export interface ListFilter {
  status?: ExecutionStatus;
  workflow?: string;
  limit?: number;
  /** Opaque; from a previous page. */
  cursor?: string;
}

export interface ExecutionSummary {
  id: string;
  workflow: string;
  status: ExecutionStatus;
  createdAt: number;
  updatedAt: number;
  /** What a failed execution failed with, by name (e.g. 'CorruptStateError'); the Client fills it in. */
  error?: string;
}

/** Executions a crash may have left with work unpushed: what the recovery sweep re-pushes. */
export interface PendingWork {
  /** status 'ready': a resume job is due. */
  ready: string[];
  /** outbox flag set: jobs of a commit may be unpushed. */
  dispatch: string[];
  /** ended children whose parent op may not be settled yet. */
  notify: string[];
}

export interface LoadOptions {
  /** false: args and state may be left out of the record (default true). */
  state?: boolean;
}

/**
 * settleAndLoad's `begin`: whether the caller will run the code of the
 * resume its settlement makes due, from the record read in that step.
 * `runs` says the same as data, for a store whose step cannot call back into
 * JS (Redis runs it as a Lua script): yes exactly when `runs` maps the
 * record's workflow to the record's version, and the record has a state or
 * no cancel that is not yet delivered. Without `runs` such a store counts
 * nothing there (the caller's beginStep does).
 */
export interface BeginStep {
  (record: ExecutionRecord): boolean;
  /** Workflow name → the version whose executions the caller runs. */
  readonly runs?: ReadonlyMap<string, string>;
}

export interface Store {
  /**
   * The store keeps the queue too (one database, or its queue's keys on the
   * same Redis): a commit writes the jobs of its activity calls and timers
   * (OpChanges.jobs) in its own transaction, so only child executions go
   * through the outbox.
   */
  readonly queuesJobs?: boolean;
  /**
   * Create an execution in status 'ready' at rev 0; idempotent by id (an
   * existing one is returned, `created: false`). With a parent link, an
   * existing execution that has not ended gains that link (another await of
   * the same child); one that has ended is returned as it is (the caller
   * settles the parent op).
   */
  create(init: NewExecution): Promise<{ created: boolean; record: ExecutionRecord }>;
  /** The record; with `{ state: false }` a store may leave out the args and state (a status poll need not read them). */
  load(id: string, options?: LoadOptions): Promise<ExecutionRecord | undefined>;
  /** The record and its recorded, unconsumed settlements, read together (what a resume needs: one round trip on Redis). */
  loadForStep(id: string): Promise<LoadedStep | undefined>;
  /**
   * A worker is about to run the workflow code of the step at `rev`: count
   * it. Returns which try this is of resuming from the last committed state
   * (its args before the first suspension): 1 the first time, more when the
   * same resume runs again (its worker died or stalled mid-step, or the
   * execution failed and was retried). commitSuspension starts the count
   * again. Undefined when the execution is no longer ready at `rev` (a
   * duplicate: do not step). Need not reach the disk (a crash of the process
   * keeps it; a power cut may not).
   */
  beginStep(id: string, rev: number): Promise<number | undefined>;
  /** Commit a suspension of the step that started at `rev` (the new rev is rev + 1). */
  commitSuspension(id: string, rev: number, s: Suspension, events: HistoryEvents): Promise<CommitOutcome>;
  /** Commit the end of the step that started at `rev`. False if stale. */
  commitEnd(id: string, rev: number, end: Ending, events: HistoryEvents): Promise<boolean>;
  /** Record the outcome of outstanding op `op`. */
  settle(id: string, op: number, ok: boolean, payload: string, event: HistoryEvent): Promise<SettleOutcome>;
  /**
   * settle(), and when it makes the execution ready, also what loadForStep()
   * reads, in the same atomic step (the worker that settles resumes at once).
   * With `begin`, a store may also count the resume's try (beginStep) in that
   * same step when `begin` says the caller will run the resume's code
   * (LoadedStep.attempt), instead of the caller's beginStep a moment later.
   */
  settleAndLoad(id: string, op: number, ok: boolean, payload: string, event: HistoryEvent, begin?: BeginStep): Promise<{ outcome: SettleOutcome; loaded?: LoadedStep }>;
  /**
   * Optional: the resume that settling `op` would start, begun before the
   * settlement is written, so that the step's commit records both in one
   * transaction (OpChanges.settles) instead of two. Only when the
   * settlement alone would make the execution ready: it waits at its rev,
   * the op is outstanding and unsettled and its watch token is '*', no other
   * settlement is recorded and no cancel is pending; and `begin(record)`
   * says the caller will run the step's code. The try is counted as
   * beginStep counts it (the step's code runs from the last committed state
   * whatever becomes of its commit). Returns what loadForStep would read
   * after the settlement (this one last), or undefined: settle the usual way.
   */
  beginSettled?(id: string, op: number, ok: boolean, payload: string, begin: (record: ExecutionRecord) => boolean): Promise<LoadedStep | undefined>;
  /**
   * Whether op `op` is still wanted (outstanding and unsettled): queued
   * calls of a cancelled execution are dropped. For the lone call of an
   * outbox it also clears the outbox flag (its delivery proves the push), so
   * the dispatcher need not.
   */
  isLive(id: string, op: number): Promise<boolean>;
  /** The outbox of the commit that made `rev`, if it is still flagged (the recovery sweep pushes it again). */
  outbox(id: string, rev: number): Promise<string | undefined>;
  /** The outbox of the commit that made `rev` is all pushed: clear the flag. */
  clearDispatch(id: string, rev: number): Promise<void>;
  /** Deliver a signal; throws if the execution does not exist or has ended. */
  signal(id: string, name: string, payload: string, event: HistoryEvent): Promise<SignalOutcome>;
  /** Ask for a cancel; throws if the execution does not exist. */
  requestCancel(id: string, reason: string, event: HistoryEvent): Promise<CancelOutcome>;
  /** Note why a step at `rev` could not run (shown by describe()); the execution stays as it is. */
  noteProblem(id: string, rev: number, problem: string, events: HistoryEvents): Promise<void>;
  /** The parent of this ended child has its slot settled. */
  clearNotify(id: string): Promise<void>;
  list(filter: ListFilter): Promise<{ items: ExecutionSummary[]; cursor?: string }>;
  /** Append to the execution's capped event history. */
  appendHistory(id: string, event: HistoryEvent): Promise<void>;
  history(id: string): Promise<HistoryEvent[]>;
  pending(): Promise<PendingWork>;
  /**
   * Remove every execution that ended (completed, failed or cancelled)
   * before `before` (ms since epoch): record, state, history and index
   * entries. One whose parents are not yet notified of its end, or whose
   * last jobs are not all pushed, stays until they are. Returns how many went.
   */
  prune(before: number): Promise<number>;
  /**
   * Make a failed execution ready again at its last committed state, with
   * the settlements its failing step consumed (a failed execution keeps
   * both): the next step runs on the current code. Returns the new rev, or
   * why not: 'not failed' (another status), 'no state' (it failed before its
   * first suspension, or its state was pruned), 'missing'. The settlements
   * of `redispatch` are dropped instead (their ops stay outstanding, counted
   * as started once more): the caller pushes those calls again.
   */
  retry(id: string, events: HistoryEvents, redispatch?: readonly number[]): Promise<number | 'not failed' | 'no state' | 'missing'>;
  close(): Promise<void>;
}
