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
import { advance, defaultResolve, initialState, type OpSettlement, type Resolve } from './machine.js';
import { decodeState, encodeState } from './state-codec.js';
import { WatchTable } from './watches.js';
import { registeredWorkflow, setNativeHost, workflowRecord, type NativeHost } from './workflow.js';

export interface SimOptions {
  /** Activity functions keyed by name (an `import * as acts` namespace works). */
  activities: object;
  /** Signal payloads by name, available from the start. */
  signals?: Record<string, unknown>;
  /** Called before every activity attempt with the arguments the activity receives. */
  onCall?: (name: string, args: unknown[]) => void;
  /** Execution id shown to activities (activityContext().executionId); default `test-<n>`. */
  executionId?: string;
}

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

  sleep(ms: number): Promise<void> {
    return new Promise((fire) => {
      this.timers.push({ due: this.now + ms, seq: this.seq++, fire });
      this.kick();
    });
  }

  /** Count `work` as in flight: timers wait for it. */
  async track<T>(work: () => Promise<T>): Promise<T> {
    this.inFlight++;
    try {
      return await work();
    } finally {
      this.inFlight--;
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
    if (this.disposed || this.inFlight > 0 || this.timers.length === 0) return;
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

  constructor(
    readonly options: SimOptions,
    readonly codec: boolean,
    readonly driver: string,
    readonly executionId = options.executionId ?? `test-${++executions}`,
  ) {
    this.fatal = new Promise<never>((_, reject) => (this.failRun = reject));
    this.fatal.catch(() => undefined); // observed through Promise.race by the driver
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
    const signals = this.options.signals ?? {};
    if (Object.hasOwn(signals, name)) return Promise.resolve(this.pass(signals[name], `the payload of signal '${name}'`));
    if (timeoutMs !== undefined) return this.clock.sleep(timeoutMs).then(() => undefined);
    const given = Object.keys(signals);
    this.fail(
      new Error(
        `workflow waits for signal '${name}' which ${this.driver} was not given` +
          (given.length ? ` (signals given: ${given.join(', ')})` : ' (no signals were given)') +
          `; pass it in options.signals or give the signal a timeout`,
      ),
    );
    return new Promise<never>(() => undefined);
  }

  /** One activity call: attempts with retries (virtual backoff), per-attempt timeout, the codec at its boundary. */
  async call(name: string, rawArgs: unknown[], options: ActivityOptions): Promise<unknown> {
    const seq = ++this.calls;
    const activities = this.options.activities as Record<string, unknown>;
    const fn = Object.hasOwn(activities, name) ? activities[name] : undefined;
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
        if (attempt >= attempts) throw this.passError(error, `the error thrown by activity '${name}'`);
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
    const result = await Promise.race([runCompiled(record, args as unknown[], sim, stats, options.maxSuspensions ?? 100_000, sim.executionId), sim.fatal]);
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
): Promise<unknown> {
  const args = sim.pass(rawArgs, `the arguments of workflow '${record.meta.name}'`);
  const table = new WatchTable();
  /** Settlements recorded and not yet applied (op → outcome), in arrival order. */
  const arrived = new Map<number, OpSettlement>();
  let rev = 0;
  let waiting: { wake: () => void; where: string } | undefined;
  const settleOp = (op: number, ok: boolean, value: unknown): void => {
    if (arrived.has(op)) return;
    arrived.set(op, { op, ok, value });
    if (table.settle(op, ok) && waiting) {
      const w = waiting;
      waiting = undefined;
      w.wake();
    }
  };
  let step = await advance(initialState(record), { start: args }, { resolve: resolveRegistered, executionId, rev });
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
    if (!table.apply(step.watches, unconsumed)) {
      const where = `${record.meta.name} at ${step.at.file}:${step.at.line}`;
      await new Promise<void>((wake) => (waiting = { wake, where }));
    }
    const settlements = [...arrived.values()];
    arrived.clear();
    step = await advance(state, { settlements }, { resolve: resolveRegistered, executionId, rev });
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
    const run = (async () => (workflow as unknown as (...a: unknown[]) => Promise<unknown>)(...callArgs))();
    const result = await Promise.race([run, sim.fatal]);
    return { result: result as Awaited<ReturnType<F>> };
  } finally {
    setNativeHost(null);
    sim.clock.dispose();
  }
}

export { activityContext } from './activity-context.js';
