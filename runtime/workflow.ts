/**
 * `reawait/workflow`: what workflow source imports, and the few helpers the
 * compiled code calls. Everything here builds plain command objects; the
 * runtime serves them. Commands are also thenables so that the *uncompiled*
 * source can run natively under a NativeHost (the differential tests do
 * this); without a host, awaiting a command outside a compiled workflow is a
 * clear error.
 */
import {
  COMMAND,
  WORKFLOW,
  type ActivityOptions as CallOptions,
  type CallCommand,
  type ChildCommand,
  type Command,
  type CompiledWorkflow,
  type CompiledWorkflowRecord,
  type LeafCommand,
  type SignalCommand,
  type SleepCommand,
  type StepFn,
  type WorkflowMeta,
} from './contract.js';
import { activeScheduler, type DurablePromise, type WorkflowInfo } from './promises.js';

export type { WorkflowInfo } from './promises.js';
import { checkUserId } from './ids.js';
import { parseDuration, type Duration } from './duration.js';

import { serializable } from './serializable.js';
import { currentDefinition, defineCurrent } from './definitions.js';
import { setFiberStarter } from './closures.js';

export type { CompiledWorkflow } from './contract.js';
export { parseDuration, type Duration, type DurationUnit } from './duration.js';
export { serializable, serializableEarlier, type SerializableOptions } from './serializable.js';

// ---------------------------------------------------------------------------
// Errors a workflow can see
// ---------------------------------------------------------------------------

/** Thrown at a workflow's current await when its execution is cancelled. */
export class CancelledError extends Error {
  override name = 'CancelledError';
  constructor(message = 'workflow cancelled') {
    super(message);
  }
}
serializable(CancelledError, 'CancelledError');

/**
 * Thrown by an activity (or a step) for a failure that retrying cannot fix
 * (a declined card, invalid input): the call fails at once, whatever its
 * `retries`, and the workflow sees this error. `cause` keeps the original.
 */
export class NonRetryableError extends Error {
  override name = 'NonRetryableError';
  readonly nonRetryable = true;
}
serializable(NonRetryableError, 'NonRetryableError');

/** True when a failed call must not be retried: a NonRetryableError (or an error marked `nonRetryable: true`), or one whose name the stub lists. */
export function isNonRetryable(error: unknown, options: { nonRetryable?: readonly string[] }): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const e = error as { nonRetryable?: unknown; name?: unknown };
  return e.nonRetryable === true || (typeof e.name === 'string' && (options.nonRetryable?.includes(e.name) ?? false));
}

// ---------------------------------------------------------------------------
// Native host: lets uncompiled workflow code run with direct calls
// ---------------------------------------------------------------------------

export interface NativeHost {
  call(activity: string, args: unknown[], options: CallOptions): Promise<unknown>;
  sleep(ms: number): Promise<void>;
  signal(name: string, timeoutMs: number | undefined): Promise<unknown>;
  child(workflow: string, args: unknown[]): Promise<unknown>;
  /** workflowInfo() of a native run. */
  info?(): WorkflowInfo;
}

let nativeHost: NativeHost | null = null;

/** Install (or with null, remove) the host that serves commands awaited natively. */
export function setNativeHost(host: NativeHost | null): void {
  nativeHost = host;
}

function runNatively(cmd: LeafCommand): Promise<unknown> {
  if (!nativeHost) {
    const what = cmd.kind === 'call' ? `activity '${cmd.activity}'` : `${cmd.kind} command`;
    return Promise.reject(
      new Error(
        `reawait: ${what} was awaited outside a compiled workflow. ` +
          `Workflow functions must be compiled ('npx reawait compile') and run through a Client, Worker or runWorkflow().`,
      ),
    );
  }
  switch (cmd.kind) {
    case 'call':
      return nativeHost.call(cmd.activity, cmd.args, cmd.options);
    case 'sleep':
      return nativeHost.sleep(cmd.ms);
    case 'signal':
      return nativeHost.signal(cmd.name, cmd.timeoutMs);
    case 'child':
      return nativeHost.child(cmd.workflow, cmd.args);
  }
}

function makeCommand<C extends Command>(cmd: C): C {
  Object.defineProperty(cmd, COMMAND, { value: true, enumerable: false });
  // Under a native host a durable operation starts when it is called, as a
  // plain async call would (fire-and-forget runs; awaiting twice shares one
  // run). Without one it starts when first awaited, to report the error.
  let run: Promise<unknown> | undefined;
  const started = (): Promise<unknown> => (run ??= runNatively(cmd));
  if (nativeHost) started().catch(() => undefined);
  // A promise's methods, for native runs; non-enumerable so commands stay plain data.
  const method = (name: 'then' | 'catch' | 'finally', value: (...a: never[]) => unknown): void => {
    Object.defineProperty(cmd, name, { enumerable: false, value });
  };
  method('then', (onFulfilled?: (v: unknown) => unknown, onRejected?: (e: unknown) => unknown) => started().then(onFulfilled, onRejected));
  method('catch', (onRejected?: (e: unknown) => unknown) => started().catch(onRejected));
  method('finally', (onFinally?: () => void) => started().finally(onFinally));
  return cmd;
}

/**
 * A durable operation called by workflow code: inside a running workflow it
 * starts at once as an op of the execution and returns its durable promise;
 * outside one it is a command (run natively under a NativeHost, or an error
 * when awaited).
 */
function durable<C extends LeafCommand>(cmd: C): DurablePromise | C {
  const s = activeScheduler();
  return s ? s.op(cmd) : makeCommand(cmd);
}

/** True for any command object built by this module. */
export function isCommand(value: unknown): value is Command {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[COMMAND] === true;
}

// ---------------------------------------------------------------------------
// Authoring API
// ---------------------------------------------------------------------------

type AnyFn = (...args: never[]) => unknown;
/** The typed stubs proxyActivities returns: same parameters, awaited result. */
export type ActivityStubs<T> = {
  [K in keyof T]: T[K] extends (...args: infer A) => infer R ? (...args: A) => Promise<Awaited<R>> : never;
};

/** What `proxyActivities` takes; an unknown option is a type error and a run-time error naming it. */
export interface ActivityOptions {
  /** Retries after the first attempt (default 0). */
  retries?: number;
  /** The wait before each retry: a fixed delay or one that doubles (default: none). */
  backoff?: { type: 'fixed' | 'exponential'; delay: Duration };
  /** Per-attempt time limit; the activity's AbortSignal fires when it passes (e.g. '30s', '5 minutes'). */
  timeout?: Duration;
  /** Errors not to retry, by class or by name (`[CardDeclinedError, 'ValidationError']`): the call fails at the first. */
  nonRetryable?: readonly (string | (abstract new (...args: never[]) => Error))[];
}

const OPTION_NAMES: readonly (keyof ActivityOptions)[] = ['retries', 'backoff', 'timeout', 'nonRetryable'];
/** Options of other workflow engines people carry over, and what they are called here. */
const OPTION_HINTS: Readonly<Record<string, string>> = {
  startToCloseTimeout: 'timeout',
  scheduleToCloseTimeout: 'timeout',
  scheduleToStartTimeout: 'timeout',
  retry: 'retries and backoff',
  retryPolicy: 'retries and backoff',
  maxRetries: 'retries',
  maxAttempts: 'retries (retries after the first attempt)',
};

/**
 * Typed stubs for activities. Inside a workflow, calling one yields a durable
 * call command; the runtime runs the activity on a worker.
 *
 *   const { encodeVideo } = proxyActivities<typeof acts>({ retries: 3, timeout: '5 minutes' });
 */
export function proxyActivities<T extends Record<string, AnyFn | unknown>>(options: ActivityOptions = {}): ActivityStubs<T> {
  const resolved = resolveActivityOptions(options, 'proxyActivities');
  const cache = new Map<string, (...args: unknown[]) => unknown>();
  return new Proxy({} as ActivityStubs<T>, {
    get(_t, prop) {
      if (typeof prop !== 'string' || prop === 'then') return undefined;
      let stub = cache.get(prop);
      if (!stub) {
        stub = (...args: unknown[]) => durable<CallCommand>({ kind: 'call', activity: prop, args, options: resolved });
        cache.set(prop, stub);
      }
      return stub;
    },
  });
}

/** Checks a stub's options (naming any unknown one) and resolves its durations to ms, as commands carry them. */
export function resolveActivityOptions(o: ActivityOptions, where: string): CallOptions {
  if (typeof o !== 'object' || o === null) throw new TypeError(`${where}: options must be an object, got ${String(o)}`);
  for (const key of Object.keys(o))
    if (!(OPTION_NAMES as readonly string[]).includes(key)) {
      const hint = OPTION_HINTS[key];
      throw new TypeError(`${where}: unknown option '${key}'${hint ? ` (reawait calls it ${hint})` : ''}; the options are ${OPTION_NAMES.join(', ')}`);
    }
  const out: CallOptions = {};
  if (o.retries !== undefined) {
    if (!(Number.isInteger(o.retries) && o.retries >= 0)) throw new TypeError(`${where}: retries must be a non-negative integer, got ${String(o.retries)}`);
    out.retries = o.retries;
  }
  if (o.timeout !== undefined) {
    const ms = durationOption(o.timeout, `${where}: timeout`);
    if (ms <= 0) throw new TypeError(`${where}: timeout must be more than 0, got ${String(o.timeout)}`);
    out.timeout = ms;
  }
  if (o.nonRetryable !== undefined) {
    if (!Array.isArray(o.nonRetryable)) throw new TypeError(`${where}: nonRetryable must be an array of error classes or names`);
    out.nonRetryable = o.nonRetryable.map((x, i) => {
      const name = typeof x === 'function' ? x.name : x;
      if (typeof name !== 'string' || name === '') throw new TypeError(`${where}: nonRetryable[${i}] must be an error class or its name, got ${String(x)}`);
      return name;
    });
  }
  if (o.backoff !== undefined) {
    const b = o.backoff;
    if (typeof b !== 'object' || b === null || (b.type !== 'fixed' && b.type !== 'exponential') || b.delay === undefined)
      throw new TypeError(`${where}: backoff must be { type: 'fixed' | 'exponential', delay: a duration }`);
    out.backoff = { type: b.type, delay: durationOption(b.delay, `${where}: backoff.delay`) };
  }
  return out;
}

function durationOption(d: Duration, where: string): number {
  try {
    return parseDuration(d);
  } catch (e) {
    throw new TypeError(`${where}: ${(e as Error).message}`);
  }
}

/**
 * The running execution: its id, workflow, version, start time, how many
 * resumes came before this one and which try of this resume this is. Only
 * inside a workflow's own code.
 */
export function workflowInfo(): WorkflowInfo {
  const s = activeScheduler();
  if (s) return s.info();
  if (nativeHost?.info) return nativeHost.info();
  throw new TypeError(`reawait: workflowInfo() is only available inside a running workflow's own code`);
}

/**
 * Expose a read-only view of the workflow's state as query `name`:
 * `handle.query(name)` (and `npx reawait query`) call `fn` on the saved
 * state, with no worker running. `fn` is a closure over the workflow's
 * locals (`() => ({ done, total })`); it must not await, and what it returns
 * is the answer. Call it once; a later call with the same name replaces it.
 */
export function expose<T>(name: string, fn: () => T): void {
  if (typeof name !== 'string' || name === '') throw new TypeError('expose: the query name must be a non-empty string');
  if (typeof fn !== 'function') throw new TypeError(`expose('${name}', …): expected a function that returns the answer`);
  const s = activeScheduler();
  if (s) return s.expose(name, fn);
  if (!nativeHost) throw new TypeError(`reawait: expose() is only available inside a running workflow's own code`);
}

/** A durable timer: the workflow resumes after `duration`, even across restarts. */
export function sleep(duration: Duration): Promise<void> {
  return durable<SleepCommand>({ kind: 'sleep', ms: parseDuration(duration) }) as unknown as Promise<void>;
}

declare const PAYLOAD: unique symbol;

/**
 * A signal's name with the type of its payload (defineSignal()): the
 * workflow's `signal(def)` and the app's `handle.signal(def, payload)` are
 * then both type-checked against it.
 */
export interface SignalDefinition<T> {
  readonly name: string;
  /** Type only: the payload's type (never set). */
  readonly [PAYLOAD]?: (payload: T) => T;
}

/** Name a signal and type its payload, in a module the workflow and the app both import. */
export function defineSignal<T = undefined>(name: string): SignalDefinition<T> {
  if (typeof name !== 'string' || name === '') throw new TypeError('defineSignal: name must be a non-empty string');
  return Object.freeze({ name });
}

/**
 * Wait for a named external event (`handle.signal(name, payload)`); resolves
 * to the payload, or to undefined if `timeout` passes first. With a
 * defineSignal() definition, the payload has its type.
 */
export function signal<T = unknown>(name: string | SignalDefinition<T>, options: { timeout?: Duration } = {}): Promise<T | undefined> {
  if (typeof name === 'object' && name !== null) name = name.name;
  if (typeof name !== 'string' || name === '') throw new TypeError('signal: name must be a non-empty string or a defineSignal() definition');
  const cmd: SignalCommand = { kind: 'signal', name };
  if (options.timeout !== undefined) cmd.timeoutMs = parseDuration(options.timeout);
  return durable(cmd) as unknown as Promise<T | undefined>;
}

// ---------------------------------------------------------------------------
// 'use step': activities defined in a workflow's module
// ---------------------------------------------------------------------------

const STEP: unique symbol = Symbol.for('reawait.step');
type StepFunction = (...args: never[]) => Promise<unknown>;
const steps = new Map<string, StepFunction>();

/** The function of a `'use step'` step, by its registered name (`<file>#<name>`), for the worker that runs it. */
export function registeredStep(name: string): ((...args: unknown[]) => unknown) | undefined {
  return steps.get(name) as ((...args: unknown[]) => unknown) | undefined;
}

function stepStub<F extends StepFunction>(name: string, fn: F, options: CallOptions): F {
  const stub = (...args: unknown[]): unknown =>
    // In a running workflow (or a native run of its source) a durable call; anywhere else (a worker running it) the function itself.
    activeScheduler() || nativeHost ? durable<CallCommand>({ kind: 'call', activity: name, args, options }) : (fn as unknown as (...a: unknown[]) => unknown)(...args);
  Object.defineProperty(stub, 'name', { value: fn.name });
  Object.defineProperty(stub, STEP, { value: { name, fn } });
  return stub as unknown as F;
}

/**
 * What the compiler makes of a `'use step'` function: registers `fn` as the
 * activity `name` and returns its stub (calls from a workflow are durable
 * calls; other calls run it). Not for hand-written code.
 */
export function step<F extends StepFunction>(name: string, fn: F): F {
  steps.set(name, fn);
  return stepStub(name, fn, {});
}

/** step() as an earlier build kept by `reawait compile` calls it: the current build's function keeps the name. */
export function stepEarlier<F extends StepFunction>(name: string, fn: F): F {
  if (!steps.has(name)) steps.set(name, fn);
  return stepStub(name, fn, {});
}

/** A `'use step'` function with activity options (retries, backoff, timeout), as `proxyActivities` takes them. */
export function withOptions<F extends StepFunction>(stepFn: F, options: ActivityOptions): F {
  const rec = (stepFn as unknown as Record<symbol, { name: string; fn: F } | undefined>)[STEP];
  if (!rec) throw new TypeError(`withOptions: '${stepFn.name || '<anonymous>'}' is not a 'use step' function (compiled): for activities in another module use proxyActivities(options)`);
  return stepStub(rec.name, rec.fn, resolveActivityOptions(options, 'withOptions'));
}

/** Start another workflow as a separate execution and await its result. */
export function startChild<F extends (...args: never[]) => Promise<unknown>>(
  workflow: F | string,
  args: Parameters<F>,
  options: { id?: string } = {},
): ReturnType<F> {
  const name = typeof workflow === 'string' ? workflow : workflowRecord(workflow).meta.name;
  const cmd: ChildCommand = { kind: 'child', workflow: name, args: [...(args as unknown[])] };
  if (options.id !== undefined) {
    checkUserId(options.id, `startChild of workflow '${name}'`);
    cmd.id = options.id;
  }
  return durable(cmd) as unknown as ReturnType<F>;
}

// ---------------------------------------------------------------------------
// Helpers the compiled code calls
// ---------------------------------------------------------------------------

/** Attach metadata and the step function to a compiled workflow, and register it by name and version (definitions.ts). */
export function defineWorkflow(fn: (...args: never[]) => unknown, meta: WorkflowMeta, step: StepFn): void {
  const record: CompiledWorkflowRecord = { meta, step };
  Object.defineProperty(fn, WORKFLOW, { value: record, enumerable: false });
  defineCurrent(record);
}

export { defineEarlierSite, defineEarlierWorkflow } from './definitions.js';

/**
 * The body of every compiled workflow function: inside a running workflow,
 * calling it starts a fiber (its first segment runs now, as an async
 * function's does) and returns the fiber's promise.
 */
export function call(fn: (...args: never[]) => unknown, args: unknown[]): unknown {
  const { name, version } = workflowRecord(fn).meta;
  const s = activeScheduler();
  if (!s)
    throw new TypeError(
      `reawait: workflow '${name}' was called outside a running workflow; start it with client.start(${name}, args) or runWorkflow(${name}, args), or call it from workflow code`,
    );
  return s.startFiber(name, {}, [...args], version);
}

/** The compiled record of a workflow function; a clear error if it was not compiled. */
export function workflowRecord(fn: unknown): CompiledWorkflowRecord {
  const rec = typeof fn === 'function' ? (fn as unknown as Record<symbol, unknown>)[WORKFLOW] : undefined;
  if (!rec) {
    const name = typeof fn === 'function' ? fn.name || '<anonymous>' : typeof fn;
    throw new TypeError(
      `reawait: '${name}' is not a compiled workflow. Mark it with 'use workflow' and import it from the output of 'npx reawait compile'.`,
    );
  }
  return rec as CompiledWorkflowRecord;
}

/** Look up a registered workflow by name (the workflows of every imported compiled module). */
export function registeredWorkflow(name: string): CompiledWorkflowRecord | undefined {
  return currentDefinition(name);
}

export function isCompiledWorkflow(fn: unknown): fn is CompiledWorkflow {
  return typeof fn === 'function' && (fn as unknown as Record<symbol, unknown>)[WORKFLOW] !== undefined;
}

const GROUP_MODES = ['all', 'allSettled', 'race', 'any'] as const;

/**
 * Replacement for `Promise.all/allSettled/race/any` inside workflow bodies:
 * a combinator entry of the running execution (items: durable promises,
 * plain values, foreign thenables awaited in memory).
 */
export type CombinatorMode = 'all' | 'allSettled' | 'race' | 'any';

export function group(mode: CombinatorMode, iterable: Iterable<unknown>): unknown {
  if (!GROUP_MODES.includes(mode)) throw new TypeError(`reawait: unknown group mode '${String(mode)}'`);
  const s = activeScheduler();
  return s ? s.group(mode, iterable) : nativeGroup(mode, [...iterable]);
}

function nativeGroup(mode: CombinatorMode, values: unknown[]): Promise<unknown> {
  switch (mode) {
    case 'all':
      return Promise.all(values);
    case 'allSettled':
      return Promise.allSettled(values);
    case 'race':
      return Promise.race(values);
    case 'any':
      return Promise.any(values);
  }
}

export function isThenable(v: unknown): v is PromiseLike<unknown> {
  return (typeof v === 'object' || typeof v === 'function') && v !== null && typeof (v as { then?: unknown }).then === 'function';
}

// ---------------------------------------------------------------------------
// Closure sites and binding semantics (compiled code; see closures.ts)
// ---------------------------------------------------------------------------

export { accessors, closure, constAssign, defineSite, TDZ, tdz } from './closures.js';

// Calling an async closure inside a running workflow starts a fiber: its frame's locals hold the site's envs (and `$this`).
setFiberStarter((site, envs, thisArg, args) => {
  const s = activeScheduler();
  if (!s && site.native) return (site.native(...envs) as (...a: unknown[]) => unknown).apply(thisArg, args);
  if (!s) throw new TypeError(`reawait: async closure '${site.meta.name || site.meta.id}' (${site.meta.file}:${site.meta.line}) was called outside a running workflow`);
  const locals: Record<string, unknown> = {};
  site.meta.envs.forEach((name, i) => (locals[name] = envs[i]));
  if (site.meta.ownThis) locals.$this = thisArg;
  // The fiber records its site's version: it resumes on that code (upgrade.ts).
  return s.startFiber(site.meta.id, locals, [...args], site.meta.version);
});
export { forOf, forOfClose, forOfDone, forOfNext, forOfPark, forOfUnpark, type ForOfCursor } from './for-of.js';

/** `Promise.resolve(v)` inside a workflow: a durable promise (the same one, for a durable promise). */
export function resolve(value: unknown): unknown {
  const s = activeScheduler();
  return s ? s.resolve(value) : Promise.resolve(value);
}

/** `Promise.reject(e)` inside a workflow. */
export function reject(reason: unknown): unknown {
  const s = activeScheduler();
  return s ? s.reject(reason) : Promise.reject(reason);
}
