/**
 * The Store: every atomic state transition of an execution, and nothing
 * else. The worker and client (runtime/engine/) are written against this
 * interface only, so a backend is a Store plus a Queue (runtime/queue.ts).
 *
 * Rules every implementation keeps:
 * - Each transition is atomic (one Lua script on Redis, one locked write on
 *   the embedded backend) and guarded by the execution's revision `rev`:
 *   a call naming an old rev is a no-op that reports 'stale', so late or
 *   duplicated jobs change nothing.
 * - `rev` grows by one at every committed step (suspension or end); the
 *   settlements of a suspension belong to its rev and are dropped with it.
 * - settle() reports 'ready' to exactly one caller per suspension: the one
 *   whose settlement made the group settled (see READY_RULES in group.ts).
 *   Each settle() is O(1) work whatever the group size.
 * - Payloads (args, results, errors, signal data, cancel reasons) are
 *   strings from runtime/codec.ts encodeValue(); states are StateDoc JSON
 *   from encodeState(). The store never decodes them.
 */
import { serializable } from './serializable.js';
import type { GroupMode } from './contract.js';
import type { SuspendedAt } from './machine.js';

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

/** The slot of a parent's group that a child execution settles when it ends. */
export interface ParentLink {
  id: string;
  rev: number;
  slot: number;
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
  /** Where it waits (source file/line of the await). */
  at?: SuspendedAt;
  /** The outstanding group's mode and counts. */
  group?: { mode: GroupMode; total: number; fulfilled: number; rejected: number };
  /** Encoded result (completed). */
  result?: string;
  /** Encoded error (failed / cancelled). */
  error?: string;
  /** A cancel was requested (encoded reason); `delivered` once the workflow has seen it. */
  cancel?: { reason: string; delivered: boolean };
  /** Why the last attempt to step it did not proceed (e.g. a version mismatch); cleared by the next commit. */
  problem?: string;
  parent?: ParentLink;
  /** A suspension whose commands are not all pushed yet (outbox); the rev they belong to. */
  dispatchPending?: number;
}

/** One settled slot, encoded; `seq` is its place in completion order (0-based). */
export interface StoredSettlement {
  slot: number;
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

/** What a resume reads: the record and the settlements of its current rev. */
export interface LoadedStep {
  record: ExecutionRecord;
  settlements: StoredSettlement[];
}

export interface NewExecution {
  id: string;
  workflow: string;
  /** '' when the starter does not have the workflow's code (start by name). */
  version: string;
  args: string;
  parent?: ParentLink;
}

export interface Suspension {
  /** The execution's workflow (the root frame's): a store may keep the state without it (state-header.ts). */
  workflow: string;
  state: string;
  /** Version of the code that produced the state (fills in a '' version). */
  version: string;
  at: SuspendedAt;
  mode: GroupMode;
  total: number;
  /** Slots settled before anything runs (plain values in the group). */
  settled: { slot: number; ok: boolean; payload: string }[];
  /** Signal slots: a buffered signal of that name settles the slot at once. */
  signals: { slot: number; name: string }[];
  /** Whether any command needs pushing (calls, timers, children): sets the outbox flag. */
  dispatch: boolean;
  /** This step delivered the pending cancel to the workflow. */
  cancelDelivered: boolean;
}

export interface Ending {
  status: 'completed' | 'failed' | 'cancelled';
  /** Encoded result or error. */
  payload: string;
  cancelDelivered: boolean;
}

export type SettleOutcome =
  /** This settlement made the group settled: the caller must push the resume. */
  | 'ready'
  /** Recorded; the group still waits. */
  | 'recorded'
  /** The slot was already settled (a duplicate delivery). */
  | 'duplicate'
  /** The execution is not waiting at this rev any more. */
  | 'stale';

/**
 * 'waiting': suspended and its outbox flag set (if dispatch);
 * 'ready': committed, but already due again (buffered signals or plain values
 * settled the group, or a cancel arrived meanwhile): push a resume;
 * 'stale': someone else committed this rev first (nothing changed).
 */
export type CommitOutcome = 'waiting' | 'ready' | 'stale';

export type SignalOutcome =
  /** Settled a waiting signal slot and the group became ready: push a resume. */
  | 'ready'
  /** Settled a waiting signal slot; the group still waits. */
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
}

/** Executions a crash may have left with work unpushed: what the recovery sweep re-pushes. */
export interface PendingWork {
  /** status 'ready': a resume job is due. */
  ready: string[];
  /** outbox flag set: commands of the current suspension may be unpushed. */
  dispatch: string[];
  /** ended children whose parent slot may not be settled yet. */
  notify: string[];
}

export interface Store {
  /** Create an execution in status 'ready' at rev 0; idempotent by id (an existing one is returned, `created: false`). */
  create(init: NewExecution): Promise<{ created: boolean; record: ExecutionRecord }>;
  load(id: string): Promise<ExecutionRecord | undefined>;
  /** The record and the settlements of its current rev, read together (what a resume needs: one round trip on Redis). */
  loadForStep(id: string): Promise<LoadedStep | undefined>;
  /** The settlements recorded for the suspension at `rev` (any order; sort by seq). */
  settlements(id: string, rev: number): Promise<StoredSettlement[]>;
  /** Commit a suspension of the step that started at `rev` (the new rev is rev + 1). */
  commitSuspension(id: string, rev: number, s: Suspension, events: HistoryEvents): Promise<CommitOutcome>;
  /** Commit the end of the step that started at `rev`. False if stale. */
  commitEnd(id: string, rev: number, end: Ending, events: HistoryEvents): Promise<boolean>;
  /** Record one slot's outcome for the suspension at `rev`. */
  settle(id: string, rev: number, slot: number, ok: boolean, payload: string, event: HistoryEvent): Promise<SettleOutcome>;
  /** settle(), and when it makes the group settled, also what loadForStep() reads, in the same atomic step (the worker that settles resumes at once). */
  settleAndLoad(id: string, rev: number, slot: number, ok: boolean, payload: string, event: HistoryEvent): Promise<{ outcome: SettleOutcome; loaded?: LoadedStep }>;
  /**
   * Whether a command of `rev`/`slot` is still wanted (waiting at rev, slot
   * unsettled): queued calls of a cancelled or moved-on execution are
   * dropped. For a lone call it also clears the outbox flag (its delivery
   * proves the push), so the dispatcher need not.
   */
  isLive(id: string, rev: number, slot: number): Promise<boolean>;
  /** The commands of the suspension at `rev` are all pushed: clear the outbox flag. */
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
  close(): Promise<void>;
}
