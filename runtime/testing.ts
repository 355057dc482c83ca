/**
 * `reawait/testing`: run workflows in memory, in one process, with the real
 * activity functions. runWorkflow drives the compiled state machine (and by
 * default encodes and decodes the state at every suspension, as a store
 * would); runNative runs the uncompiled source with direct activity calls.
 * Both share one simulated environment — a virtual clock, signals, retries —
 * so their results and activity call sequences can be compared.
 */
import type { ActivityOptions, CompiledWorkflowRecord, LeafCommand } from './contract.js';
import { runActivity, type ActivityContext } from './activity-context.js';
import { decodeValue, roundTripValue } from './codec.js';
import { encodeError } from './thrown.js';
import { ActivityTimeoutError, UnknownActivityError, UnknownWorkflowError } from './errors.js';
import { advance, defaultResolve, initialState, type MachineState, type OpSettlement, type Resolve, type ResumeInputs } from './machine.js';
import { decodeState, encodeState } from './state-codec.js';
import { WatchTable } from './watches.js';
import { CancelledError, isNonRetryable, registeredStep, registeredWorkflow, setNativeHost, workflowRecord, type NativeHost } from './workflow.js';
import { parseDuration, type Duration } from './duration.js';
import { withVirtualDate } from './virtual-date.js';

export interface SimOptions {
  /** Activity functions keyed by name (an `import * as acts` namespace works). */
  activities: object;
  /** Signal payloads by name, available from the start (every wait for that name gets it). */
  signals?: Record<string, unknown>;
  /**
   * Signals (and for runWorkflow, a cancel) delivered at virtual times after
   * the start, in order: a signal is buffered until the workflow waits for it,
   * as the stores do; a cancel rejects the workflow's current awaits with
   * CancelledError(reason).
   */
  timeline?: readonly TimelineEvent[];
  /** The virtual clock's start, as `Date.now()` and `new Date()` inside the workflow (default: the real time when the run starts). */
  startTime?: number | Date;
  /** Called before every activity attempt with the arguments the activity receives. */
  onCall?: (name: string, args: unknown[]) => void;
  /** Execution id shown to activities (activityContext().executionId); default `test-<n>`. */
  executionId?: string;
}

export type TimelineEvent = { at: Duration; signal: string; payload?: unknown } | { at: Duration; cancel: string };

export interface RunWorkflowOptions extends SimOptions {
  /**
   * Encode the state to JSON and decode it back at every suspension, and pass
   * workflow arguments, activity arguments, results, errors and signal data
   * through the codec (default true).
   */
  roundTrip?: boolean;
  /** Fail the run after this many suspensions (default 100000): catches runaway loops. */
  maxSuspensions?: number;
}

export interface RunWorkflowResult<T> {
  result: T;
  /** Durable suspensions of the root execution (child workflows are separate executions). */
  suspensions: number;
  /** Largest encoded state in bytes (UTF-8); 0 when roundTrip is false, as nothing is encoded then. */
  maxStateBytes: number;
  /** Virtual milliseconds that passed: sleeps, signal timeouts and retry backoff (none of it real time). */
  virtualMs: number;
}

export interface RunNativeOptions extends SimOptions {
  /** Pass activity arguments, results, errors and signal data through the codec, as a worker would (default true). */
  codec?: boolean;
  /** Uncompiled workflow functions by name, for startChild() (child workflows run natively too). */
  workflows?: Record<string, (...args: never[]) => Promise<unknown>>;
}

// ---------------------------------------------------------------------------
// Virtual clock
// ---------------------------------------------------------------------------

/**
 * Time that passes only when nothing else can happen: the earliest timer
 * fires once no activity attempt is in flight and the event loop has had a
 * turn to let the workflow issue its next commands. So activities take no
 * virtual time and `sleep('1h')` takes no real time.
 */
export class VirtualClock {
  now = 0;
  private timers: { due: number; seq: number; fire: () => void }[] = [];
  private inFlight = 0;
  private seq = 0;
  private scheduled = false;
  private disposed = false;
  /** Counts every change (a timer set or fired, work started or done), so that an idle check can tell nothing happened meanwhile. */
  progress = 0;
  /** Called when no timer is set and no work is in flight. */
  onIdle: (() => void) | undefined;

  get idle(): boolean {
    return this.inFlight === 0 && this.timers.length === 0;
  }

  sleep(ms: number): Promise<void> {
    this.progress++;
    return new Promise((fire) => {
      this.timers.push({ due: this.now + ms, seq: this.seq++, fire });
      this.kick();
    });
  }

  /** Count `work` as in flight: timers wait for it. */
  async track<T>(work: () => Promise<T>): Promise<T> {
    this.inFlight++;
    this.progress++;
    try {
      return await work();
    } finally {
      this.inFlight--;
      this.progress++;
      this.kick();
    }
  }

  dispose(): void {
    this.disposed = true;
    this.timers = [];
  }

  private kick(): void {
    if (this.scheduled || this.disposed) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.tick();
    });
  }

  private tick(): void {
    if (this.disposed || this.inFlight > 0) return;
    if (this.timers.length === 0) return this.onIdle?.();
    this.progress++;
    this.timers.sort((a, b) => a.due - b.due || a.seq - b.seq);
    const t = this.timers.shift()!;
    this.now = Math.max(this.now, t.due);
    t.fire();
    this.kick();
  }
}

// ---------------------------------------------------------------------------
// The simulated environment both drivers share
// ---------------------------------------------------------------------------

let executions = 0;

class Sim {
  readonly clock = new VirtualClock();
  readonly fatal: Promise<never>;
  private failRun!: (error: unknown) => void;
  private calls = 0;
  private children = 0;
  /** Child executions by id: starting an id that runs or ran awaits that one (as the stores do). */
  readonly childRuns = new Map<string, Promise<unknown>>();
  /** Timeline signals delivered before anyone waited, by name, in order. */
  private readonly buffered = new Map<string, unknown[]>();
  /** Signal waits not yet served, by name, in order; `timed`: it ends by itself. */
  private readonly waiters = new Map<string, { deliver: (payload: unknown) => void; timed: boolean }[]>();
  /** Signals the timeline has yet to deliver, by name. */
  private readonly due = new Map<string, number>();
  /** The root workflow's cancel hook (runWorkflow sets it). */
  onCancel: ((error: CancelledError) => void) | undefined;
  /** The workflow waits and only a settlement can wake it (runWorkflow knows; for the source, assumed after a pause). */
  blocked: (() => boolean) | undefined;
  /** The real time of virtual time 0. */
  readonly epoch: number;

  constructor(
    readonly options: SimOptions,
    readonly codec: boolean,
    readonly driver: string,
    readonly executionId = options.executionId ?? `test-${++executions}`,
  ) {
    this.fatal = new Promise<never>((_, reject) => (this.failRun = reject));
    this.fatal.catch(() => undefined); // observed through Promise.race by the driver
    this.epoch = options.startTime === undefined ? Date.now() : Number(options.startTime);
    for (const event of options.timeline ?? []) this.schedule(event);
    this.clock.onIdle = () => this.checkStuck();
  }

  /** `Date.now()` inside the workflow: the virtual clock from the start time. */
  now(): number {
    return this.epoch + this.clock.now;
  }

  private schedule(event: TimelineEvent): void {
    const at = parseDuration(event.at);
    if ('signal' in event) {
      this.due.set(event.signal, (this.due.get(event.signal) ?? 0) + 1);
      void this.clock.sleep(at).then(() => {
        this.due.set(event.signal, this.due.get(event.signal)! - 1);
        const waiter = this.waiters.get(event.signal)?.shift();
        if (waiter) waiter.deliver(event.payload);
        else this.buffered.set(event.signal, [...(this.buffered.get(event.signal) ?? []), event.payload]);
      });
    } else {
      void this.clock.sleep(at).then(() => {
        if (!this.onCancel) return this.fail(new TypeError(`options.timeline: a cancel is delivered by runWorkflow only (${this.driver} runs the source, whose awaits it cannot reach)`));
        this.onCancel(new CancelledError(event.cancel));
      });
    }
  }

  /**
   * Nothing can happen any more (no timer, nothing in flight) while a signal
   * wait without a timeout has no payload coming: the run would hang, so it
   * fails naming the signal. Checked again a moment later, so that a workflow
   * resuming right now (and a race another branch won) is not mistaken for it.
   */
  private checkStuck(): void {
    const stuck = () => [...this.waiters].filter(([name, ws]) => ws.some((w) => !w.timed) && !this.due.get(name)).map(([name]) => name);
    if (stuck().length === 0) return;
    const progress = this.clock.progress;
    setTimeout(() => {
      const names = stuck();
      if (!this.clock.idle || this.clock.progress !== progress || names.length === 0 || this.blocked?.() === false) return;
      const given = Object.keys(this.options.signals ?? {});
      this.fail(
        new Error(
          `workflow waits for signal '${names[0]}' which ${this.driver} was not given` +
            (given.length ? ` (signals given: ${given.join(', ')})` : ' (no signals were given)') +
            `; pass it in options.signals or options.timeline, or give the signal a timeout`,
        ),
      );
    }, this.blocked ? 0 : 200).unref();
  }

  fail(error: unknown): void {
    this.failRun(error);
  }

  pass<T>(value: T, what: string): T {
    return this.codec ? roundTripValue(value, what) : value;
  }

  /** What a thrown value looks like after crossing the store, as a worker sends it. */
  passError(error: unknown, what?: string): unknown {
    return this.codec ? decodeValue(encodeError(error, what)) : error;
  }

  childId(explicit: string | undefined): string {
    return explicit ?? `${this.executionId}/child-${++this.children}`;
  }

  sleep(ms: number): Promise<void> {
    return this.clock.sleep(ms);
  }

  signal(name: string, timeoutMs: number | undefined): Promise<unknown> {
    const what = `the payload of signal '${name}'`;
    const buffered = this.buffered.get(name);
    if (buffered?.length) return Promise.resolve(this.pass(buffered.shift(), what));
    const signals = this.options.signals ?? {};
    if (Object.hasOwn(signals, name)) return Promise.resolve(this.pass(signals[name], what));
    return new Promise((resolve) => {
      const waiter = { deliver: (payload: unknown) => resolve(this.pass(payload, what)), timed: timeoutMs !== undefined };
      this.waiters.set(name, [...(this.waiters.get(name) ?? []), waiter]);
      if (timeoutMs === undefined) return this.clock.onIdle?.();
      void this.clock.sleep(timeoutMs).then(() => {
        const ws = this.waiters.get(name) ?? [];
        if (!ws.includes(waiter)) return; // the signal came first
        this.waiters.set(name, ws.filter((w) => w !== waiter));
        resolve(undefined);
      });
    });
  }

  /** One activity call: attempts with retries (virtual backoff), per-attempt timeout, the codec at its boundary. */
  async call(name: string, rawArgs: unknown[], options: ActivityOptions): Promise<unknown> {
    const seq = ++this.calls;
    const activities = this.options.activities as Record<string, unknown>;
    const fn = Object.hasOwn(activities, name) ? activities[name] : registeredStep(name);
    if (typeof fn !== 'function') {
      const available = Object.keys(activities).filter((k) => typeof activities[k] === 'function');
      throw this.passError(new UnknownActivityError(name, available));
    }
    const attempts = (options.retries ?? 0) + 1;
    for (let attempt = 1; ; attempt++) {
      const args = this.pass(rawArgs, `the arguments of activity '${name}'`);
      this.options.onCall?.(name, args);
      try {
        const value = await this.clock.track(() => this.attempt(name, fn as (...a: never[]) => unknown, args, options, seq, attempt));
        return this.pass(value, `the result of activity '${name}'`);
      } catch (error) {
        if (attempt >= attempts || isNonRetryable(error, options)) throw this.passError(error, `the error thrown by activity '${name}'`);
        const b = options.backoff;
        const delay = !b ? 0 : b.type === 'fixed' ? b.delay : b.delay * 2 ** (attempt - 1);
        if (delay > 0) await this.clock.sleep(delay);
      }
    }
  }

  private attempt(name: string, fn: (...a: never[]) => unknown, args: unknown[], options: ActivityOptions, seq: number, attempt: number): Promise<unknown> {
    const controller = new AbortController();
    const ctx: ActivityContext = {
      idempotencyKey: `${this.executionId}:${seq}`,
      attempt,
      executionId: this.executionId,
      activity: name,
      signal: controller.signal,
    };
    const run = runActivity(fn, args, ctx);
    if (options.timeout === undefined) return run;
    const timeoutMs = options.timeout;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const error = new ActivityTimeoutError(name, timeoutMs, attempt);
        controller.abort(error);
        reject(error);
      }, timeoutMs);
    });
    run.catch(() => undefined); // a timed-out attempt may still reject later
    return Promise.race([run, timeout]).finally(() => clearTimeout(timer));
  }
}

// ---------------------------------------------------------------------------
// runWorkflow: the compiled state machine
// ---------------------------------------------------------------------------

const resolveRegistered: Resolve = defaultResolve;

/**
 * Run a compiled workflow in memory to its end. Resolves to its result with
 * the number of suspensions and the largest encoded state, or rejects with
 * the workflow's own error.
 */
export async function runWorkflow<F extends (...args: never[]) => Promise<unknown>>(
  workflow: F,
  args: Parameters<F>,
  options: RunWorkflowOptions,
): Promise<RunWorkflowResult<Awaited<ReturnType<F>>>> {
  const record = workflowRecord(workflow);
  const roundTrip = options.roundTrip ?? true;
  const sim = new Sim(options, roundTrip, 'runWorkflow');
  const stats = { suspensions: 0, maxStateBytes: 0 };
  try {
    const result = await Promise.race([runCompiled(record, args as unknown[], sim, stats, options.maxSuspensions ?? 100_000, sim.executionId, true), sim.fatal]);
    return { result: result as Awaited<ReturnType<F>>, suspensions: stats.suspensions, maxStateBytes: stats.maxStateBytes, virtualMs: sim.clock.now };
  } finally {
    sim.clock.dispose();
  }
}

async function runCompiled(
  record: CompiledWorkflowRecord,
  rawArgs: unknown[],
  sim: Sim,
  stats: { suspensions: number; maxStateBytes: number },
  maxSuspensions: number,
  executionId: string,
  root = false,
): Promise<unknown> {
  const args = sim.pass(rawArgs, `the arguments of workflow '${record.meta.name}'`);
  const table = new WatchTable();
  /** Settlements recorded and not yet applied (op → outcome), in arrival order. */
  const arrived = new Map<number, OpSettlement>();
  /** Ops a cancel gave up: their late settlements are dropped, as the stores drop them. */
  const dropped = new Set<number>();
  let rev = 0;
  let waiting: { wake: () => void; where: string } | undefined;
  let cancel: CancelledError | undefined;
  if (root) {
    sim.blocked = () => waiting !== undefined;
    sim.onCancel = (error) => {
      cancel = error;
      const w = waiting;
      waiting = undefined;
      w?.wake();
    };
  }
  const resume = (state: MachineState, inputs: ResumeInputs) => withVirtualDate(() => sim.now(), () => advance(state, inputs, { resolve: resolveRegistered, executionId, rev, startTime: sim.epoch }));
  const settleOp = (op: number, ok: boolean, value: unknown): void => {
    if (arrived.has(op) || dropped.has(op)) return;
    arrived.set(op, { op, ok, value });
    if (table.settle(op, ok) && waiting) {
      const w = waiting;
      waiting = undefined;
      w.wake();
    }
  };
  let step = await resume(initialState(record), { start: args });
  for (;;) {
    for (const { op, cmd } of step.effects.started) {
      serveOp(cmd, sim, executionId).then(
        (value) => settleOp(op, true, value),
        (error: unknown) => settleOp(op, false, error),
      );
    }
    if (step.kind === 'completed') return step.value;
    if (step.kind === 'failed') throw step.error;
    for (const op of [...step.effects.consumed, ...step.effects.dropped]) table.forget(op);
    for (const op of step.effects.dropped) (dropped.add(op), arrived.delete(op));
    rev++;
    let state = step.state;
    if (++stats.suspensions > maxSuspensions)
      throw new Error(`workflow '${record.meta.name}' (${executionId}) suspended more than maxSuspensions = ${maxSuspensions} times; last at ${step.at.file}:${step.at.line}`);
    if (sim.codec) {
      const text = encodeState(state);
      stats.maxStateBytes = Math.max(stats.maxStateBytes, Buffer.byteLength(text));
      state = decodeState(text);
    }
    const unconsumed = new Map([...arrived.values()].map((s) => [s.op, s.ok]));
    if (!table.apply(step.watches, unconsumed) && !cancel) {
      const where = `${record.meta.name} at ${step.at.file}:${step.at.line}`;
      await new Promise<void>((wake) => (waiting = { wake, where }));
    }
    const settlements = [...arrived.values()];
    arrived.clear();
    const inputs: ResumeInputs = cancel ? { settlements, cancel } : { settlements };
    cancel = undefined;
    step = await resume(state, inputs);
  }
}

/** Serve one durable operation the workflow started. */
function serveOp(cmd: LeafCommand, sim: Sim, executionId: string): Promise<unknown> {
  switch (cmd.kind) {
    case 'call':
      return sim.call(cmd.activity, cmd.args, cmd.options);
    case 'sleep':
      return sim.sleep(cmd.ms).then(() => undefined);
    case 'signal':
      return sim.signal(cmd.name, cmd.timeoutMs);
    case 'child': {
      const record = registeredWorkflow(cmd.workflow);
      if (!record) return Promise.reject(new UnknownWorkflowError(cmd.workflow));
      const childId = sim.childId(cmd.id);
      const known = sim.childRuns.get(childId);
      if (known) return known;
      const stats = { suspensions: 0, maxStateBytes: 0 };
      void executionId;
      const run = runCompiled(record, cmd.args, sim, stats, 100_000, childId).then(
        (v) => sim.pass(v, `the result of child workflow '${cmd.workflow}'`),
        (e: unknown) => {
          throw sim.passError(e);
        },
      );
      sim.childRuns.set(childId, run);
      return run;
    }
  }
}

// ---------------------------------------------------------------------------
// runNative: the uncompiled source, with the same environment
// ---------------------------------------------------------------------------

/**
 * Run an uncompiled workflow function as plain async JavaScript, serving its
 * activity calls, sleeps, signals and child workflows from the same simulated
 * environment as runWorkflow. It installs a NativeHost for the run, so native
 * runs must not overlap.
 */
export async function runNative<F extends (...args: never[]) => Promise<unknown>>(
  workflow: F,
  args: Parameters<F>,
  options: RunNativeOptions,
): Promise<{ result: Awaited<ReturnType<F>> }> {
  const sim = new Sim(options, options.codec ?? true, 'runNative');
  const workflows = options.workflows ?? {};
  const host: NativeHost = {
    info: () => ({ id: sim.executionId, workflow: workflow.name, version: 'source', startTime: sim.epoch, resume: 0, attempt: 1 }),
    call: (name, callArgs, callOptions) => sim.call(name, callArgs, callOptions),
    sleep: (ms) => sim.sleep(ms),
    signal: (name, timeoutMs) => sim.signal(name, timeoutMs),
    child: async (name, childArgs) => {
      const fn = Object.hasOwn(workflows, name) ? workflows[name] : undefined;
      if (!fn) throw new UnknownWorkflowError(name, Object.keys(workflows));
      try {
        const v = await (fn as (...a: unknown[]) => Promise<unknown>)(...sim.pass(childArgs, `the arguments of child workflow '${name}'`));
        return sim.pass(v, `the result of child workflow '${name}'`);
      } catch (e) {
        throw sim.passError(e);
      }
    },
  };
  setNativeHost(host);
  try {
    const callArgs = sim.pass(args as unknown[], 'the workflow arguments');
    const run = withVirtualDate(() => sim.now(), async () => (workflow as unknown as (...a: unknown[]) => Promise<unknown>)(...callArgs));
    const result = await Promise.race([run, sim.fatal]);
    return { result: result as Awaited<ReturnType<F>> };
  } finally {
    setNativeHost(null);
    sim.clock.dispose();
  }
}

export { activityContext } from './activity-context.js';
