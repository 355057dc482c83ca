/**
 * The worker loop, generic over a Store and a Queue: run the next step of a
 * ready execution (resume), run activity calls, fire timers, and sweep for
 * work a crash left unpushed. Every handler is safe to run twice: the store's
 * revision guard turns a duplicate into a no-op.
 */
import { encodeValue } from '../codec.js';
import { describeThrown } from '../thrown.js';
import { ActivityTimeoutError, PayloadTooLargeError, UnknownWorkflowError, VersionMismatchError } from '../errors.js';
import { advance, initialState, type Advance, type MachineState, type OpSettlement, type ResumeInputs, type StepEffects } from '../machine.js';
import type { DurablePromise } from '../promises.js';
import { decodeState, encodeState } from '../state-codec.js';
import { LazyAbort, runActivity } from '../activity-context.js';
import { CancelledError, isNonRetryable, registeredStep } from '../workflow.js';
import type { ActivityJob, Attempt, HandBack, Queue, ResumeJob, TimerJob } from '../queue.js';
import { idempotencyKey } from '../queue.js';
import type { BeginStep, CarriedSettlement, Ending, ExecutionRecord, HistoryEvent, LoadedStep, Store, StoredSettlement, Suspension } from '../store.js';
import { buildOutbox, dispatch, dispatchedEvent, splitOutbox } from './dispatch.js';
import { failedCallDetail } from './redispatch.js';
import { planUpgrade, type UpgradePlan } from '../upgrade.js';
import { SiteVersionMissingError } from '../closures.js';
import { decodeOutbox, emptyOutbox, encodeOutbox, loneCall, type Outbox } from '../outbox.js';
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
/** What an activity call's race resolves to when its call is no longer wanted. */
const ABANDONED: unique symbol = Symbol('abandoned');
/** Steps one in-process resume may chain before handing the execution back to the queue. */
const MAX_CHAIN = 100;
const ev = (type: string, detail: Record<string, unknown> = {}): HistoryEvent => ({ t: now(), type, ...detail });

/**
 * Before a resume, while other ops of the execution are still out, wait a
 * little for their settlements, so that one resume takes them all. A resume
 * costs O(its state) (decode, run, encode, write): an execution running many
 * fibers that resumed at every single settlement would spend its time
 * re-encoding, and its fibers' next calls would leave in ever smaller waves.
 * The wait grows with the state (so with the cost of the resume it saves)
 * and is nothing for small states. Returns whether it waited.
 */
async function coalesce(stateChars: number, inFlight: number): Promise<boolean> {
  if (inFlight <= 0 || stateChars < COALESCE_MIN_STATE) return false;
  await new Promise((r) => setTimeout(r, Math.min(COALESCE_MAX_MS, stateChars / COALESCE_CHARS_PER_MS)));
  return true;
}
/** No wait below this state size (a resume is then cheap). */
const COALESCE_MIN_STATE = 8_000;
/** Roughly what decoding and encoding a state costs per ms on a loaded machine. */
const COALESCE_CHARS_PER_MS = 4_000;
const COALESCE_MAX_MS = 50;
const message = describeThrown;
/** A call is handed back at once this often; then it is due again after about STEP * (later hand-backs) ms, at most MAX, jittered ±50% (see handBack()). */
const HAND_BACKS_AT_ONCE = 3;
const HAND_BACK_STEP_MS = 100;
const HAND_BACK_MAX_MS = 1_000;
/** A call handed back this often, over at least this long, notes "no worker has activity" on its execution. */
const HAND_BACKS_BEFORE_PROBLEM = 4;
const HAND_BACK_PROBLEM_MS = 3_000;

export class WorkerEngine {
  private sweepTimer: NodeJS.Timeout | undefined;
  /** Activity calls running here; one timer checks them all every liveCheckMs (a timer per call cost more than its check). */
  private readonly calls = new Set<{ id: string; op: number; drop(): void }>();
  private liveTimer: NodeJS.Timeout | undefined;
  private sweeping: Promise<void> | undefined;
  private closed = false;
  /** settleAndLoad's begin: willRun, and the same as data for a store that checks it in a script (Redis). */
  private readonly begin: BeginStep;
  /** beginSettled's: willRun, and not when the resume would wait for more settlements first (coalesce: that one reads them all). */
  private readonly beginInStep = (rec: ExecutionRecord): boolean => this.willRun(rec) && (rec.state?.length ?? 0) < COALESCE_MIN_STATE;

  constructor(private readonly o: WorkerEngineOptions) {
    const runs = new Map(o.workflows.names().map((name) => [name, o.workflows.get(name)!.meta.version]));
    this.begin = Object.assign((rec: ExecutionRecord) => this.willRun(rec), { runs });
  }

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
    if (this.liveTimer) clearInterval(this.liveTimer);
    this.liveTimer = undefined;
    await this.sweeping;
    await this.o.queue.close(timeoutMs);
  }

  // -------------------------------------------------------------------------
  // Resume: the next step of one execution
  // -------------------------------------------------------------------------

  /** `attempt`: this resume's try, already counted (settleAndLoad with begin). */
  async resume(job: ResumeJob, preloaded?: LoadedStep, attempt?: number): Promise<void> {
    const loaded = preloaded ?? (await this.o.store.loadForStep(job.executionId));
    const rec = loaded?.record;
    if (!rec || rec.status !== 'ready' || rec.rev !== job.rev) return; // late or duplicate
    await this.step(rec, loaded.settlements, job.chain ?? 0, attempt);
  }

  /**
   * Resume `id` at `rev` in this process, right after this process made it
   * ready: no resume job, no second worker to wake. Safe to lose: if this
   * process dies first, the execution is 'ready' in the store and the
   * recovery sweep pushes its resume. A long chain of steps that are ready at
   * once (buffered signals, plain values) goes back to the queue now and
   * then, so one execution cannot hold a slot forever. A closing worker
   * counts no try in its settlements (settle()), but one whose try was
   * counted just before the close began (`attempt`) runs here all the same
   * (the close waits for it): pushed back, it would run elsewhere as try 2.
   */
  private async resumeHere(id: string, rev: number, chain = 0, loaded?: LoadedStep, attempt = loaded?.attempt): Promise<void> {
    if (chain >= MAX_CHAIN || (this.closed && attempt === undefined)) return this.pushResume(id, rev);
    try {
      await this.resume({ executionId: id, rev, chain: chain + 1 }, loaded, attempt);
    } catch (error) {
      this.o.onError(error, `resuming execution '${id}' in process`);
      await this.pushResume(id, rev);
    }
  }

  private pushResume(id: string, rev: number): Promise<void> {
    return retryStore(`pushing the resume of execution '${id}'`, () => this.o.queue.pushResume({ executionId: id, rev }));
  }

  /** `carried`: the settlement in `stored` that is not recorded yet (beginSettled): this step's commit records it, or nothing does. */
  private async step(rec: ExecutionRecord, stored: StoredSettlement[], chain: number, counted?: number, carried?: CarriedSettlement): Promise<void> {
    const { store } = this.o;
    const cancelPending = rec.cancel !== undefined && !rec.cancel.delivered;
    const workflow = this.o.workflows.get(rec.workflow);
    if (!workflow) return this.leave(rec, new UnknownWorkflowError(rec.workflow, this.o.workflows.names()));
    // Started by a build this worker does not run as current: its first step runs on that build when loaded.
    const first = rec.version === '' || rec.version === workflow.meta.version ? workflow : this.o.workflows.builds.at(rec.workflow, rec.version);
    if (rec.state === undefined && !first) return this.leave(rec, new VersionMismatchError(rec.workflow, rec.version, workflow.meta.version));

    if (rec.state === undefined && cancelPending) return this.end(rec, 'cancelled', this.cancelledError(rec), true);
    let state: MachineState;
    let inputs: ResumeInputs;
    const upgraded: HistoryEvent[] = [];
    try {
      if (rec.state === undefined) {
        state = initialState(first!);
        inputs = { start: decodePayload(rec.args ?? encodeValue([])) as unknown[] };
      } else {
        state = decodeState(rec.state);
        const settlements: OpSettlement[] = stored.map((x) => ({ op: x.op, ok: x.ok, value: decodePayload(x.payload) }));
        inputs = cancelPending ? { settlements, cancel: this.cancelledError(rec) } : { settlements };
      }
    } catch (error) {
      // A closure value of a build not loaded here (closures.ts): a worker that has it runs it.
      if (error instanceof SiteVersionMissingError) return this.leave(rec, error);
      // Corrupt state, undecodable args or settlements: this execution cannot go on.
      return this.end(rec, 'failed', error, cancelPending, [], undefined, carried);
    }
    if (rec.state !== undefined) {
      // Each fiber runs on its own build, the current one when a resume there is the same, or as upgrade() says.
      let plan: UpgradePlan;
      try {
        const retry = rec.version !== workflow.meta.version && (await this.retrying(rec.id));
        plan = planUpgrade(state, this.o.workflows.builds, rec.at && rec.at.depth === 1 ? rec.at.line : undefined, { retry });
      } catch (error) {
        return this.leave(rec, error);
      }
      if (plan.problem) return this.leave(rec, plan.problem);
      for (const u of plan.events) if (u.how !== 'pinned') upgraded.push(ev('upgraded', { ...u }));
    }
    // Written with this step's commit (one write); a step that never commits did not resume.
    const resumed = rec.state !== undefined ? [...upgraded, ev('resumed', { rev: rec.rev, settlements: stored.length })] : [];
    const children = cancelPending ? state.ops.filter((p) => p.op?.kind === 'child').map((p) => p.op!.child!) : [];

    // Counted before the code runs, so that a worker dying in it leaves the count for the next try to see.
    const attempt = counted ?? (await this.o.store.beginStep(rec.id, rec.rev));
    if (attempt === undefined) return; // another worker committed this step meanwhile
    let result: Advance;
    try {
      result = await advance(state, inputs, { resolve: this.o.workflows.resolve, executionId: rec.id, rev: rec.rev, startTime: rec.createdAt, attempt });
    } catch (error) {
      if (error instanceof VersionMismatchError) {
        await store.noteProblem(rec.id, rec.rev, error.message, ev('problem', { message: error.message }));
        return;
      }
      return this.end(rec, 'failed', error, cancelPending, resumed, undefined, carried);
    }
    // A cancelled parent cancels the children it had running (they compensate on their own).
    if (children.length) await this.cancelChildren(rec, children);
    const effects = result.effects;
    let outbox: Outbox;
    try {
      outbox = buildOutbox(this.o, rec.id, rec.workflow, effects.started, now());
    } catch (error) {
      return this.end(rec, 'failed', error, cancelPending, resumed, undefined, carried);
    }
    const events = [...resumed, ...effects.unhandled.map((u) => ev('unhandled rejection', { entry: u.id, what: u.what, error: message(u.error), ...(u.site ? { at: u.site } : {}) }))];
    switch (result.kind) {
      case 'completed':
        return this.end(rec, 'completed', result.value, cancelPending, events, { effects, outbox, outstanding: result.outstanding }, carried);
      case 'failed': {
        const cancelled = rec.cancel !== undefined && result.error instanceof CancelledError;
        return this.end(rec, cancelled ? 'cancelled' : 'failed', result.error, cancelPending, events, { effects, outbox, outstanding: result.outstanding }, carried);
      }
      case 'suspended':
        return this.suspend(rec, result, outbox, cancelPending, events, chain, carried);
    }
  }

  /**
   * Whether step() will run this ready execution's code, as far as the
   * record tells (its workflow and build are here, no cancel ends it before
   * its first step): the settlement that made it ready may then count the
   * try (settleAndLoad's begin). A state that needs a build this worker
   * lacks (a fiber's, a closure value's) is only seen later: that resume is
   * left for another worker with its try counted, so it runs there as try 2.
   * `this.begin.runs` says the same as data (store.ts BeginStep): change both together.
   */
  private willRun(rec: ExecutionRecord): boolean {
    const workflow = this.o.workflows.get(rec.workflow);
    if (!workflow || rec.version !== workflow.meta.version) return false;
    return rec.state !== undefined || rec.cancel === undefined || rec.cancel.delivered;
  }

  /** A retry was asked for (handle.retry()) and no step has resumed since: the state resumes on the current code. */
  private async retrying(id: string): Promise<boolean> {
    const h = await this.o.store.history(id);
    const last = (type: string): number => h.map((e) => e.type).lastIndexOf(type);
    const retried = last('retried');
    return retried >= 0 && retried > last('resumed');
  }

  /**
   * This worker cannot step `rec` (it lacks its workflow or the build its
   * state needs): the execution stays ready with the problem noted (shown by
   * describe()), for a worker that can; the sweeps push its resume again.
   */
  private async leave(rec: ExecutionRecord, problem: unknown): Promise<void> {
    const text = message(problem);
    if (rec.problem !== text) this.o.onError(problem, `leaving execution '${rec.id}' of workflow '${rec.workflow}' for another worker`);
    await this.o.store.noteProblem(rec.id, rec.rev, text, ev('problem', { message: text }));
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

  private async cancelChildren(rec: ExecutionRecord, ids: string[]): Promise<void> {
    for (const id of ids) {
      const outcome = await this.o.store.requestCancel(id, rec.cancel!.reason, ev('cancel requested', { by: rec.id })).catch(() => 'noop' as const);
      if (outcome === 'ready') {
        const child = await this.o.store.load(id);
        if (child?.status === 'ready') await this.o.queue.pushResume({ executionId: id, rev: child.rev });
      }
    }
  }

  private async suspend(rec: ExecutionRecord, result: Extract<Advance, { kind: 'suspended' }>, outbox: Outbox, cancelDelivered: boolean, events: HistoryEvent[], chain: number, carried?: CarriedSettlement): Promise<void> {
    const at = result.at;
    const { effects } = result;
    let text: string;
    try {
      text = encodeState(result.state, this.o.workflows.resolve);
      const limit = this.o.maxPayloadBytes;
      const bytes = Buffer.byteLength(text);
      if (bytes > limit) throw new PayloadTooLargeError(`the state of workflow '${rec.workflow}' suspended at ${at.file}:${at.line}`, bytes, limit);
    } catch (error) {
      return this.end(rec, 'failed', error, cancelDelivered, events, undefined, carried);
    }
    const { pushed, jobs } = splitOutbox(this.o.store, outbox);
    const lone = loneCall(pushed);
    const s: Suspension = {
      workflow: rec.workflow,
      state: text,
      version: result.state.version,
      at,
      started: effects.started.map(({ op, cmd }) => (cmd.kind === 'signal' ? { op, signal: cmd.name } : { op })),
      consumed: effects.consumed,
      dropped: effects.dropped,
      outbox: encodeOutbox(pushed),
      ...(lone !== undefined ? { lone } : {}),
      ...(jobs ? { jobs } : {}),
      ...(carried ? { settles: carried } : {}),
      watches: result.watches,
      cancelDelivered,
    };
    // Counts of fibers and outstanding ops only when there are several (an idle execution's history is part of its memory).
    const fibers = result.state.fibers.length;
    const ops = result.state.ops.length;
    events.push(ev('suspended', { fn: at.fn, file: at.file, line: at.line, ...(fibers > 1 ? { fibers } : {}), ...(ops > 1 ? { ops } : {}) }));
    const dispatched = dispatchedEvent(outbox, now());
    if (dispatched) events.push(dispatched);
    const outcome = await this.o.store.commitSuspension(rec.id, rec.rev, s, events);
    if (outcome === 'stale') return;
    const rev = rec.rev + 1;
    if (s.outbox !== '') await dispatch(this.o, rec.id, rev, pushed);
    if (outcome === 'ready') {
      // Settlements arrived while this step ran; more of the ops still out may be about to.
      await coalesce(text.length, result.state.ops.length - effects.consumed.length);
      await this.resumeHere(rec.id, rev, chain);
    }
  }

  private async end(
    rec: ExecutionRecord,
    status: 'completed' | 'failed' | 'cancelled',
    value: unknown,
    cancelDelivered: boolean,
    events: HistoryEvent[] = [],
    step?: { effects: StepEffects; outbox: Outbox; outstanding: DurablePromise[] },
    carried?: CarriedSettlement,
  ): Promise<void> {
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
    // Calls and children started and never awaited keep running after the end (fibers.md); not after a cancel.
    const outstanding = step?.outstanding ?? [];
    const keep = (p: DurablePromise): boolean => status !== 'cancelled' && (p.op?.kind === 'call' || p.op?.kind === 'child');
    const outbox = step ? step.outbox : emptyOutbox();
    const { pushed, jobs } = splitOutbox(this.o.store, outbox);
    const lone = loneCall(pushed);
    const end: Ending = {
      status,
      payload,
      cancelDelivered,
      started: step?.effects.started.map(({ op }) => ({ op })) ?? [],
      consumed: step?.effects.consumed ?? [],
      dropped: [...(step?.effects.dropped ?? []), ...outstanding.filter((p) => !keep(p)).map((p) => p.id)],
      detached: outstanding.filter(keep).map((p) => p.id),
      outbox: encodeOutbox(pushed),
      ...(lone !== undefined ? { lone } : {}),
      ...(jobs ? { jobs } : {}),
      ...(carried ? { settles: carried } : {}),
    };
    const event = status === 'failed' ? ev('failed', { error: message(value) }) : ev(status);
    const dispatched = dispatchedEvent(outbox, now());
    const committed = await this.o.store.commitEnd(rec.id, rec.rev, end, [...events, event, ...(dispatched ? [dispatched] : [])]);
    if (!committed) return;
    if (end.outbox !== '') await dispatch(this.o, rec.id, rec.rev + 1, pushed);
    if (rec.parents) await notifyParent(this.o, rec.id);
  }

  // -------------------------------------------------------------------------
  // Activities and timers
  // -------------------------------------------------------------------------

  async runCall(job: ActivityJob, attempt: Attempt): Promise<void | HandBack> {
    const { store } = this.o;
    const { executionId: id, op, activity } = job;
    // A 'use step' function is registered by its module, which this worker loaded with the workflows.
    const fn = this.o.activities.get(activity) ?? registeredStep(activity);
    // The first hand-backs go back before any await, so the next worker in line takes the call (see handBack()).
    if (!fn && (job.handedBack?.n ?? 0) < HAND_BACKS_AT_ONCE) return this.handBack(job);
    // cancelled, settled or dropped: drop it (a call its commit just queued here is live)
    if (!attempt.fresh && !(await retryStore(`checking call ${op} of execution '${id}'`, () => store.isLive(id, op)))) return;
    if (!fn) return this.handBack(job);
    let args: unknown[];
    try {
      args = decodePayload(job.args) as unknown[];
    } catch (error) {
      return this.settleCall(job, false, error);
    }
    const controller = new LazyAbort();
    const timeoutMs = job.options.timeout;
    let timer: NodeJS.Timeout | undefined;
    // A cancel (or another delivery settling the slot) aborts the activity's signal, and frees this
    // worker's slot at once: an activity that ignores its signal keeps running, but nobody waits for it.
    let abandon: () => void = () => {};
    const abandoned = new Promise<typeof ABANDONED>((resolve) => (abandon = () => resolve(ABANDONED)));
    const watched = {
      id,
      op,
      drop: () => {
        controller.abort(new CancelledError(`call of activity '${activity}' is no longer wanted: its execution was cancelled or moved on`));
        abandon();
      },
    };
    this.watchLive(watched);
    let value: unknown;
    try {
      const run = runActivity(fn, args, {
        idempotencyKey: idempotencyKey(job),
        attempt: attempt.attempt,
        executionId: id,
        activity,
        get signal() {
          return controller.signal;
        },
      });
      const outcome = await Promise.race([
        run,
        abandoned,
        ...(timeoutMs === undefined
          ? []
          : [
              new Promise<never>((_, reject) => {
                timer = setTimeout(() => {
                  const err = new ActivityTimeoutError(activity, timeoutMs, attempt.attempt);
                  controller.abort(err);
                  reject(err);
                }, timeoutMs);
              }),
            ]),
      ]);
      if (outcome === ABANDONED) {
        run.catch(() => {}); // its late rejection is nobody's business
        return; // not live: there is nothing to settle
      }
      value = outcome;
    } catch (error) {
      if (!attempt.final && !isNonRetryable(error, job.options)) {
        await store.appendHistory(id, ev('call retried', { op, activity, attempt: attempt.attempt, error: message(error) })).catch(() => {});
        throw error instanceof Error ? error : new Error(message(error));
      }
      return this.settleCall(job, false, error);
    } finally {
      if (timer) clearTimeout(timer);
      this.calls.delete(watched);
    }
    let payload: string;
    try {
      payload = encodePayload(value, `the result of activity '${activity}'`, this.o.maxPayloadBytes);
    } catch (error) {
      return this.settleCall(job, false, error);
    }
    await this.settle(id, op, true, payload, ev('call completed', { op, activity }));
  }

  /**
   * Check `call` with the others every liveCheckMs while it runs: one that
   * is no longer live (cancelled, settled by another delivery, dropped) is
   * dropped (its signal aborted, its slot freed). A call is first checked
   * within liveCheckMs of its start, not exactly then.
   */
  private watchLive(call: { id: string; op: number; drop(): void }): void {
    this.calls.add(call);
    if (this.liveTimer || this.closed) return;
    this.liveTimer = setInterval(() => {
      for (const c of this.calls) {
        this.o.store.isLive(c.id, c.op).then((live) => {
          if (!live && this.calls.delete(c)) c.drop();
        }, () => {});
      }
    }, this.o.liveCheckMs ?? 1000);
    this.liveTimer.unref();
  }

  /**
   * Routing by capability: activity calls share one queue, so a worker may
   * take a call to an activity it lacks (another app on the namespace, or an
   * older build in a rolling deploy). It never fails the call: it gives the
   * job back for a worker that has the activity. Workers wait for jobs in
   * line, and one takes its next job as it starts one, so a copy due later
   * would most often go back to the worker that handed it back (two workers
   * that each held the other's call swapped them back for ever): the first
   * HAND_BACKS_AT_ONCE copies are queued at once, before this worker is in
   * line again, and reach the next workers in turn. Later ones are due a
   * little later (longer each time, jittered), so a call no worker has does
   * not spin. Once the call has been handed back for a while, the execution
   * notes the problem (describe() shows it) and the call keeps waiting; a
   * worker with the activity that starts later runs it.
   */
  private async handBack(job: ActivityJob): Promise<HandBack> {
    const n = (job.handedBack?.n ?? 0) + 1;
    const since = job.handedBack?.since ?? now();
    if (n >= HAND_BACKS_BEFORE_PROBLEM && now() - since >= HAND_BACK_PROBLEM_MS) {
      const text = `no worker has activity '${job.activity}': call ${job.op} waits for a worker that has it`;
      const rec = await this.o.store.load(job.executionId);
      if (rec && rec.problem !== text) {
        this.o.onError(new Error(text), `handing back call ${job.op} of execution '${job.executionId}' (this worker lacks activity '${job.activity}')`);
        await this.o.store.noteProblem(rec.id, rec.rev, text, ev('problem', { message: text }));
      }
    }
    const delayMs = n <= HAND_BACKS_AT_ONCE ? 0 : Math.round(Math.min(HAND_BACK_MAX_MS, HAND_BACK_STEP_MS * (n - HAND_BACKS_AT_ONCE)) * (0.5 + Math.random()));
    return { job: { ...job, handedBack: { n, since } }, delayMs };
  }

  private settleCall(job: ActivityJob, ok: false, error: unknown): Promise<void> {
    return this.settle(job.executionId, job.op, ok, encodeError(error, `the error thrown by activity '${job.activity}'`), ev('call failed', { op: job.op, activity: job.activity, error: message(error), ...failedCallDetail(job) }));
  }

  private async settle(id: string, op: number, ok: boolean, payload: string, event: HistoryEvent): Promise<void> {
    if (await this.settleInStep(id, op, ok, payload, event)) return;
    const { outcome, loaded } = await retryStore(`settling op ${op} of execution '${id}'`, () => this.o.store.settleAndLoad(id, op, ok, payload, event, this.closed ? undefined : this.begin));
    if (outcome !== 'ready' || !loaded) return;
    const { record } = loaded;
    const inFlight = record.progress.started - record.progress.settled;
    if (inFlight > 0 && (await coalesce(record.state?.length ?? 0, inFlight))) {
      // Resume with every settlement that arrived meanwhile, not only this one.
      return this.resumeHere(id, record.rev, 0, undefined, loaded.attempt);
    }
    await this.resumeHere(id, record.rev, 0, loaded);
  }

  /**
   * The common case of a sequential workflow: this settlement alone makes
   * its execution ready, and this worker runs the step. The step runs
   * first and its commit records the settlement with it: one transaction
   * instead of two (Store.beginSettled). Whatever keeps the commit from
   * carrying it (a cancel meanwhile, a step this worker leaves for another),
   * the settlement is then recorded the usual way. Returns whether it was.
   */
  private async settleInStep(id: string, op: number, ok: boolean, payload: string, event: HistoryEvent): Promise<boolean> {
    const { store } = this.o;
    if (!store.beginSettled || this.closed) return false;
    let loaded: LoadedStep | undefined;
    try {
      loaded = await store.beginSettled(id, op, ok, payload, this.beginInStep);
    } catch (error) {
      this.o.onError(error, `beginning the step that settles op ${op} of execution '${id}'`);
      return false;
    }
    if (!loaded) return false;
    const carried: CarriedSettlement = { op, ok, payload, event };
    try {
      await this.step(loaded.record, loaded.settlements, 0, loaded.attempt, carried);
    } catch (error) {
      this.o.onError(error, `resuming execution '${id}' in process`);
      // committed: the sweeps push what is left (its outbox flag, its status)
    }
    return carried.committed === true;
  }

  async fireTimer(job: TimerJob): Promise<void> {
    const type = job.kind === 'sleep' ? 'timer fired' : 'signal timed out';
    await this.settle(job.executionId, job.op, true, encodeValue(undefined), ev(type, { op: job.op }));
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
      if (!rec || rec.dispatchPending === undefined) continue;
      try {
        const text = await store.outbox(id, rec.dispatchPending);
        if (text !== undefined) await dispatch(this.o, id, rec.dispatchPending, decodeOutbox(text));
      } catch (e) {
        this.o.onError(e, `re-dispatching execution '${id}'`);
      }
    }
    for (const id of pending.ready) {
      const rec = await store.load(id);
      if (rec?.status !== 'ready') continue;
      // Left by a worker that lacks its workflow (or a build): a pushed resume could reach that worker again, each
      // time (idle workers take resumes in turn, so two that each hold the other's stay in step); one that has it runs it here.
      if (rec.problem !== undefined && this.o.workflows.get(rec.workflow)) await this.resumeHere(id, rec.rev);
      else await queue.pushResume({ executionId: id, rev: rec.rev });
    }
    for (const id of pending.notify) await notifyParent(this.o, id);
  }
}
