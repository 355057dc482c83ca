/**
 * The one contract between the compiler and the runtime.
 *
 * The compiler (compiler/) emits modules of the shape described here; the
 * runtime (runtime/) drives them and persists their state in the document
 * shape described here. Nothing else crosses the boundary: the compiler
 * imports only types from this file, the runtime never sees Babel or source
 * text. Change this file and both sides change together (bump STATE_VERSION
 * when the encoded document changes shape).
 */

// ---------------------------------------------------------------------------
// The compiled module
// ---------------------------------------------------------------------------
//
// For every `'use workflow'` function the compiler emits (ESM):
//
//   import { defineWorkflow as _rw_define, call as _rw_call, group as _rw_group } from 'reawait/workflow';
//   export function videoPipeline(...args) { return _rw_call(videoPipeline, args); }
//   _rw_define(videoPipeline, { name: 'videoPipeline', ... }, function videoPipeline$step(f, r) { ... });
//
// i.e. the exported binding keeps its name and (in the source's .ts) its
// signature; called by workflow code it starts a fiber (runtime/fibers.md)
// and returns the fiber's durable promise. defineWorkflow() attaches the
// metadata and the step function under the WORKFLOW symbol and registers it
// by name. Inside workflow bodies `Promise.all/allSettled/race/any(x)` is
// rewritten to `group('all' | 'allSettled' | 'race' | 'any', x)`.

/** Where a suspension point (an `await`) sits in the source. */
export interface SourceLocation {
  /** Source file name as given to compile() (relative to the compile root for the CLI). */
  file: string;
  /** 1-based line. */
  line: number;
  /** 0-based column (Babel convention). */
  column: number;
}

/** One suspension point: a program counter at which the step function may return `await`. */
export interface SuspensionMeta {
  /** The pc the frame resumes at; equals the index in WorkflowMeta.suspensions. */
  id: number;
  line: number;
  column: number;
  /** Names of the variables written to the frame at this suspension (live across it). */
  live: string[];
}

/**
 * What a resume at one suspension point depends on, hashed (compiler/fingerprint.ts):
 * a state saved at `pc` of one build may resume at a point of another build
 * with the same `fp`, its locals renamed pairwise through `locals`.
 */
export interface PointFingerprint {
  pc: number;
  line: number;
  fp: string;
  /** The live locals in canonical order: locals[i] of one build is locals[i] of the other. */
  locals: string[];
}

export interface WorkflowMeta {
  /** The function's name; unique among the workflows a worker registers. */
  name: string;
  /** Hash of the compiled step function + metadata: a different hash means different code. */
  version: string;
  /** Source file (as given to compile()). */
  file: string;
  /** Declared parameter names (for display; args arrive as an array). */
  params: string[];
  /** Line/column of the function itself. */
  line: number;
  column: number;
  /** Every suspension point, indexed by id. pc 0 is the entry (not a suspension) and has live = []. */
  suspensions: SuspensionMeta[];
  /**
   * How error messages name a saved local whose key is not its source name:
   * a shadowed binding renamed by the compiler (`x$1` → `x`) or a compiler
   * temporary (`$t3` → `the items of the for…of loop at line 12`).
   */
  display?: Record<string, string>;
  /** Environment objects of the workflow's own scopes (see EnvLayout). */
  envLayout?: EnvLayout;
  /** Per suspension point, in pc order: what a resume there depends on (versions across deploys). */
  fingerprints?: PointFingerprint[];
}

/**
 * One activation of a workflow function. Locals hold exactly the variables
 * live at `pc` (plus the hidden temporaries and completion records the
 * linearisation keeps, which follow the same rules), keyed by their
 * (possibly shadow-renamed, e.g. `x$1`) names.
 */
export interface Frame {
  fn: string;
  pc: number;
  locals: Record<string, unknown>;
  /**
   * The version of `fn` this frame runs (a workflow function's; absent: the
   * state's version for the root, the current build for others). Several
   * builds may run side by side in one state (runtime/upgrade.ts).
   */
  v?: string;
}

/** What a frame is resumed with: the settled value of what it awaited. */
export type ResumeInput = { ok: true; value: unknown } | { ok: false; error: unknown };

/**
 * The step function runs the frame from `frame.pc` with `input` as the value
 * of the awaited expression (at pc 0: `input.value` is the argument array)
 * until the next `await` or the end.
 * - Suspending: it sets `frame.pc` to the suspension id, replaces
 *   `frame.locals` with the live variables and returns `{ done: false, await }`.
 * - Returning: `{ done: true, value }`.
 * - Throwing: the frame's exception propagates as a normal JS throw.
 * A step function never reads anything but `frame` and `input` (and module
 * scope), so running it again from the same frame repeats the same segment.
 */
export type StepFn = (frame: Frame, input: ResumeInput) => StepResult;
export type StepResult = { done: false; await: unknown } | { done: true; value: unknown };

/** The record defineWorkflow() attaches to a compiled workflow function. */
export interface CompiledWorkflowRecord {
  meta: WorkflowMeta;
  step: StepFn;
}

/** Symbol under which the record is stored on the workflow function. */
export const WORKFLOW: unique symbol = Symbol.for('reawait.workflow');

/** A compiled workflow: still typed as the source function, carrying its record. */
export type CompiledWorkflow<F extends (...args: never[]) => Promise<unknown> = (...args: never[]) => Promise<unknown>> = F & {
  readonly [WORKFLOW]: CompiledWorkflowRecord;
};

// ---------------------------------------------------------------------------
// Commands: what a workflow awaits that the runtime serves durably
// ---------------------------------------------------------------------------

/** Brand on every command object (commands are plain data plus this brand). */
export const COMMAND: unique symbol = Symbol.for('reawait.command');

export type { Duration } from './duration.js';

export interface BackoffOptions {
  type: 'fixed' | 'exponential';
  /** Base delay in ms. */
  delay: number;
}

/**
 * A call that exhausted its retries is kept for a retry (handle.retry()) in
 * its 'call failed' history event, as `job: { args, options }` (the encoded
 * argument array and these options; engine/redispatch.ts): only failures pay
 * for it, and neither store's settlement or op format changes. A retry drops
 * that call's rejected settlement and dispatches the same job again. An event
 * trimmed by the history cap loses it: the rejection is then re-applied.
 */
/** A call's options as a command carries them: durations resolved to ms (the stub's options are in workflow.ts). */
export interface ActivityOptions {
  /** Retries after the first attempt (default 0). */
  retries?: number;
  backoff?: BackoffOptions;
  /** Per-attempt timeout in ms; the activity's AbortSignal fires when it passes. */
  timeout?: number;
  /** Names of errors that fail the call at once, without the retries left. */
  nonRetryable?: string[];
}

export interface CallCommand {
  kind: 'call';
  activity: string;
  args: unknown[];
  options: ActivityOptions;
}
export interface SleepCommand {
  kind: 'sleep';
  ms: number;
}
export interface SignalCommand {
  kind: 'signal';
  name: string;
  /** Resolve to undefined when this many ms pass first. */
  timeoutMs?: number;
}
export interface ChildCommand {
  kind: 'child';
  workflow: string;
  args: unknown[];
  id?: string;
}
/** A durable operation: an op of the execution's promise table once a running workflow calls it (fibers.md). */
export type LeafCommand = CallCommand | SleepCommand | SignalCommand | ChildCommand;

/** Outside a running workflow (native runs of the source) a durable operation is this command object. */
export type Command = LeafCommand;

/** The ready rule of a watch (ready-rules.ts): one op, or a combinator's. */
export type GroupMode = 'single' | 'all' | 'allSettled' | 'race' | 'any';

// ---------------------------------------------------------------------------
// The state document
// ---------------------------------------------------------------------------

export const STATE_VERSION = 2 as const;

/**
 * The encoded state of a suspended execution, as stored (JSON): its fibers
 * and its promise table (runtime/fibers.md; runtime/state-codec.ts writes and
 * reads it). The header is plain JSON so that tools can read where each
 * fiber is without the codec; everything user-valued (locals, entries, their
 * values and reactions) sits in `data`, one codec payload, so that shared
 * and cyclic references across fibers survive.
 *
 *   {"v":2,"workflow":"videoPipeline","version":"3f9a…","fibers":[[1],[4,"encodeOne",2,9]],"data":[…]}
 */
export interface StateDoc {
  v: typeof STATE_VERSION;
  workflow: string;
  version: string;
  /**
   * Live fibers in id order: the root (fiber 0, running `workflow`) as
   * `[pc, line?]`, every other as `[id, fn, pc, line?]` (fn: a workflow
   * function's name or an async closure site); line: the await it waits at,
   * left out for a root that waits on an operation itself (the execution's
   * `at` says it).
   */
  fibers: (number | string)[][];
  /**
   * The version each non-root workflow function's fibers run, by function
   * name; a fiber running another version writes its fn as `name@version`.
   */
  fv?: Record<string, string>;
  /** `[graph, nextId, rows]`; see state-codec.ts. Only runtime/state-codec.ts reads or writes it. */
  data: unknown;
}

// ---------------------------------------------------------------------------
// Closure sites (fibers; see runtime/fibers.md)
// ---------------------------------------------------------------------------
//
// Every function written inside a workflow, at any depth (arrow, function
// expression or declaration, object-literal method/getter/setter, async or
// not), is a closure site with id `<workflow>/<n>` (n = 1, 2, … in source
// order within its top-level workflow). The compiler stores every variable a
// nested function captures in an environment object (`$e1 = { x, y }`, one
// per scope with captured variables, made when the scope is entered: per
// iteration for loop bodies) and rewrites `x` to `$e1.x` on both sides.
// The module registers each site once, after its workflow's defineWorkflow:
//
//   _rw_site({ id: 'wf/1', kind: 'sync', envs: ['$e1'], … }, ($e1) => (y) => $e1.x + y);
//   _rw_site({ id: 'wf/2', kind: 'async', envs: ['$e1'], suspensions: […], … }, function wf$2$step($f, $r) { … });
//
// and creates the function value where the source creates it, with
//
//   _rw_closure('wf/1', $e1)
//
// which returns a real function (sync: made by the site's factory; async: a
// function that starts a fiber) carrying `{ site, envs }` for the codec.
// An async site's step function is a StepFn: at pc 0 its frame's locals hold
// the envs under their names (and `$this`, the receiver, when `ownThis`),
// and the input is the argument array.
//
// A module-level helper that makes closures (`function makeAdder(k) {
// return async (x) => … }`) is converted too: its sites are
// `<file>#<helper>/<n>`, registered first in the module, and its async
// sites pass their native code as defineSite's third argument (a factory
// over the envs), which runs when the closure is called outside a workflow.
//
// Other helpers the compiled code calls (all from 'reawait/workflow'):
//   _rw_resolve(v) / _rw_reject(e)   Promise.resolve / Promise.reject in a workflow
//   _rw_group(mode, iterable)        Promise.all / allSettled / race / any in a workflow
//   _rw_accessors(obj, [[key, get, set], …])   an object literal's getters/setters, made through their sites
//                                    (the literal holds `key: undefined` in their place)
//   _rw_TDZ                          the value of a captured let/const/class before its declaration ran
//   _rw_tdz(name)                    throws ReferenceError: Cannot access 'name' before initialization
//   _rw_const(name)                  throws TypeError: Assignment to constant variable.
//   _rw_forOf(iterable, method?)     the cursor of a for…of loop that holds an await (runtime/for-of.ts):
//   _rw_forOfNext(c) / _rw_forOfDone   data for arrays, strings, Maps and Sets; `method` for `of o.keys()` & co
//   _rw_forOfClose(c, threw?)        leaving the loop early (IteratorClose)
//   _rw_forOfPark(c) / _rw_forOfUnpark(c)   before every suspension inside the loop and right after its resume
//                                    (a Map/Set cursor keeps its position instead of its iterator)

/** A closure site's metadata: how the runtime makes, names and (async) resumes it. */
export interface SiteMeta {
  /** `<workflow>/<n>`. */
  id: string;
  /**
   * Hash of the site's code. A closure fiber's frame records it (Frame.v) and
   * resumes on that code: the current site's, a kept earlier build's, or the
   * current one's at a point with the same fingerprint (runtime/upgrade.ts).
   */
  version?: string;
  kind: 'sync' | 'async';
  /** The function's `name` as JS would infer it ('' when none). */
  name: string;
  /** The function's `length` (parameters before the first default or rest). */
  length: number;
  file: string;
  line: number;
  column: number;
  /** Names of the environment objects the function captures, in the order the factory takes them. */
  envs: string[];
  /** A non-arrow function: `this` is its receiver (async: kept in the frame as `$this`). */
  ownThis: boolean;
  /** async only: parameter names (display). */
  params?: string[];
  /** async only: suspension points, as WorkflowMeta.suspensions. */
  suspensions?: SuspensionMeta[];
  /** async only: as WorkflowMeta.display. */
  display?: Record<string, string>;
  /** Environment objects of the function's own scopes. */
  envLayout?: EnvLayout;
  /** async only: as WorkflowMeta.fingerprints. */
  fingerprints?: PointFingerprint[];
}

/**
 * Environment objects, for display: env local name → the source names of the
 * variables it holds (so `describe()` shows `x`, not `$e1.x`). Part of
 * WorkflowMeta and SiteMeta as `envLayout`.
 */
export type EnvLayout = Record<string, string[]>;

/** A sync site's factory: the envs in → the function (untagged; the runtime tags it). */
export type SiteFactory = (...envs: object[]) => (...args: never[]) => unknown;
