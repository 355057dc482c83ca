/**
 * The worker loop, generic over a Store and a Queue: run the next step of a
 * ready execution (resume), run activity calls, fire timers, and sweep for
 * work a crash left unpushed. Every handler is safe to run twice: the store's
 * revision guard turns a duplicate into a no-op.
 */
import type { Group, MachineState, ResumeInput, Settlement } from '../contract.js';
import { decodeState, encodeState, encodeValue } from '../codec.js';
import { describeThrown } from '../thrown.js';
import { ActivityTimeoutError, CorruptStateError, PayloadTooLargeError, UnknownActivityError, UnknownWorkflowError, VersionMismatchError } from '../errors.js';
import { initialSettlements, settleGroup } from '../group.js';
import { advance, initialState, START_INPUT, type SuspendedAt } from '../machine.js';
import { runActivity } from '../activity-context.js';
import { CancelledError } from '../workflow.js';
import type { ActivityJob, Attempt, Queue, ResumeJob, TimerJob } from '../queue.js';
import { idempotencyKey } from '../queue.js';
import type { ExecutionRecord, HistoryEvent, LoadedStep, Store, StoredSettlement, Suspension } from '../store.js';
import { childId, dispatch, dispatchedEvent } from './dispatch.js';
import { notifyParent } from './parent.js';
import { decodePayload, encodeError, encodePayload } from './payload.js';
import { retryStore } from './retry.js';
import type { ActivityFn, WorkflowRegistry } from './registry.js';

export interface WorkerEngineOptions {
  store: Store;
  queue: Queue;
  workflows: WorkflowRegistry;
  activities: Map<string, ActivityFn>;
  concurrency: number;
  /** Encoded size limit of states, results and other payloads. */
  maxPayloadBytes: number;
  /** How often the recovery sweep runs (it also runs at start). 0 = only at start. */
  sweepIntervalMs: number;
  /** How often a running activity checks that its call is still wanted (a cancel aborts its signal). */
  liveCheckMs?: number;
  onError: (error: unknown, where: string) => void;
}

const now = (): number => Date.now();
/** Steps one in-process resume may chain before handing the execution back to the queue. */
const MAX_CHAIN = 100;
const ev = (type: string, detail: Record<string, unknown> = {}): HistoryEvent => ({ t: now(), type, ...detail });
const message = describeThrown;

export class WorkerEngine {
  private sweepTimer: NodeJS.Timeout | undefined;
  private sweeping: Promise<void> | undefined;
  private closed = false;

  constructor(private readonly o: WorkerEngineOptions) {}

  async start(): Promise<void> {
    await this.o.queue.process(
      {
        activity: (job, attempt) => this.runCall(job, attempt),
        resume: (job) => this.resume(job),
        timer: (job) => this.fireTimer(job),
      },
      { concurrency: this.o.concurrency },
    );
    await this.sweep();
    if (this.o.sweepIntervalMs > 0) {
      this.sweepTimer = setInterval(() => void this.sweep(), this.o.sweepIntervalMs);
      this.sweepTimer.unref();
    }
  }

  async stop(timeoutMs?: number): Promise<void> {
    this.closed = true;
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    await this.sweeping;
    await this.o.queue.close(timeoutMs);
  }

  // -------------------------------------------------------------------------
  // Resume: the next step of one execution
  // -------------------------------------------------------------------------

  async resume(job: ResumeJob, preloaded?: LoadedStep): Promise<void> {
    const loaded = preloaded ?? (await this.o.store.loadForStep(job.executionId));
    const rec = loaded?.record;
    if (!rec || rec.status !== 'ready' || rec.rev !== job.rev) return; // late or duplicate
    await this.step(rec, loaded.settlements, job.chain ?? 0);
  }

  /**
   * Resume `id` at `rev` in this process, right after this process made it
   * ready: no resume job, no second worker to wake. Safe to lose: if this
   * process dies first, the execution is 'ready' in the store and the
   * recovery sweep pushes its resume. A long chain of steps that are ready at
   * once (buffered signals, plain values) goes back to the queue now and
   * then, so one execution cannot hold a slot forever.
   */
  private async resumeHere(id: string, rev: number, chain = 0, loaded?: LoadedStep): Promise<void> {
    if (chain >= MAX_CHAIN || this.closed) return this.pushResume(id, rev);
    try {
      await this.resume({ executionId: id, rev, chain: chain + 1 }, loaded);
    } catch (error) {
      this.o.onError(error, `resuming execution '${id}' in process`);
      await this.pushResume(id, rev);
    }
  }

  private pushResume(id: string, rev: number): Promise<void> {
    return retryStore(`pushing the resume of execution '${id}'`, () => this.o.queue.pushResume({ executionId: id, rev }));
  }

  private async step(rec: ExecutionRecord, stored: StoredSettlement[], chain: number): Promise<void> {
    const { store } = this.o;
    const cancelPending = rec.cancel !== undefined && !rec.cancel.delivered;
    const workflow = this.o.workflows.get(rec.workflow);
    if (!workflow) return this.end(rec, 'failed', new UnknownWorkflowError(rec.workflow, this.o.workflows.names()), false);
    if (rec.version !== '' && rec.version !== workflow.meta.version) {
      const err = new VersionMismatchError(rec.workflow, rec.version, workflow.meta.version);
      // Leave it ready for a worker that has the right code; the sweep pushes it again.
      await store.noteProblem(rec.id, rec.rev, err.message, ev('problem', { message: err.message }));
      return;
    }

    if (rec.state === undefined && cancelPending) return this.end(rec, 'cancelled', this.cancelledError(rec), true);
    let state: MachineState;
    let input: ResumeInput | undefined;
    try {
      if (rec.state === undefined) {
        state = initialState(workflow);
        input = START_INPUT(decodePayload(rec.args ?? encodeValue([])) as unknown[]);
      } else {
        state = decodeState(rec.state);
        input = cancelPending ? { ok: false, error: this.cancelledError(rec) } : this.groupInput(rec, state.group, stored);
      }
    } catch (error) {
      // Corrupt state, undecodable args or settlements: this execution cannot go on.
      return this.end(rec, 'failed', error, cancelPending);
    }
    if (!input) return; // the group is not settled at this rev: nothing to resume with
    // Written with this step's commit (one write); a step that never commits did not resume.
    const resumed = rec.state !== undefined ? [ev('resumed', { rev: rec.rev })] : [];
    if (rec.state !== undefined && cancelPending) await this.cancelChildren(rec, state.group);

    let result;
    try {
      result = await advance(state, input, { resolve: this.o.workflows.resolve });
    } catch (error) {
      if (error instanceof VersionMismatchError) {
        await store.noteProblem(rec.id, rec.rev, error.message, ev('problem', { message: error.message }));
        return;
      }
      return this.end(rec, 'failed', error, cancelPending, resumed);
    }

    switch (result.kind) {
      case 'completed':
        return this.end(rec, 'completed', result.value, cancelPending, resumed);
      case 'failed': {
        const cancelled = rec.cancel !== undefined && result.error instanceof CancelledError;
        return this.end(rec, cancelled ? 'cancelled' : 'failed', result.error, cancelPending, resumed);
      }
      case 'suspended':
        return this.suspend(rec, result.state, result.at, cancelPending, resumed, chain);
    }
  }

  private cancelledError(rec: ExecutionRecord): CancelledError {
    let reason: unknown;
    try {
      reason = decodePayload(rec.cancel!.reason);
    } catch {
      reason = undefined;
    }
    return new CancelledError(typeof reason === 'string' && reason !== '' ? reason : 'workflow cancelled');
  }

  /** A cancelled parent cancels the children it waits for (they compensate on their own). */
  private async cancelChildren(rec: ExecutionRecord, group: Group | undefined): Promise<void> {
    if (!group) return;
    for (let slot = 0; slot < group.items.length; slot++) {
      const item = group.items[slot]!;
      if (item.kind !== 'child') continue;
      const id = childId(rec.id, rec.rev, slot, item.id);
      const outcome = await this.o.store.requestCancel(id, rec.cancel!.reason, ev('cancel requested', { by: rec.id })).catch(() => 'noop' as const);
      if (outcome === 'ready') {
        const child = await this.o.store.load(id);
        if (child?.status === 'ready') await this.o.queue.pushResume({ executionId: id, rev: child.rev });
      }
    }
  }

  private groupInput(rec: ExecutionRecord, group: Group | undefined, stored: StoredSettlement[]): ResumeInput | undefined {
    if (!group) throw new CorruptStateError(`the state of execution '${rec.id}' has no outstanding group to resume from`);
    const settlements: Settlement[] = stored.map((s) => {
      const v = decodePayload(s.payload);
      return s.ok ? { index: s.slot, ok: true, value: v } : { index: s.slot, ok: false, error: v };
    });
    return settleGroup(group, settlements);
  }

  private async suspend(rec: ExecutionRecord, state: MachineState & { group: Group }, at: SuspendedAt, cancelDelivered: boolean, resumed: HistoryEvent[], chain: number): Promise<void> {
    at = this.sourceOf(at);
    let s: Suspension;
    try {
      const text = encodeState(state);
      const limit = this.o.maxPayloadBytes;
      const bytes = Buffer.byteLength(text);
      if (bytes > limit) throw new PayloadTooLargeError(`the state of workflow '${rec.workflow}' suspended at ${at.file}:${at.line}`, bytes, limit);
      const group = state.group;
      s = {
        workflow: rec.workflow,
        state: text,
        version: state.version,
        at,
        mode: group.mode,
        total: group.items.length,
        settled: initialSettlements(group).map((x) => ({ slot: x.index, ok: true, payload: encodeValue(x.value) })),
        signals: group.items.flatMap((it, slot) => (it.kind === 'signal' ? [{ slot, name: it.name }] : [])),
        dispatch: group.items.some((it) => it.kind === 'call' || it.kind === 'sleep' || it.kind === 'child' || (it.kind === 'signal' && it.timeoutMs !== undefined)),
        cancelDelivered,
      };
    } catch (error) {
      return this.end(rec, 'failed', error, cancelDelivered, resumed);
    }
    const events = [...resumed, ev('suspended', { fn: at.fn, file: at.file, line: at.line, mode: s.mode, items: s.total })];
    const dispatched = dispatchedEvent(state.group, now());
    if (dispatched) events.push(dispatched);
    const outcome = await this.o.store.commitSuspension(rec.id, rec.rev, s, events);
    const rev = rec.rev + 1;
    if (outcome === 'waiting' && s.dispatch) await dispatch(this.o, rec.id, rev, state.group, now());
    else if (outcome === 'ready') await this.resumeHere(rec.id, rev, chain);
  }

  /** The await's source line (metadata of the code that runs it, indexed by pc). */
  private sourceOf(at: SuspendedAt): SuspendedAt {
    const meta = this.o.workflows.get(at.fn)?.meta;
    const s = meta?.suspensions[at.pc];
    return s ? { ...at, line: s.line, column: s.column } : at;
  }

  private async end(rec: ExecutionRecord, status: 'completed' | 'failed' | 'cancelled', value: unknown, cancelDelivered: boolean, resumed: HistoryEvent[] = []): Promise<void> {
    let payload: string;
    if (status === 'completed') {
      try {
        payload = encodePayload(value, `the result of workflow '${rec.workflow}'`, this.o.maxPayloadBytes);
      } catch (error) {
        status = 'failed';
        value = error;
        payload = encodeError(error, `the error of workflow '${rec.workflow}'`);
      }
    } else payload = encodeError(value, `the error of workflow '${rec.workflow}'`);
    const event = status === 'failed' ? ev('failed', { error: message(value) }) : ev(status);
    const committed = await this.o.store.commitEnd(rec.id, rec.rev, { status, payload, cancelDelivered }, [...resumed, event]);
    if (committed && rec.parent) await notifyParent(this.o, rec.id);
  }

  // -------------------------------------------------------------------------
  // Activities and timers
  // -------------------------------------------------------------------------

  async runCall(job: ActivityJob, attempt: Attempt): Promise<void> {
    const { store } = this.o;
    const { executionId: id, rev, slot, activity } = job;
    if (!(await retryStore(`checking call ${slot} of execution '${id}'`, () => store.isLive(id, rev, slot)))) return; // cancelled, settled or moved on: drop it
    const fn = this.o.activities.get(activity);
    if (!fn) return this.settleCall(job, false, new UnknownActivityError(activity, [...this.o.activities.keys()]));
    let args: unknown[];
    try {
      args = decodePayload(job.args) as unknown[];
    } catch (error) {
      return this.settleCall(job, false, error);
    }
    const controller = new AbortController();
    const timeoutMs = job.options.timeout;
    let timer: NodeJS.Timeout | undefined;
    // A cancel (or another delivery settling the slot) aborts the activity's signal.
    const liveCheck = setInterval(() => {
      store.isLive(id, rev, slot).then(
        (live) => live || controller.abort(new CancelledError(`call of activity '${activity}' is no longer wanted: its execution was cancelled or moved on`)),
        () => {},
      );
    }, this.o.liveCheckMs ?? 1000);
    liveCheck.unref();
    let value: unknown;
    try {
      const run = runActivity(fn, args, { idempotencyKey: idempotencyKey(job), attempt: attempt.attempt, executionId: id, activity, signal: controller.signal });
      value = await (timeoutMs === undefined
        ? run
        : Promise.race([
            run,
            new Promise<never>((_, reject) => {
              timer = setTimeout(() => {
                const err = new ActivityTimeoutError(activity, timeoutMs, attempt.attempt);
                controller.abort(err);
                reject(err);
              }, timeoutMs);
            }),
          ]));
    } catch (error) {
      if (!attempt.final) {
        await store.appendHistory(id, ev('call retried', { slot, activity, attempt: attempt.attempt, error: message(error) })).catch(() => {});
        throw error instanceof Error ? error : new Error(message(error));
      }
      return this.settleCall(job, false, error);
    } finally {
      if (timer) clearTimeout(timer);
      clearInterval(liveCheck);
    }
    let payload: string;
    try {
      payload = encodePayload(value, `the result of activity '${activity}'`, this.o.maxPayloadBytes);
    } catch (error) {
      return this.settleCall(job, false, error);
    }
    await this.settle(id, rev, slot, true, payload, ev('call completed', { slot, activity }));
  }

  private settleCall(job: ActivityJob, ok: false, error: unknown): Promise<void> {
    return this.settle(job.executionId, job.rev, job.slot, ok, encodeError(error, `the error thrown by activity '${job.activity}'`), ev('call failed', { slot: job.slot, activity: job.activity, error: message(error) }));
  }

  private async settle(id: string, rev: number, slot: number, ok: boolean, payload: string, event: HistoryEvent): Promise<void> {
    const { outcome, loaded } = await retryStore(`settling slot ${slot} of execution '${id}'`, () => this.o.store.settleAndLoad(id, rev, slot, ok, payload, event));
    if (outcome === 'ready') await this.resumeHere(id, rev, 0, loaded);
  }

  async fireTimer(job: TimerJob): Promise<void> {
    const type = job.kind === 'sleep' ? 'timer fired' : 'signal timed out';
    await this.settle(job.executionId, job.rev, job.slot, true, encodeValue(undefined), ev(type, { slot: job.slot }));
  }

  // -------------------------------------------------------------------------
  // Recovery sweep
  // -------------------------------------------------------------------------

  /** Re-push what a crash may have dropped: outboxes, resumes, child notifications. */
  sweep(): Promise<void> {
    if (this.sweeping || this.closed) return this.sweeping ?? Promise.resolve();
    this.sweeping = this.sweepOnce()
      .catch((e: unknown) => this.o.onError(e, 'recovery sweep'))
      .finally(() => (this.sweeping = undefined));
    return this.sweeping;
  }

  private async sweepOnce(): Promise<void> {
    const { store, queue } = this.o;
    const pending = await store.pending();
    for (const id of pending.dispatch) {
      const rec = await store.load(id);
      if (!rec || rec.status !== 'waiting' || rec.dispatchPending !== rec.rev || rec.state === undefined) continue;
      try {
        const group = decodeState(rec.state).group;
        if (group) await dispatch(this.o, id, rec.rev, group, rec.updatedAt);
      } catch (e) {
        this.o.onError(e, `re-dispatching execution '${id}'`);
      }
    }
    for (const id of pending.ready) {
      const rec = await store.load(id);
      if (rec?.status === 'ready') await queue.pushResume({ executionId: id, rev: rec.rev });
    }
    for (const id of pending.notify) await notifyParent(this.o, id);
  }
}
