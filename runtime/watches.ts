/**
 * Watches: what the store needs to know to wake a waiting execution, in
 * O(1) per settlement, without running any workflow code (fibers.md,
 * "Watches"). Computed from a quiescent state at every commit, and sent as a
 * diff against the watches of the previous commit (kept in the state), so a
 * resume that advances one fiber of a thousand sends a few changes.
 *
 * Each outstanding op has a token: '' (nobody waits on it: its settlement is
 * recorded and applied at the next resume), '*' (its settlement alone makes
 * the execution ready), or a comma list of multi-op watch keys. A multi-op
 * watch has a mode and counters (n items, f fulfilled, r rejected) and the
 * ready rule of READY_RULES (group.ts) over them. The rule is exact for a
 * combinator over ops and plain values; anything with more structure gets a
 * 'race' watch over every op that can settle it without code running — an
 * over-approximation: the resume finds out in JS, and commits again if
 * nothing could run.
 */
import type { GroupMode } from './contract.js';
import { readyRule } from './ready-rules.js';
import { DurablePromise, FULFILLED, PENDING, REJECTED, type Reaction } from './promises.js';
import type { MachineState } from './machine.js';

export interface WatchDef {
  key: string;
  mode: GroupMode;
  n: number;
  f: number;
  r: number;
  /** Its member ops (outstanding). */
  ops: number[];
}

export interface WatchPlan {
  /** Ops whose token changed (new ops with a non-empty token included), in id order. */
  tokens: [op: number, token: string][];
  /** Multi-op watches that are new or whose counters changed. */
  set: WatchDef[];
  /** Multi-op watch keys no longer wanted. */
  unset: string[];
  /** No watch at all: nothing can ever wake this execution. */
  empty: boolean;
}

const CODE = new Set<Reaction['t']>(['f', 't', 'fin']);

/** The watch definition as the state keeps it (and the store compares counters by). */
export const watchDefText = (w: Pick<WatchDef, 'mode' | 'n' | 'f' | 'r'>): string => `${w.mode} ${w.n} ${w.f} ${w.r}`;

/**
 * Compute the watches of a quiescent state, store them in it as the
 * committed ones, and return the difference from the previous ones.
 */
export function planWatches(state: MachineState): WatchPlan {
  // Entries that code waits on, and the structural edges (what settles an entry without code running).
  const waited = new Map<number, DurablePromise>();
  const upstream = new Map<DurablePromise, DurablePromise[]>();
  const seen = new Set<DurablePromise>();
  const stack: DurablePromise[] = [...state.ops, ...state.fibers.map((f) => f.p)];
  while (stack.length) {
    const p = stack.pop()!;
    if (seen.has(p) || p.state !== PENDING) continue;
    seen.add(p);
    for (const rx of p.reactions) {
      if (rx.t === 'f') {
        waited.set(p.id, p);
        continue;
      }
      if (CODE.has(rx.t)) waited.set(p.id, p);
      else {
        const list = upstream.get(rx.p);
        if (list) list.push(p);
        else upstream.set(rx.p, [p]);
      }
      stack.push(rx.p);
    }
  }

  const single = new Set<number>();
  const multi = new Map<number, string[]>();
  const defs = new Map<string, WatchDef>();
  for (const p of waited.values()) {
    if (p.kind === 'op') {
      single.add(p.id);
      continue;
    }
    const def = exactCombinator(p, upstream) ?? approximate(p, upstream);
    if (!def) continue;
    if (def.ops.length === 1 && def.mode === 'race') {
      single.add(def.ops[0]!);
      continue;
    }
    defs.set(def.key, def);
    for (const op of def.ops) {
      const keys = multi.get(op);
      if (keys) keys.push(def.key);
      else multi.set(op, [def.key]);
    }
  }

  const tokens: [number, string][] = [];
  const nextTokens = new Map<number, string>();
  for (const op of state.ops) {
    const token = single.has(op.id) ? '*' : (multi.get(op.id)?.join(',') ?? '');
    if (token !== '') nextTokens.set(op.id, token);
    if ((state.tokens.get(op.id) ?? '') !== token) tokens.push([op.id, token]);
  }
  const set: WatchDef[] = [];
  const nextWatches = new Map<string, string>();
  for (const def of defs.values()) {
    const text = watchDefText(def);
    nextWatches.set(def.key, text);
    if (state.watches.get(def.key) !== text) set.push(def);
  }
  const unset = [...state.watches.keys()].filter((k) => !nextWatches.has(k));
  state.tokens = nextTokens;
  state.watches = nextWatches;
  return { tokens, set, unset, empty: nextTokens.size === 0 };
}

/** A combinator whose items are ops, settled entries or plain values: its own mode and counters, exactly. */
function exactCombinator(c: DurablePromise, upstream: Map<DurablePromise, DurablePromise[]>): WatchDef | undefined {
  if (c.kind === 'op' || c.kind === 'fiber' || c.kind === 'then' || c.kind === 'value' || !c.items) return undefined;
  // An entry that adopted another is settled by that one, not by its items.
  if ((upstream.get(c) ?? []).some((u) => !c.items!.includes(u))) return undefined;
  let f = 0;
  let r = 0;
  const ops: number[] = [];
  for (const item of c.items) {
    if (!(item instanceof DurablePromise)) f++;
    else if (item.state === FULFILLED) f++;
    else if (item.state === REJECTED) r++;
    else if (item.kind === 'op') ops.push(item.id);
    else return undefined;
  }
  return { key: `w${c.id}`, mode: c.kind, n: c.items.length, f, r, ops };
}

/** Any op that can settle `p` through combinators and adoption, without code running: wake on the first. */
function approximate(p: DurablePromise, upstream: Map<DurablePromise, DurablePromise[]>): WatchDef | undefined {
  const ops = new Set<number>();
  const seen = new Set<DurablePromise>();
  const stack = [p];
  while (stack.length) {
    const q = stack.pop()!;
    if (seen.has(q)) continue;
    seen.add(q);
    if (q.kind === 'op') {
      if (q.state === PENDING) ops.add(q.id);
      continue;
    }
    for (const u of upstream.get(q) ?? []) stack.push(u);
  }
  if (ops.size === 0) return undefined;
  return { key: `w${p.id}`, mode: 'race', n: ops.size, f: 0, r: 0, ops: [...ops].sort((a, b) => a - b) };
}

/**
 * The store's side of watches, in JS: what the embedded store and
 * runWorkflow keep per execution, and what the Redis scripts do in Lua.
 * Settlements are recorded against outstanding ops; a settlement fires when
 * its op's token is '*' or it completes a multi-op watch's ready rule.
 */
export class WatchTable {
  private readonly tokens = new Map<number, string>();
  private readonly counters = new Map<string, { mode: GroupMode; n: number; f: number; r: number }>();

  /**
   * Apply a commit's plan. `unconsumed` holds the settlements recorded but
   * not applied by the resume that committed (op → ok): they count towards
   * the new watches. Returns whether the execution is ready at once.
   */
  apply(plan: WatchPlan, unconsumed: ReadonlyMap<number, boolean>): boolean {
    for (const key of plan.unset) this.counters.delete(key);
    for (const [op, token] of plan.tokens) {
      if (token === '') this.tokens.delete(op);
      else this.tokens.set(op, token);
    }
    for (const w of plan.set) {
      const c = { mode: w.mode, n: w.n, f: w.f, r: w.r };
      for (const op of w.ops) {
        const ok = unconsumed.get(op);
        if (ok === true) c.f++;
        else if (ok === false) c.r++;
      }
      this.counters.set(w.key, c);
    }
    for (const op of unconsumed.keys()) if (this.tokens.get(op) === '*') return true;
    for (const c of this.counters.values()) if (ready(c)) return true;
    return false;
  }

  /** A settlement of `op` arrived (once per op): whether it makes the execution ready. */
  settle(op: number, ok: boolean): boolean {
    const token = this.tokens.get(op);
    if (!token) return false;
    if (token === '*') return true;
    let fire = false;
    for (const key of token.split(',')) {
      const c = this.counters.get(key);
      if (!c) continue;
      if (ok) c.f++;
      else c.r++;
      if (ready(c)) fire = true;
    }
    return fire;
  }

  /** `op` is no longer outstanding (its settlement was consumed, or it was dropped). */
  forget(op: number): void {
    this.tokens.delete(op);
  }
}

const ready = (c: { mode: GroupMode; n: number; f: number; r: number }): boolean => readyRule(c.mode)({ n: c.n, fulfilled: c.f, rejected: c.r });
