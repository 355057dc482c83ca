/**
 * The machine: runs one resume of an execution (see fibers.md). It applies
 * the settlements the store holds one at a time, each followed by the job
 * queue — fibers resumed by their step functions, reactions of settled
 * entries — in JavaScript's microtask order until nothing can run, and
 * reports what the store must commit: the new state, the ops started (the
 * outbox), the settlements consumed, the watches. It knows nothing of stores
 * or queues.
 *
 * Invariants:
 * - The execution is the ambient scheduler (promises.ts `setActive`) only
 *   while jobs run synchronously; it is cleared before any real await.
 * - A resume runs to quiescence: the queue is empty and no in-memory wait
 *   is left. Only then is a state produced, so a state never holds a job.
 * - Fibers and entries share one id space (`nextId`); a fiber's id is its
 *   promise's id; fiber 0 is the root, and a suspended state always has it.
 */
import type { CompiledWorkflowRecord, Frame, LeafCommand, ResumeInput, SiteMeta, StepFn, StepResult, SuspensionMeta } from './contract.js';
import { closureSite } from './closures.js';
import { UnknownWorkflowError, VersionMismatchError } from './errors.js';
import {
  combinatorItem,
  DurablePromise,
  FULFILLED,
  isDurablePromise,
  PENDING,
  REJECTED,
  setActive,
  settle,
  subscribe,
  type CombinatorMode,
  type Reaction,
  type Scheduler,
  type WorkflowInfo,
} from './promises.js';
import { CancelledError, isThenable, registeredWorkflow } from './workflow.js';
import { definitionAt } from './definitions.js';
import { planWatches, type WatchPlan } from './watches.js';

/** What a fiber runs: a workflow function or an async closure site. */
export interface StepRecord {
  step: StepFn;
  meta: { name: string; file: string; line: number; column: number; suspensions: SuspensionMeta[]; display?: Record<string, string> };
}

/** A workflow's record by name, at `version` when given (an earlier build's, when this process has it). */
export type Resolve = (name: string, version?: string) => CompiledWorkflowRecord;

/** One running async function: its frame, its promise, and what it waits for between resumes. */
export interface Fiber {
  id: number;
  frame: Frame;
  /** The fiber's own promise (what its caller holds). */
  p: DurablePromise;
  /** The entry it is blocked on, between resumes. */
  w?: DurablePromise;
}

/** The decoded state of a suspended execution (codec.ts encodes it as a StateDoc). */
export interface MachineState {
  workflow: string;
  version: string;
  nextId: number;
  /** Live fibers in id order; fiber 0, the root, first. */
  fibers: Fiber[];
  /** Outstanding ops (pending op entries) in id order. */
  ops: DurablePromise[];
  /** The watches last committed (watches.ts): op id → token, and multi-op watch key → definition. */
  tokens: Map<number, string>;
  watches: Map<string, string>;
}

/** Where a suspended execution waits: what `describe()` shows. */
export interface SuspendedAt {
  /** The function of the fiber at the end of the root's wait chain. */
  fn: string;
  version: string;
  pc: number;
  file: string;
  line: number;
  column: number;
  /** Fibers in the root's wait chain (1 = the root itself waits on an operation). */
  depth: number;
}

export interface UnhandledRejection {
  /** The entry that was rejected (an op id when it is an op). */
  id: number;
  /** `call 'charge'`, `fiber`, `Promise.all`, … */
  what: string;
  error: unknown;
  /** Where it was made: `file:line` of the await its fiber had resumed from (or the function's start). */
  site?: string;
}

/** What a resume did, besides the new state: what the store commits with it. */
export interface StepEffects {
  /** Ops started in this resume, with their commands: the outbox (dispatched only after the commit). */
  started: { op: number; cmd: LeafCommand }[];
  /** Ops whose settlements this resume applied (the store deletes those settlements). */
  consumed: number[];
  /** Outstanding ops this resume gave up (a cancel): their jobs are no longer wanted. */
  dropped: number[];
  unhandled: UnhandledRejection[];
}

/** How an execution ended: its outcome, and the ops still outstanding (they may keep running: fibers.md). */
export type Ended = { effects: StepEffects; outstanding: DurablePromise[] } & ({ kind: 'completed'; value: unknown } | { kind: 'failed'; error: unknown });

export type Advance = { kind: 'suspended'; state: MachineState; at: SuspendedAt; effects: StepEffects; watches: WatchPlan } | Ended;

/** One settlement the store holds for an outstanding op. */
export interface OpSettlement {
  op: number;
  ok: boolean;
  value: unknown;
}

export interface ResumeInputs {
  /** The arguments, for the first resume of a fresh state. */
  start?: readonly unknown[];
  /** Settlements of outstanding ops, in arrival order. */
  settlements?: readonly OpSettlement[];
  /** A cancel to deliver: every outstanding op is rejected with it. */
  cancel?: CancelledError;
}

export interface AdvanceOptions {
  /** Find a workflow record by name; default: the process registry (UnknownWorkflowError if missing). */
  resolve?: Resolve;
  /** Refuse to resume a state written by other code (default true). */
  checkVersion?: boolean;
  /** The execution's id (child ids are derived from it). */
  executionId?: string;
  /** The rev this resume starts at: ops it starts record it (default 0). */
  rev?: number;
  /** When the execution was started, for workflowInfo() (default: now). */
  startTime?: number;
  /** Which try of this resume this is, for workflowInfo() (default 1). */
  attempt?: number;
}

/**
 * A Resolve over `current` (the definition by name). A call that names its
 * version finds that exact build first: two modules may each define a helper
 * of one name that they do not export, and a fiber of one runs its own code.
 */
export function resolveBy(current: (name: string) => CompiledWorkflowRecord | undefined, known?: () => string[]): Resolve {
  return (name, version) => {
    if (version !== undefined) {
      const exact = definitionAt(name, version);
      if (exact) return exact;
    }
    const rec = current(name);
    if (rec && version !== undefined && rec.meta.version !== version) throw new VersionMismatchError(name, version, rec.meta.version);
    if (!rec) throw new UnknownWorkflowError(name, known?.());
    return rec;
  };
}

export const defaultResolve: Resolve = resolveBy(registeredWorkflow);

/** A fresh state for `record`: no fiber yet; the first resume gets `start: args`. */
export function initialState(record: CompiledWorkflowRecord): MachineState {
  return { workflow: record.meta.name, version: record.meta.version, nextId: 0, fibers: [], ops: [], tokens: new Map(), watches: new Map() };
}

/** Start a workflow: the first resume of a fresh state. */
export function start(record: CompiledWorkflowRecord, args: readonly unknown[], options: AdvanceOptions = {}): Promise<Advance> {
  return advance(initialState(record), { start: args }, options);
}

/** The step record of a fiber's function: a workflow by name, or an async closure site (`wf/3`). */
export function stepRecord(fn: string, resolve: Resolve, version?: string): StepRecord {
  if (fn.includes('/')) {
    const site = closureSite(fn, version);
    // A fiber of a site build that is not loaded: the execution waits for a worker that has it (upgrade.ts plans this first).
    if (!site && version !== undefined && closureSite(fn)) throw new VersionMismatchError(fn, version, closureSite(fn)!.meta.version ?? '');
    if (!site || site.meta.kind !== 'async') throw new UnknownWorkflowError(fn);
    return { step: (site as { step: StepFn }).step, meta: siteMeta(site.meta) };
  }
  return resolve(fn, version);
}

function siteMeta(m: SiteMeta): StepRecord['meta'] {
  return { name: m.id, file: m.file, line: m.line, column: m.column, suspensions: m.suspensions ?? [], ...(m.display ? { display: m.display } : {}) };
}

const outcomeOf = (p: DurablePromise): ResumeInput => (p.state === FULFILLED ? { ok: true, value: p.value } : { ok: false, error: p.value });

type Job =
  | { k: 'rx'; rx: Reaction; from: DurablePromise }
  | { k: 'fiber'; fiber: Fiber; input: ResumeInput }
  /** Resolving `p` with durable promise `x` takes a job before it subscribes (as JS's thenable job does). */
  | { k: 'adopt'; p: DurablePromise; x: DurablePromise }
  /** Follow a foreign thenable in memory (not persisted), then settle `p` or resume `fiber`. */
  | { k: 'foreign'; x: PromiseLike<unknown>; p?: DurablePromise; fiber?: Fiber };

/** One resume of one execution. */
class Execution implements Scheduler {
  private queue: Job[] = [];
  private head = 0;
  private waits = 0;
  private wake: (() => void) | undefined;
  private readonly fibers = new Map<number, Fiber>();
  private readonly outstanding = new Map<number, DurablePromise>();
  private readonly maybeUnhandled = new Set<DurablePromise>();
  readonly effects: StepEffects = { started: [], consumed: [], dropped: [], unhandled: [] };
  private readonly records = new Map<string, StepRecord>();
  /** The fiber whose step function runs now (null in a then-callback): new entries remember where they were made. */
  private running: Fiber | null = null;
  /** expose()d queries: name → a closure over the workflow's locals. */
  private exposed: Record<string, () => unknown> = {};

  constructor(
    readonly state: MachineState,
    private readonly resolveFn: Resolve,
    private readonly executionId: string,
    private readonly rev: number,
    private readonly startTime: number,
    private readonly attempt: number,
  ) {
    // The queries live in the root frame's locals between resumes, under a key no compiled local has.
    const root = state.fibers[0];
    const kept = root?.frame.locals[EXPOSED];
    if (root && kept && typeof kept === 'object') {
      this.exposed = kept as Record<string, () => unknown>;
      delete root.frame.locals[EXPOSED];
    }
    for (const f of state.fibers) this.fibers.set(f.id, f);
    for (const op of state.ops) this.outstanding.set(op.id, op);
  }

  /** The code a fiber runs: the root at the state's version, others at their frame's (fn@v). */
  record(fn: string, v?: string): StepRecord {
    const k = v === undefined ? fn : `${fn}@${v}`;
    let r = this.records.get(k);
    if (!r) this.records.set(k, (r = stepRecord(fn, this.resolveFn, v)));
    return r;
  }

  private fiberRecord(f: Fiber): StepRecord {
    return this.record(f.frame.fn, f.id === 0 ? this.state.version : f.frame.v);
  }

  private next(): number {
    return this.state.nextId++;
  }

  // -------------------------------------------------------------------------
  // Running jobs
  // -------------------------------------------------------------------------

  private push(job: Job): void {
    this.queue.push(job);
  }

  /** Run the queue until nothing can run (the queue is empty and no in-memory wait is left). */
  async drain(): Promise<void> {
    for (;;) {
      const prev = setActive(this);
      try {
        while (this.head < this.queue.length) {
          const job = this.queue[this.head++]!;
          this.run(job);
          if (this.head >= 4096 && this.head * 2 >= this.queue.length) {
            this.queue = this.queue.slice(this.head);
            this.head = 0;
          }
        }
      } finally {
        setActive(prev);
      }
      this.queue = [];
      this.head = 0;
      if (this.waits === 0) return;
      await new Promise<void>((r) => (this.wake = r));
    }
  }

  private run(job: Job): void {
    switch (job.k) {
      case 'fiber':
        return this.runFiber(job.fiber, job.input);
      case 'rx':
        return this.react1(job.rx, job.from);
      case 'adopt':
        return subscribe(this, job.x, { t: 'a', p: job.p });
      case 'foreign':
        return this.follow(job.x, job.p, job.fiber);
    }
  }

  private react1(rx: Reaction, from: DurablePromise): void {
    const ok = from.state === FULFILLED;
    const v = from.value;
    switch (rx.t) {
      case 'f':
        rx.fiber.w = undefined;
        return this.runFiber(rx.fiber, ok ? { ok: true, value: v } : { ok: false, error: v });
      case 'c':
        return combinatorItem(this, rx.p, rx.i, ok, v);
      case 'a':
        return settle(this, rx.p, ok, v);
      case 'after':
        return ok ? settle(this, rx.p, rx.ok, rx.v) : settle(this, rx.p, false, v);
      case 't': {
        const cb = ok ? rx.ok : rx.err;
        if (typeof cb !== 'function') return settle(this, rx.p, ok, v);
        let r: unknown;
        try {
          r = cb(v);
        } catch (e) {
          return settle(this, rx.p, false, e);
        }
        return this.resolveWith(rx.p, r);
      }
      case 'fin': {
        let r: unknown;
        try {
          r = rx.fn();
        } catch (e) {
          return settle(this, rx.p, false, e);
        }
        if (isDurablePromise(r)) return subscribe(this, r, { t: 'after', p: rx.p, ok, v });
        if (isThenable(r)) {
          const tail = this.entry('value');
          this.push({ k: 'foreign', x: r, p: tail });
          return subscribe(this, tail, { t: 'after', p: rx.p, ok, v });
        }
        return settle(this, rx.p, ok, v);
      }
    }
  }

  /** Run a fiber's step function from its frame with `input`, then handle what it awaits or returns. */
  private runFiber(fiber: Fiber, input: ResumeInput): void {
    const rec = this.fiberRecord(fiber);
    let r: StepResult;
    const outer = this.running;
    this.running = fiber;
    try {
      r = rec.step(fiber.frame, input);
      if (typeof r !== 'object' || r === null || typeof r.done !== 'boolean')
        throw new TypeError(`reawait: step function of '${fiber.frame.fn}' returned ${String(r)} at pc ${fiber.frame.pc}; expected { done, value | await }`);
    } catch (error) {
      this.fibers.delete(fiber.id);
      return settle(this, fiber.p, false, error);
    } finally {
      this.running = outer;
    }
    if (r.done) {
      this.fibers.delete(fiber.id);
      return this.resolveWith(fiber.p, r.value);
    }
    this.await(fiber, r.await);
  }

  private await(fiber: Fiber, x: unknown): void {
    if (isDurablePromise(x)) {
      fiber.w = x;
      subscribe(this, x, { t: 'f', fiber });
    } else if (isThenable(x)) this.push({ k: 'foreign', x, fiber });
    else this.push({ k: 'fiber', fiber, input: { ok: true, value: x } });
  }

  /** Resolve `p` with `x` as JavaScript's promise resolve functions do. */
  private resolveWith(p: DurablePromise, x: unknown): void {
    if (x === p) return settle(this, p, false, new TypeError('Chaining cycle detected for promise #<Promise>'));
    if (isDurablePromise(x)) this.push({ k: 'adopt', p, x });
    else if (isThenable(x)) this.push({ k: 'foreign', x, p });
    else settle(this, p, true, x);
  }

  /** Wait in memory for a foreign thenable (not persisted: a crash re-runs this segment). */
  private follow(x: PromiseLike<unknown>, p: DurablePromise | undefined, fiber: Fiber | undefined): void {
    let done = false;
    const finish = (ok: boolean, value: unknown): void => {
      if (done) return;
      done = true;
      this.waits--;
      if (fiber) this.push({ k: 'fiber', fiber, input: ok ? { ok: true, value } : { ok: false, error: value } });
      else if (ok) this.resolveWith(p!, value);
      else this.push({ k: 'rx', rx: { t: 'a', p: p! }, from: rejectedBox(value) });
      const wake = this.wake;
      this.wake = undefined;
      wake?.();
    };
    this.waits++;
    try {
      x.then(
        (v) => finish(true, v),
        (e: unknown) => finish(false, e),
      );
    } catch (e) {
      finish(false, e);
    }
  }

  // -------------------------------------------------------------------------
  // Scheduler: what entries and the workflow API call
  // -------------------------------------------------------------------------

  react(rx: Reaction, from: DurablePromise): void {
    this.push({ k: 'rx', rx, from });
  }

  rejected(p: DurablePromise): void {
    this.maybeUnhandled.add(p);
  }

  handled(p: DurablePromise): void {
    this.maybeUnhandled.delete(p);
  }

  entry(kind: DurablePromise['kind']): DurablePromise {
    const p = new DurablePromise(this.next(), kind);
    const f = this.running;
    if (f) {
      const rec = this.fiberRecord(f);
      p.site = `${rec.meta.file}:${rec.meta.suspensions[f.frame.pc]?.line ?? rec.meta.line}`;
    }
    return p;
  }

  then(source: DurablePromise, onFulfilled: unknown, onRejected: unknown): DurablePromise {
    const p = this.entry('then');
    const rx: Reaction = { t: 't', p };
    if (typeof onFulfilled === 'function') rx.ok = onFulfilled as (v: unknown) => unknown;
    if (typeof onRejected === 'function') rx.err = onRejected as (v: unknown) => unknown;
    subscribe(this, source, rx);
    return p;
  }

  finally(source: DurablePromise, onFinally: unknown): DurablePromise {
    if (typeof onFinally !== 'function') return this.then(source, undefined, undefined);
    const p = this.entry('then');
    subscribe(this, source, { t: 'fin', p, fn: onFinally as () => unknown });
    return p;
  }

  expose(name: string, fn: () => unknown): void {
    this.exposed[name] = fn;
  }

  info(): WorkflowInfo {
    return { id: this.executionId, workflow: this.state.workflow, version: this.state.version, startTime: this.startTime, resume: this.rev, attempt: this.attempt };
  }

  op(cmd: LeafCommand): DurablePromise {
    const p = this.entry('op');
    p.op = { kind: cmd.kind, name: opName(cmd) };
    const wait = cmd.kind === 'sleep' ? cmd.ms : cmd.kind === 'signal' ? cmd.timeoutMs : undefined;
    if (wait !== undefined) p.op.due = Date.now() + wait;
    if (cmd.kind === 'child') {
      cmd = { ...cmd, id: cmd.id ?? childId(this.executionId, p.id) };
      p.op.child = cmd.id;
    }
    this.outstanding.set(p.id, p);
    this.effects.started.push({ op: p.id, cmd });
    return p;
  }

  startFiber(fn: string, locals: Record<string, unknown>, args: unknown[], v?: string): DurablePromise {
    const p = this.entry('fiber');
    const fiber: Fiber = { id: p.id, frame: { fn, pc: 0, locals, ...(v !== undefined && p.id !== 0 ? { v } : {}) }, p };
    this.fibers.set(fiber.id, fiber);
    this.runFiber(fiber, { ok: true, value: args });
    return p;
  }

  group(mode: CombinatorMode, iterable: Iterable<unknown>): DurablePromise {
    const c = this.entry(mode);
    const items = [...iterable];
    c.items = items;
    c.results = new Array<unknown>(items.length);
    c.remaining = items.length;
    if (items.length === 0) {
      if (mode === 'all' || mode === 'allSettled') settle(this, c, true, []);
      else if (mode === 'any') settle(this, c, false, new AggregateError([], 'All promises were rejected'));
      return c; // race([]) stays pending forever, as in JS
    }
    items.forEach((item, i) => {
      const p = isDurablePromise(item) ? item : this.resolve(item);
      subscribe(this, p, { t: 'c', p: c, i });
    });
    return c;
  }

  resolve(value: unknown): DurablePromise {
    if (isDurablePromise(value)) return value;
    const p = this.entry('value');
    this.resolveWith(p, value);
    return p;
  }

  reject(reason: unknown): DurablePromise {
    const p = this.entry('value');
    settle(this, p, false, reason);
    return p;
  }

  // -------------------------------------------------------------------------
  // One resume
  // -------------------------------------------------------------------------

  /**
   * Apply the settlements one at a time, each followed by every job it causes:
   * they arrived one after another, and JS runs an event's microtasks before
   * the next event. Settled together, a later rejection that reaches a
   * combinator through fewer jobs would overtake an earlier one.
   */
  async applySettlements(list: readonly OpSettlement[]): Promise<void> {
    for (const s of list) {
      const p = this.outstanding.get(s.op);
      if (!p) continue; // consumed or dropped already: a late duplicate
      this.outstanding.delete(s.op);
      this.effects.consumed.push(s.op);
      const prev = setActive(this);
      try {
        settle(this, p, s.ok, s.value);
      } finally {
        setActive(prev);
      }
      await this.drain();
    }
  }

  /** A cancel rejects every outstanding op with the CancelledError (nobody has to handle it). */
  cancelAll(error: CancelledError): void {
    for (const [id, p] of [...this.outstanding]) {
      this.outstanding.delete(id);
      this.effects.dropped.push(id);
      p.handled = true;
      settle(this, p, false, error);
    }
  }

  /** Run the root fiber's first segment (the execution's first resume). */
  startRoot(args: readonly unknown[]): DurablePromise {
    if (this.state.nextId !== 0 || this.fibers.size) throw new Error(`reawait: execution of '${this.state.workflow}' was started twice`);
    return this.startFiber(this.state.workflow, {}, [...args]);
  }

  root(): Fiber | undefined {
    return this.fibers.get(0);
  }

  /** Record rejections nobody handled by the end of this resume (they do not change the result). */
  reportUnhandled(): void {
    for (const p of this.maybeUnhandled) {
      if (p.handled || p.state !== REJECTED || p.id === 0) continue;
      p.handled = true;
      this.effects.unhandled.push({ id: p.id, what: describeEntry(p), error: p.value, ...(p.site ? { site: p.site } : {}) });
    }
    this.maybeUnhandled.clear();
  }

  /** The state to save: live fibers and outstanding ops in id order. */
  finalState(): MachineState {
    const s = this.state;
    s.fibers = [...this.fibers.values()].sort((a, b) => a.id - b.id);
    const root = s.fibers[0];
    if (root?.id === 0 && Object.keys(this.exposed).length) root.frame.locals[EXPOSED] = this.exposed;
    s.ops = [...this.outstanding.values()].sort((a, b) => a.id - b.id);
    return s;
  }

  /** Where the root waits: follow its wait chain through fibers. */
  where(): SuspendedAt {
    let fiber = this.fibers.get(0)!;
    let depth = 1;
    for (;;) {
      const w = fiber.w;
      const next = w && w.kind === 'fiber' && w.state === PENDING ? this.fibers.get(w.id) : undefined;
      if (!next || depth > this.fibers.size) break;
      fiber = next;
      depth++;
    }
    const rec = this.fiberRecord(fiber);
    const sp = rec.meta.suspensions[fiber.frame.pc];
    return { fn: fiber.frame.fn, version: fiber.id === 0 ? this.state.version : (fiber.frame.v ?? this.state.version), pc: fiber.frame.pc, file: rec.meta.file, line: sp?.line ?? rec.meta.line, column: sp?.column ?? rec.meta.column, depth };
  }
}

/** The root-frame local that holds the expose()d queries between resumes (`~` starts no identifier). */
export const EXPOSED = '~exposed';

/** A settled-rejected stand-in, for a foreign rejection that settles an entry through an 'a' reaction. */
function rejectedBox(reason: unknown): DurablePromise {
  const p = new DurablePromise(-1, 'value');
  p.state = REJECTED;
  p.value = reason;
  p.handled = true;
  return p;
}

function opName(cmd: LeafCommand): string {
  switch (cmd.kind) {
    case 'call':
      return cmd.activity;
    case 'signal':
      return cmd.name;
    case 'child':
      return cmd.workflow;
    case 'sleep':
      return '';
  }
}

/** Child executions get `~c:<parent>:<op>` unless the workflow named one: ids starting with '~' are reserved. */
export function childId(parent: string, op: number): string {
  return `~c:${parent}:${op}`;
}

export function describeEntry(p: DurablePromise): string {
  if (p.kind === 'op' && p.op) return p.op.kind === 'sleep' ? 'sleep' : `${p.op.kind} '${p.op.name}'`;
  if (p.kind === 'fiber') return 'async function';
  if (p.kind === 'then') return '.then()';
  if (p.kind === 'value') return 'Promise.reject()';
  return `Promise.${p.kind}()`;
}

/**
 * Run one resume of `state` with `inputs` until nothing can run; then it is
 * suspended (with what to commit), completed or failed. Takes ownership of
 * `state`. Infrastructure errors (an unknown workflow, a version mismatch)
 * are thrown, not fed to the workflow.
 */
export async function advance(state: MachineState, inputs: ResumeInputs, options: AdvanceOptions = {}): Promise<Advance> {
  const resolve = options.resolve ?? defaultResolve;
  if (options.checkVersion !== false) {
    const root = resolve(state.workflow, state.version);
    if (root.meta.version !== state.version) throw new VersionMismatchError(state.workflow, state.version, root.meta.version);
  }
  const ex = new Execution(state, resolve, options.executionId ?? 'test', options.rev ?? 0, options.startTime ?? Date.now(), options.attempt ?? 1);
  const prev = setActive(ex);
  let rootP: DurablePromise | undefined;
  try {
    rootP = inputs.start ? ex.startRoot(inputs.start) : ex.root()?.p;
    if (!rootP) throw new TypeError(`reawait: the state of workflow '${state.workflow}' has no root fiber`);
    if (inputs.cancel) ex.cancelAll(inputs.cancel);
  } finally {
    setActive(prev);
  }
  await ex.drain();
  if (inputs.settlements) await ex.applySettlements(inputs.settlements);
  ex.reportUnhandled();
  const effects = ex.effects;
  const next = ex.finalState();
  const outstanding = next.ops;
  if (rootP.state === FULFILLED) return { kind: 'completed', value: rootP.value, effects, outstanding };
  if (rootP.state === REJECTED) return { kind: 'failed', error: rootP.value, effects, outstanding };
  const watches = planWatches(next);
  if (watches.empty) {
    const at = ex.where();
    return {
      kind: 'failed',
      error: new Error(
        `reawait: workflow '${state.workflow}' can never finish: it waits at ${at.file}:${at.line}:${at.column + 1} (in '${at.fn}') for promises that nothing can settle any more`,
      ),
      effects,
      outstanding,
    };
  }
  return { kind: 'suspended', state: next, at: ex.where(), effects, watches };
}
