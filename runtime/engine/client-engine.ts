/**
 * What a client does, generic over a Store and a Queue: start executions
 * (idempotent by id), read them, signal and cancel them, wait for results.
 */
import { randomUUID } from 'node:crypto';
import { decodeValue } from '../codec.js';
import { EXPOSED, type MachineState } from '../machine.js';
import { decodeState, headerLines } from '../state-codec.js';
import { isCompiledWorkflow, workflowRecord, type SignalDefinition } from '../workflow.js';
import type { Queue } from '../queue.js';
import type { ExecutionRecord, ExecutionStatus, ExecutionSummary, HistoryEvent, ListFilter, LoadOptions, Store } from '../store.js';
import { ExecutionEndedError, ExecutionNotFoundError, isTerminal } from '../store.js';
import { decodePayload, encodePayload } from './payload.js';
import { callsToRedispatch, failedChildren } from './redispatch.js';
import { versionedSitesIn } from '../closures.js';
import { describeThrown } from '../thrown.js';
import { checkUserId } from '../ids.js';

export interface StartOptions {
  /** Execution id; starting with an id that exists returns that execution. Default: a random UUID. */
  id?: string;
}

export interface Description {
  id: string;
  status: ExecutionStatus;
  workflow: string;
  version: string;
  createdAt: number;
  updatedAt: number;
  completedAt?: number;
  /** Where it waits: the await's source file and line (at the end of the root fiber's wait chain). */
  waitingAt?: { fn: string; file: string; line: number; column: number };
  /** Every fiber (root first): its function, the line it waits at, its live locals, decoded. */
  fibers?: FiberView[];
  /** The closure sites of the closure values its state holds, with their versions (`wf/3@<hash>`): a kept build that defines one is still needed. */
  closures?: string[];
  /** Durable operations (calls, timers, signal waits, children) over the whole run: settled of started. */
  calls?: { total: number; done: number };
  /** The operations outstanding while it waits: activity calls by name, signals by name (and when they time out), timers (and when they are due), child executions. */
  waitingFor?: WaitingFor;
  /** Rejections nobody handled (they did not change the result). */
  unhandled?: { what: string; error: string; at?: string }[];
  result?: unknown;
  error?: unknown;
  cancelRequested?: boolean;
  /** Why it is not progressing (e.g. no worker has its code version). */
  problem?: string;
  parent?: { id: string; op: number };
  history: HistoryEvent[];
}

export interface WaitingFor {
  /** Activity name → calls of it outstanding. */
  calls: Record<string, number>;
  signals: string[];
  /** Signal name → when its (earliest) wait with a timeout times out, ms since the epoch. */
  signalTimeouts: Record<string, number>;
  timers: number;
  /** When the timers are due, ms since the epoch, earliest first (a state saved by an earlier build may lack them). */
  timersDue: number[];
  /** Child execution ids. */
  children: string[];
}

export interface FiberView {
  id: number;
  /** The workflow function or async closure site (`wf/3`) it runs. */
  fn: string;
  pc: number;
  /** The build of `fn` it runs (a workflow's version, a closure site's); absent for a fiber started before frames recorded one. */
  version?: string;
  /** The line of the await it waits at (from the state, readable without the code). */
  line?: number;
  locals: Record<string, unknown>;
}

export class ExecutionHandle<T = unknown> {
  constructor(
    private readonly engine: ClientEngine,
    readonly id: string,
  ) {}

  /** Resolves with the workflow's result, or rejects with its own error. */
  result(options: { timeoutMs?: number } = {}): Promise<T> {
    return this.engine.result(this.id, options) as Promise<T>;
  }
  describe(): Promise<Description> {
    return this.engine.describe(this.id);
  }
  /** The answer of the workflow's expose(name, fn), computed from its saved state (no worker needed). */
  query<R = unknown>(name: string): Promise<R> {
    return this.engine.query(this.id, name) as Promise<R>;
  }
  /** Deliver signal `name` (buffered until the workflow waits for it); with a defineSignal() definition, the payload must have its type. */
  signal<P>(signal: SignalDefinition<P>, ...payload: undefined extends P ? [payload?: P] : [payload: P]): Promise<void>;
  signal(name: string, payload?: unknown): Promise<void>;
  signal(name: string | SignalDefinition<unknown>, payload?: unknown): Promise<void> {
    return this.engine.signal(this.id, typeof name === 'string' ? name : name.name, payload);
  }
  /**
   * Ask the workflow to stop (it sees CancelledError at its await).
   * Resolves 'requested', or 'already requested' when an earlier cancel is
   * still being carried out; rejects with ExecutionEndedError when the
   * execution has already ended (nothing to cancel).
   */
  cancel(reason?: string): Promise<CancelResult> {
    return this.engine.cancel(this.id, reason);
  }

  /**
   * Resume a failed execution from its last committed suspension, on the
   * workers' current code (deploy the fix first): the work done before it is
   * not repeated, and the failure stays in the history.
   */
  retry(): Promise<void> {
    return this.engine.retry(this.id);
  }
}

export type CancelResult = 'requested' | 'already requested';

export class ExecutionTimeoutError extends Error {
  override name = 'ExecutionTimeoutError';
  constructor(
    readonly id: string,
    readonly timeoutMs: number,
  ) {
    super(`execution '${id}' did not end within ${timeoutMs} ms`);
  }
}

export interface ClientEngineOptions {
  store: Store;
  queue: Queue;
  maxPayloadBytes: number;
}

export class ClientEngine {
  constructor(private readonly o: ClientEngineOptions) {}

  async start(workflow: unknown, args: readonly unknown[], options: StartOptions = {}): Promise<ExecutionHandle> {
    let name: string;
    let version = '';
    if (typeof workflow === 'string') name = workflow;
    else if (isCompiledWorkflow(workflow)) ({ name, version } = workflowRecord(workflow).meta);
    else if (typeof workflow === 'function')
      throw new TypeError(
        `start: '${workflow.name || '<anonymous>'}' was not compiled: import it from the output of 'npx reawait compile', or run the app with 'node --import reawait/register' or the 'reawait/vite' plugin (which compile on load); or start it by name`,
      );
    else throw new TypeError(`start: expected a workflow function or a workflow name, got ${typeof workflow}`);
    if (!Array.isArray(args)) throw new TypeError(`start: the arguments of workflow '${name}' must be an array, got ${typeof args}`);
    if (options.id !== undefined) checkUserId(options.id, 'start');
    const id = options.id ?? randomUUID();
    const encoded = encodePayload([...args], `the arguments of workflow '${name}'`, this.o.maxPayloadBytes);
    const { created, record } = await this.o.store.create({ id, workflow: name, version, args: encoded });
    if (created) await this.o.queue.pushResume({ executionId: id, rev: 0 });
    else if (record.workflow !== name) throw new Error(`start: execution '${id}' already exists and runs workflow '${record.workflow}', not '${name}'`);
    return new ExecutionHandle(this, id);
  }

  async get(id: string): Promise<ExecutionHandle | undefined> {
    return (await this.o.store.load(id)) ? new ExecutionHandle(this, id) : undefined;
  }

  async list(filter: ListFilter = {}): Promise<{ items: ExecutionSummary[]; cursor?: string }> {
    const page = await this.o.store.list(filter);
    // What a failed one failed with: a CorruptStateError shows in a listing too, not only in its status.
    for (const item of page.items) {
      if (item.status !== 'failed') continue;
      const rec = await this.o.store.load(item.id, { state: false });
      if (rec?.error !== undefined) item.error = errorName(rec.error);
    }
    return page;
  }

  prune(before: number): Promise<number> {
    return this.o.store.prune(before);
  }

  private async mustLoad(id: string, options?: LoadOptions): Promise<ExecutionRecord> {
    const rec = await this.o.store.load(id, options);
    if (!rec) throw new ExecutionNotFoundError(id);
    return rec;
  }

  async result(id: string, options: { timeoutMs?: number }): Promise<unknown> {
    const deadline = options.timeoutMs === undefined ? Infinity : Date.now() + options.timeoutMs;
    let wait = 10;
    for (;;) {
      // A poll of the status: the state (large for a big group) is not read.
      const rec = await this.mustLoad(id, { state: false });
      if (rec.status === 'completed') return decodePayload(rec.result!);
      if (rec.status === 'failed' || rec.status === 'cancelled') throw decodePayload(rec.error!);
      if (Date.now() >= deadline) throw new ExecutionTimeoutError(id, options.timeoutMs!);
      await new Promise((r) => setTimeout(r, Math.min(wait, Math.max(1, deadline - Date.now()))));
      wait = Math.min(wait * 2, 200);
    }
  }

  async query(id: string, name: string): Promise<unknown> {
    const rec = await this.mustLoad(id);
    if (rec.state === undefined) throw new Error(`query '${name}': execution '${id}' is ${rec.status} and has no saved state to query${isTerminal(rec.status) ? '' : ' yet'}`);
    let state: MachineState;
    try {
      state = decodeState(rec.state);
    } catch (e) {
      throw new Error(`query '${name}': cannot read the state of execution '${id}' (${(e as Error).message}); the process that queries must import the module of workflow '${rec.workflow}'`);
    }
    const queries = (state.fibers[0]?.frame.locals[EXPOSED] ?? {}) as Record<string, unknown>;
    const fn = queries[name];
    if (typeof fn !== 'function') {
      const names = Object.keys(queries);
      throw new Error(`execution '${id}' (workflow '${rec.workflow}') exposes no query '${name}'${names.length ? ` (it exposes: ${names.join(', ')})` : ''}`);
    }
    return (fn as () => unknown)();
  }

  async describe(id: string): Promise<Description> {
    const rec = await this.mustLoad(id);
    const d: Description = {
      id,
      status: rec.status,
      workflow: rec.workflow,
      version: rec.version,
      createdAt: rec.createdAt,
      updatedAt: rec.updatedAt,
      history: await this.o.store.history(id),
    };
    if (rec.completedAt !== undefined) d.completedAt = rec.completedAt;
    if (rec.at) d.waitingAt = { fn: rec.at.fn, file: rec.at.file, line: rec.at.line, column: rec.at.column };
    if (rec.state !== undefined) {
      // Read from the saved text: this process need not have the workflow's modules (reawait versions has none).
      const held = versionedSitesIn(rec.state);
      if (held.length) d.closures = held;
      try {
        const state = decodeState(rec.state);
        d.fibers = fiberViews(state, rec.state, rec.at);
        if (rec.status === 'waiting' || rec.status === 'ready') d.waitingFor = waitingFor(state);

      } catch (e) {
        d.problem = e instanceof Error ? e.message : String(e);
      }
    }
    if (rec.progress.started > 0) d.calls = { total: rec.progress.started, done: rec.progress.settled };
    const unhandled = d.history
      .filter((e) => e.type === 'unhandled rejection')
      .map((e) => ({ what: String(e.what), error: String(e.error), ...(typeof e.at === 'string' ? { at: e.at } : {}) }));
    if (unhandled.length) d.unhandled = unhandled;
    // For display: a process without the classes of the result still shows it (classes by name).
    if (rec.status === 'completed' && rec.result !== undefined) d.result = decodeValue(rec.result, { lenient: true });
    if (rec.error !== undefined) d.error = decodeValue(rec.error, { lenient: true });
    if (rec.cancel) d.cancelRequested = true;
    if (rec.problem) d.problem = rec.problem;
    const parent = rec.parents?.[0];
    if (parent) d.parent = { id: parent.id, op: parent.op };
    return d;
  }

  async signal(id: string, name: string, payload: unknown): Promise<void> {
    const encoded = encodePayload(payload, `the payload of signal '${name}'`, this.o.maxPayloadBytes);
    const outcome = await this.o.store.signal(id, name, encoded, { t: Date.now(), type: 'signal', name });
    if (outcome === 'ready') await this.pushIfReady(id);
  }

  async retry(id: string): Promise<void> {
    // Calls that exhausted their retries run again, failed children are retried (redispatch.ts): their rejections are dropped, not re-applied.
    const kept = await this.o.store.loadForStep(id);
    const failed = kept?.record.status === 'failed';
    const history = failed ? await this.o.store.history(id) : [];
    const again = failed ? callsToRedispatch(id, kept.settlements, history) : [];
    const children: { op: number; child: string }[] = [];
    for (const c of failed ? failedChildren(kept.settlements, history) : []) {
      const child = await this.o.store.load(c.child);
      // A child that failed in its first step has no state to resume: its rejection stays.
      if (child?.status === 'failed' && child.at !== undefined) children.push(c);
    }
    const ops = [...again.map((j) => j.op), ...children.map((c) => c.op)];
    const event = { t: Date.now(), type: 'retried', ...(again.length ? { redispatched: again.map((j) => j.op) } : {}), ...(children.length ? { children: children.map((c) => c.child) } : {}) };
    const outcome = await this.o.store.retry(id, event, ops);
    if (outcome === 'missing') throw new ExecutionNotFoundError(id);
    if (outcome === 'not failed') throw new Error(`reawait: execution '${id}' is ${(await this.mustLoad(id)).status}, not failed: only a failed execution can be retried`);
    if (outcome === 'no state') throw new Error(`reawait: execution '${id}' failed before its first suspension (or its state was pruned): there is nothing to resume; start it again`);
    await this.o.queue.pushActivities(again);
    // After the parent's op waits again: the child's new end settles it.
    for (const c of children) await this.retry(c.child);
    await this.o.queue.pushResume({ executionId: id, rev: outcome });
  }

  async cancel(id: string, reason?: string): Promise<CancelResult> {
    const outcome = await this.o.store.requestCancel(id, encodePayload(reason ?? '', 'a cancel reason', this.o.maxPayloadBytes), {
      t: Date.now(),
      type: 'cancel requested',
      ...(reason ? { reason } : {}),
    });
    if (outcome === 'ready') await this.pushIfReady(id);
    if (outcome !== 'noop') return 'requested';
    // 'noop': it had ended, or a cancel was asked for before (an execution never leaves an end).
    const rec = await this.mustLoad(id);
    if (isTerminal(rec.status)) throw new ExecutionEndedError(id, `cancel (it is ${rec.status})`);
    return 'already requested';
  }

  private async pushIfReady(id: string): Promise<void> {
    const rec = await this.o.store.load(id);
    if (rec && rec.status === 'ready' && !isTerminal(rec.status)) await this.o.queue.pushResume({ executionId: id, rev: rec.rev });
  }
}

/** The outstanding ops of a state, by kind (what describe() and the progress bar show it waits for). */
function waitingFor(state: MachineState): WaitingFor {
  const w: WaitingFor = { calls: {}, signals: [], signalTimeouts: {}, timers: 0, timersDue: [], children: [] };
  for (const p of state.ops) {
    const op = p.op;
    if (!op) continue;
    if (op.kind === 'call') w.calls[op.name] = (w.calls[op.name] ?? 0) + 1;
    else if (op.kind === 'signal') {
      w.signals.push(op.name);
      if (op.due !== undefined) w.signalTimeouts[op.name] = Math.min(op.due, w.signalTimeouts[op.name] ?? Infinity);
    } else if (op.kind === 'sleep') {
      w.timers++;
      if (op.due !== undefined) w.timersDue.push(op.due);
    } else if (op.child) w.children.push(op.child);
  }
  w.timersDue.sort((a, b) => a - b);
  return w;
}

/** The fibers of a state document, with their lines from its header (the root waiting on an op itself: the execution's `at`). */
function fiberViews(state: MachineState, text: string, at: ExecutionRecord['at']): FiberView[] {
  const lines = headerLines(text);
  return state.fibers.map((f, i) => {
    const { [EXPOSED]: _queries, ...locals } = f.frame.locals;
    const version = f.id === 0 ? state.version : f.frame.v;
    const v: FiberView = { id: f.id, fn: f.frame.fn, pc: f.frame.pc, ...(version !== undefined ? { version } : {}), locals };
    const line = lines[i] ?? (f.id === 0 && at?.depth === 1 ? at.line : undefined);
    if (line !== undefined) v.line = line;
    return v;
  });
}

/** The name of an encoded error (its class), or how it reads when it is not an Error. */
function errorName(encoded: string): string {
  try {
    const e = decodePayload(encoded);
    return e instanceof Error ? e.name : describeThrown(e);
  } catch {
    return 'an error that cannot be decoded';
  }
}
