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
//   import { defineWorkflow as _rw_define, group as _rw_group } from 'reawait/workflow';
//   export function videoPipeline(...args) { return _rw_call(videoPipeline, args); }
//   _rw_define(videoPipeline, { name: 'videoPipeline', ... }, function videoPipeline$step(f, r) { ... });
//
// i.e. the exported binding keeps its name and (in the source's .ts) its
// signature; calling it returns a FrameCall command (so `await other(x)` in a
// workflow pushes a frame). defineWorkflow() attaches the metadata and the
// step function under the WORKFLOW symbol and registers it by name.
// Inside workflow bodies `Promise.all/allSettled/race/any(x)` is rewritten to
// `group('all' | 'allSettled' | 'race' | 'any', x)`.

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

export type Duration = number | `${number}${'ms' | 's' | 'm' | 'h' | 'd'}`;

export interface BackoffOptions {
  type: 'fixed' | 'exponential';
  /** Base delay in ms. */
  delay: number;
}

export interface ActivityOptions {
  /** Retries after the first attempt (default 0). */
  retries?: number;
  backoff?: BackoffOptions;
  /** Per-attempt timeout in ms; the activity's AbortSignal fires when it passes. */
  timeout?: number;
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
/** A durable command that occupies one slot of a group. */
export type LeafCommand = CallCommand | SleepCommand | SignalCommand | ChildCommand;

export type GroupMode = 'single' | 'all' | 'allSettled' | 'race' | 'any';

/** A slot in a group: a command to serve, or a plain value that is already settled. */
export type GroupItem = LeafCommand | { kind: 'value'; value: unknown };

export interface GroupCommand {
  kind: 'group';
  mode: Exclude<GroupMode, 'single'>;
  items: GroupItem[];
}

/** `await otherWorkflow(args)` inside a workflow: the driver pushes a frame. */
export interface FrameCall {
  kind: 'frame';
  fn: string;
  args: unknown[];
}

export type Command = LeafCommand | GroupCommand | FrameCall;

/**
 * The outstanding group a suspended execution waits for, normalised: a
 * single awaited command is a group of mode 'single' with one item.
 */
export interface Group {
  mode: GroupMode;
  items: GroupItem[];
}

/** One settled slot of a group, in completion order. */
export interface Settlement {
  index: number;
  ok: boolean;
  value?: unknown;
  error?: unknown;
}

// ---------------------------------------------------------------------------
// The state document
// ---------------------------------------------------------------------------

export const STATE_VERSION = 1 as const;

/**
 * The decoded state of one execution: a stack of frames (index 0 = the root
 * workflow) and the group the top frame waits for. This is what the codec
 * encodes into a StateDoc.
 */
export interface MachineState {
  workflow: string;
  version: string;
  frames: Frame[];
  group?: Group;
}

/**
 * The encoded state document, as stored (JSON). The header is plain JSON so
 * that tools can read it without the codec; everything user-valued (locals,
 * group arguments) sits in `data`, one codec payload, so that shared and
 * cyclic references between locals of any frame survive.
 *
 *   {"v":1,"workflow":"videoPipeline","version":"3f9a…","frames":[{"pc":1}],"data":[…]}
 */
export interface StateDoc {
  v: typeof STATE_VERSION;
  workflow: string;
  version: string;
  /** Bottom (root) first; the root frame leaves out `fn` when it is `workflow`. */
  frames: { fn?: string; pc: number }[];
  /**
   * Codec payload (devalue, parsed as JSON) of `[locals, groupTokens?]`:
   * `locals` is Frame['locals'][] (frames in the same order); the group, if
   * any, is one flat token list `[mode, kind, fields…, kind, fields…]` with
   * fields per kind: call (activity, args, options token 'r3 e500 t600000'), sleep (ms), signal
   * (name, timeoutMs), child (workflow, args, id), value (value). Only
   * runtime/codec.ts reads or writes it.
   */
  data: unknown;
}
