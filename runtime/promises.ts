/**
 * Durable promises: the entries of an execution's promise table (see
 * fibers.md). A DurablePromise is plain data — a state, a value, and the
 * reactions that run when it settles — so a state document can hold it and
 * every local, array slot and table row that refers to it gets the same
 * object back. It behaves as JavaScript's promises do, with JavaScript's
 * microtask order: every reaction of a settled entry is one job of the
 * scheduler's FIFO queue, never run inline.
 *
 * Invariant: a reaction is only ever added to a pending entry; adding one to
 * a settled entry queues its job instead. An entry settles once.
 */
import type { LeafCommand } from './contract.js';
import type { Fiber } from './machine.js';

export const PENDING = 0;
export const FULFILLED = 1;
export const REJECTED = 2;
export type PromiseState = typeof PENDING | typeof FULFILLED | typeof REJECTED;

export type CombinatorMode = 'all' | 'allSettled' | 'race' | 'any';
export type EntryKind = 'op' | 'fiber' | 'then' | 'value' | CombinatorMode;

/** What an op entry keeps once dispatched: enough to show it and to settle it (its arguments went to the outbox). */
export interface OpInfo {
  kind: LeafCommand['kind'];
  /** Activity, signal or child workflow name ('' for a sleep). */
  name: string;
  /** A child's execution id. */
  child?: string;
  /** When a sleep's timer is due, or a signal wait times out (ms since the epoch, from when it started): for describe(). */
  due?: number;
}

/**
 * What runs when an entry settles:
 * - f: resume fiber `fiber` with the outcome;
 * - c: count towards combinator `p` as its item `i`;
 * - t: run `onFulfilled`/`onRejected` and resolve `p` (the then-promise) with what it returns;
 * - fin: run `onFinally` and settle `p` like the source (a `.finally`);
 * - a: settle `p` like this entry (`p` was resolved with this entry);
 * - after: settle `p` with `outcome` once this entry fulfils, or with this entry's reason (the tail of a `.finally`).
 */
export type Reaction =
  | { t: 'f'; fiber: Fiber }
  | { t: 'c'; p: DurablePromise; i: number }
  | { t: 't'; p: DurablePromise; ok?: (value: unknown) => unknown; err?: (reason: unknown) => unknown }
  | { t: 'fin'; p: DurablePromise; fn: () => unknown }
  | { t: 'a'; p: DurablePromise }
  | { t: 'after'; p: DurablePromise; ok: boolean; v: unknown };

/**
 * The execution running now, as the entries and the workflow API see it: it
 * queues reaction jobs, tracks unhandled rejections, and makes new entries
 * (machine.ts implements it). It is set only while a job runs synchronously,
 * so code running later (a foreign promise's callback) never sees it.
 */
/** What a running workflow may learn about its own execution (workflowInfo()). */
export interface WorkflowInfo {
  /** The execution's id. */
  id: string;
  /** The workflow's name and the version (code hash) this resume runs. */
  workflow: string;
  version: string;
  /** When the execution was started (ms since the epoch; runWorkflow: its virtual start). */
  startTime: number;
  /** How many resumes were committed before this one (0: the first run). */
  resume: number;
  /**
   * Which try of this resume this is: 1 the first time the code runs from
   * the last saved state (from the arguments, before the first suspension);
   * 2, 3, … when the same resume runs again because its worker died or
   * stalled before committing, or because the execution failed and was
   * retried (retry()). Each suspension starts the count again. Always 1
   * under runWorkflow.
   */
  attempt: number;
}

export interface Scheduler {
  /** The execution this scheduler runs, for workflowInfo(). */
  info(): WorkflowInfo;
  /** Keep `fn` with the state as query `name` (expose()). */
  expose(name: string, fn: () => unknown): void;
  react(rx: Reaction, from: DurablePromise): void;
  /** `p` was rejected with nobody reacting to it yet. */
  rejected(p: DurablePromise): void;
  /** A rejected `p` got its first reaction. */
  handled(p: DurablePromise): void;
  then(source: DurablePromise, onFulfilled: unknown, onRejected: unknown): DurablePromise;
  finally(source: DurablePromise, onFinally: unknown): DurablePromise;
  /** Start a durable operation (activity call, timer, signal wait, child). */
  op(cmd: LeafCommand): DurablePromise;
  /** Call a workflow function or an async closure: its first segment runs now; the fiber's promise is returned. */
  /** `v`: the version of workflow function `fn` to run (the calling build's). */
  startFiber(fn: string, locals: Record<string, unknown>, args: unknown[], v?: string): DurablePromise;
  group(mode: CombinatorMode, items: Iterable<unknown>): DurablePromise;
  resolve(value: unknown): DurablePromise;
  reject(reason: unknown): DurablePromise;
}

/** The scheduler running now (set by the machine only while a job runs synchronously). */
let active: Scheduler | null = null;

export function setActive(s: Scheduler | null): Scheduler | null {
  const prev = active;
  active = s;
  return prev;
}

export function activeScheduler(): Scheduler | null {
  return active;
}

function requireActive(what: string): Scheduler {
  if (!active)
    throw new TypeError(
      `reawait: '${what}' was called on a durable promise outside a workflow's own code (for example after an await in a function that is not 'use workflow'); ` +
        `mark the function that awaits it 'use workflow', or await it in the workflow itself`,
    );
  return active;
}

export class DurablePromise<T = unknown> implements PromiseLike<T> {
  state: PromiseState = PENDING;
  value: unknown = undefined;
  /** Reactions while pending (cleared when it settles). */
  reactions: Reaction[] = [];
  /** Someone reacted to it (an unhandled rejection is one nobody reacted to). */
  handled = false;
  /** op entries: what the operation is. */
  op?: OpInfo;
  /** Combinators: the items, and the per-item results / reasons gathered so far. */
  items?: unknown[];
  results?: unknown[];
  /** Combinators: items not yet settled (all, allSettled) or not yet rejected (any). */
  remaining?: number;
  /**
   * Where it was made, for an unhandled rejection's message: `file:line` of
   * the await the making fiber had resumed from (kept in the state only while
   * it is pending and unhandled).
   */
  site?: string;

  constructor(
    readonly id: number,
    /** Fixed once made (the state codec fills it in when it reads a row). */
    public kind: EntryKind,
  ) {}

  then<R1 = T, R2 = never>(onFulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null, onRejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null): DurablePromise<R1 | R2> {
    return requireActive('then').then(this, onFulfilled, onRejected) as DurablePromise<R1 | R2>;
  }

  catch<R = never>(onRejected?: ((reason: unknown) => R | PromiseLike<R>) | null): DurablePromise<T | R> {
    return requireActive('catch').then(this, undefined, onRejected) as DurablePromise<T | R>;
  }

  finally(onFinally?: (() => void) | null): DurablePromise<T> {
    return requireActive('finally').finally(this, onFinally) as DurablePromise<T>;
  }

  get [Symbol.toStringTag](): string {
    return 'Promise';
  }
}
// `instanceof Promise` holds, as for the promise an async function returns; the
// native Promise methods refuse it (it has no internal slots): loud, not wrong.
Object.setPrototypeOf(DurablePromise.prototype, Promise.prototype);

export function isDurablePromise(v: unknown): v is DurablePromise {
  return v instanceof DurablePromise;
}

/** Settle `p` once; its reactions become jobs in order. */
export function settle(jobs: Scheduler, p: DurablePromise, ok: boolean, value: unknown): void {
  if (p.state !== PENDING) return;
  p.state = ok ? FULFILLED : REJECTED;
  p.value = value;
  const rxs = p.reactions;
  p.reactions = [];
  if (!ok && rxs.length === 0 && !p.handled) jobs.rejected(p);
  for (const rx of rxs) jobs.react(rx, p);
}

/** Make `rx` run when `p` settles (now, as a job, if it has). */
export function subscribe(jobs: Scheduler, p: DurablePromise, rx: Reaction): void {
  if (!p.handled) {
    p.handled = true;
    if (p.state === REJECTED) jobs.handled(p);
  }
  if (p.state === PENDING) p.reactions.push(rx);
  else jobs.react(rx, p);
}

/** A combinator's item `i` settled with (`ok`, `value`): JavaScript's resolve/reject element functions. */
export function combinatorItem(jobs: Scheduler, c: DurablePromise, i: number, ok: boolean, value: unknown): void {
  if (c.state !== PENDING) return;
  const results = c.results!;
  switch (c.kind) {
    case 'all':
      if (!ok) return settle(jobs, c, false, value);
      results[i] = value;
      if (--c.remaining! === 0) settle(jobs, c, true, results);
      return;
    case 'allSettled':
      results[i] = ok ? { status: 'fulfilled', value } : { status: 'rejected', reason: value };
      if (--c.remaining! === 0) settle(jobs, c, true, results);
      return;
    case 'race':
      return settle(jobs, c, ok, value);
    case 'any':
      if (ok) return settle(jobs, c, true, value);
      results[i] = value;
      if (--c.remaining! === 0) settle(jobs, c, false, new AggregateError(results, 'All promises were rejected'));
      return;
    default:
      throw new Error(`reawait: entry ${c.id} (${c.kind}) is not a combinator`);
  }
}

/** Whether an entry, once settled, settled with a fulfilment. */
export const fulfilled = (p: DurablePromise): boolean => p.state === FULFILLED;
