/**
 * The state document (v2, contract.ts StateDoc): a suspended execution's
 * fibers and promise table as JSON.
 *
 *   fibers = [[pc, line?] (the root, fiber 0), [id, fn, pc, line?], …]
 *   fv     = { fn: version } of the non-root workflow functions (fn@version: a fiber on another one)
 *   data   = [graph, nextId, rows]
 *   graph  = one codec payload of [locals of each fiber, vals]
 *   row    = [id, kind, state (+4 when handled), reactions, extra, val, site]
 *
 * The header and the rows are plain JSON the runtime writes itself: tools
 * read where each fiber waits without the codec, and a state of a thousand
 * fibers is mostly small arrays of numbers, cheap to write and to read.
 * Everything user-valued — the locals, an entry's value, a combinator's
 * items and results, a then-callback — is in the one codec graph (`vals`
 * holds the values rows refer to, by index; -1: none), so shared and cyclic
 * references across fibers, closures and entries survive; a durable promise
 * inside a value is written as a reference to its row (the codec's
 * external objects).
 *
 * Rows: trailing empty fields are left out. kind is 'o' (op: then written
 * as its `kind:name` string, `call:encodeVideo`), 'f', 't', 'v', or 'A' 'S'
 * 'R' 'Y' (all, allSettled, race, any). reactions are flat tokens (entries
 * and fibers by id): f fiber | c id i | t id okVal errVal | fin id fnVal |
 * a id | after id ok vVal. extra is a child op's execution id, when a
 * sleep or a signal wait with a timeout is due (ms since the epoch), or a
 * combinator's [items, remaining, resultsVal]: items are the entries' ids
 * when every item is an entry, else the val of the items array. site is
 * where a pending, unhandled entry was made (for its unhandled rejection).
 *
 * Only reachable entries are saved: from the fibers (locals, own promise,
 * what they wait on) and the outstanding ops, through values and reactions;
 * a settled entry nobody can reach is dropped. Derived on reading rather
 * than stored: what each fiber waits on (its 'f' reaction), the promise of
 * a fiber nobody reacts to yet, and the committed watches (planWatches over
 * the decoded state gives the watches the commit sent).
 */
import { STATE_VERSION, type StateDoc } from './contract.js';
import { closureTag } from './closures.js';
import { decodeGraphWith, DecodeError, encodeGraph, Refusal, refusalOf } from './codec.js';
import { CorruptStateError, StateEncodeError, type AwaitSite } from './errors.js';
import { stepRecord, defaultResolve, type Resolve } from './machine.js';
import type { Fiber, MachineState } from './machine.js';
import { planWatches } from './watches.js';
import { DurablePromise, PENDING, type EntryKind, type OpInfo, type Reaction } from './promises.js';
import type { LeafCommand } from './contract.js';

const KIND_CODE: Record<EntryKind, string> = { op: 'o', fiber: 'f', then: 't', value: 'v', all: 'A', allSettled: 'S', race: 'R', any: 'Y' };
const CODE_KIND: Record<string, EntryKind> = Object.fromEntries(Object.entries(KIND_CODE).map(([k, v]) => [v, k as EntryKind]));
const OP_KINDS = new Set<LeafCommand['kind']>(['call', 'sleep', 'signal', 'child']);
const NONE = -1;

/** Every durable promise reachable from `roots` through values (arrays, objects, Maps, Sets, errors, closures' envs) and entries. */
function reachableEntries(state: MachineState): DurablePromise[] {
  const entries = new Set<DurablePromise>();
  const seen = new Set<object>();
  const stack: unknown[] = [];
  for (const f of state.fibers) stack.push(f.frame.locals, f.p, f.w);
  for (const op of state.ops) stack.push(op);
  while (stack.length) {
    const v = stack.pop();
    if ((typeof v !== 'object' && typeof v !== 'function') || v === null || seen.has(v)) continue;
    seen.add(v);
    if (v instanceof DurablePromise) {
      entries.add(v);
      stack.push(v.value, v.items, v.results);
      for (const rx of v.reactions) pushReaction(rx, stack);
      continue;
    }
    if (typeof v === 'function') {
      const tag = closureTag(v);
      if (tag) stack.push(...tag.envs);
    }
    if (v instanceof Map) for (const [k, x] of v) stack.push(k, x);
    else if (v instanceof Set) for (const x of v) stack.push(x);
    // Every own property, as the codec saves them: no getter runs here, an accessor's functions are walked.
    for (const key of Reflect.ownKeys(v)) {
      const d = Object.getOwnPropertyDescriptor(v, key)!;
      if ('value' in d) stack.push(d.value);
      else stack.push(d.get, d.set);
    }
  }
  return [...entries].sort((a, b) => a.id - b.id);
}

function pushReaction(rx: Reaction, stack: unknown[]): void {
  switch (rx.t) {
    case 'f':
      stack.push(rx.fiber.p, rx.fiber.frame.locals);
      return;
    case 't':
      stack.push(rx.p, rx.ok, rx.err);
      return;
    case 'fin':
      stack.push(rx.p, rx.fn);
      return;
    case 'after':
      stack.push(rx.p, rx.v);
      return;
    default:
      stack.push(rx.p);
  }
}

/** The user values rows refer to, by index (encoded in the codec graph with the locals). */
class Vals {
  readonly list: unknown[] = [];
  ref(v: unknown): number {
    if (v === undefined) return NONE;
    this.list.push(v);
    return this.list.length - 1;
  }
}

function reactionTokens(rxs: Reaction[], vals: Vals): (string | number)[] {
  const t: (string | number)[] = [];
  for (const rx of rxs) {
    switch (rx.t) {
      case 'f':
        t.push('f', rx.fiber.id);
        break;
      case 'c':
        t.push('c', rx.p.id, rx.i);
        break;
      case 't':
        t.push('t', rx.p.id, vals.ref(rx.ok), vals.ref(rx.err));
        break;
      case 'fin':
        t.push('fin', rx.p.id, vals.ref(rx.fn));
        break;
      case 'a':
        t.push('a', rx.p.id);
        break;
      case 'after':
        t.push('after', rx.p.id, rx.ok ? 1 : 0, vals.ref(rx.v));
        break;
    }
  }
  return t;
}

function rowOf(p: DurablePromise, vals: Vals): unknown[] {
  let extra: unknown = p.op?.child ?? p.op?.due;
  if (p.items) {
    // Items that are all entries are written as their ids: most combinators are over calls.
    const items = p.items.every((x) => x instanceof DurablePromise) ? p.items.map((x) => (x as DurablePromise).id) : vals.ref(p.items);
    const results = p.kind !== 'race' && p.remaining !== p.items.length ? vals.ref(p.results) : NONE;
    extra = results === NONE ? [items, p.remaining] : [items, p.remaining, results];
  }
  const kind = p.kind === 'op' ? `${p.op!.kind}:${p.op!.name}` : KIND_CODE[p.kind];
  // Where it was made matters only for a rejection nobody handles yet.
  const site = p.state === PENDING && !p.handled ? p.site : undefined;
  const row: unknown[] = [p.id, kind, p.state + (p.handled ? 4 : 0), p.reactions.length ? reactionTokens(p.reactions, vals) : 0, extra ?? 0, vals.ref(p.value), site ?? 0];
  // Trailing empty fields left out: no site (0), no value (-1: a val index may be 0), no extra or reactions (0).
  if (row[6] === 0) row.length = 6;
  if (row.length === 6 && row[5] === NONE) row.length = 5;
  while (row.length > 3 && row.length <= 5 && row[row.length - 1] === 0) row.pop();
  return row;
}

/** A live fiber's own promise that nobody reacts to: its row is implied by the fiber. */
const implied = (p: DurablePromise, fibers: ReadonlySet<number>): boolean =>
  p.kind === 'fiber' && p.state === PENDING && !p.handled && p.reactions.length === 0 && fibers.has(p.id);

/** Durable promises are written as references to their rows (the codec's external objects). */
const entryRef = (v: object): number | undefined => (v instanceof DurablePromise ? v.id : undefined);

/** Encode a suspended state; StateEncodeError naming the first local that cannot be saved. */
export function encodeState(state: MachineState, resolve: Resolve = defaultResolve): string {
  const entries = reachableEntries(state);
  const live = new Set(state.fibers.map((f) => f.id));
  const vals = new Vals();
  const rows = entries.filter((p) => !implied(p, live)).map((p) => rowOf(p, vals));
  const locals = state.fibers.map((f) => f.frame.locals);
  const root = [locals, vals.list];
  // The records the runtime made (never seen by user code): only their contents need the codec's checks.
  const trusted = new Set<object>([root, locals, ...locals, vals.list]);
  let graph: string;
  try {
    graph = encodeGraph(root, trusted, entryRef);
  } catch (e) {
    if (e instanceof Refusal) throw explainStateFailure(state, e, resolve);
    throw e;
  }
  // The version each non-root workflow function runs: once per function (fv), `fn@v` for a fiber on another one.
  const fv: Record<string, string> = {};
  for (const f of state.fibers) if (f.id !== 0 && f.frame.v !== undefined && !(f.frame.fn in fv)) fv[f.frame.fn] = f.frame.v;
  const header: Omit<StateDoc, 'data'> = {
    v: STATE_VERSION,
    workflow: state.workflow,
    version: state.version,
    fibers: state.fibers.map((f, i) => {
      if (i === 0 && (f.id !== 0 || f.frame.fn !== state.workflow)) throw new Error(`reawait: the first fiber of a state must be the root, got fiber ${f.id} ('${f.frame.fn}')`);
      // A root that waits on an op itself is where the execution waits: the store's `at` has its line already.
      const line = i === 0 && f.w?.kind !== 'fiber' ? undefined : lineOf(f, resolve, i === 0 ? state.version : f.frame.v);
      const at = line === undefined ? [f.frame.pc] : [f.frame.pc, line];
      const fn = f.frame.v !== undefined && fv[f.frame.fn] !== f.frame.v ? `${f.frame.fn}@${f.frame.v}` : f.frame.fn;
      return i === 0 ? at : [f.id, fn, ...at];
    }),
    ...(Object.keys(fv).length ? { fv } : {}),
  };
  return `${JSON.stringify(header).slice(0, -1)},"data":[${graph},${state.nextId},${JSON.stringify(rows)}]}`;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Parse a StateDoc back into a MachineState; CorruptStateError with the reason on anything malformed. */
export function decodeState(text: string): MachineState {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new CorruptStateError(`not JSON (${(e as Error).message})`);
  }
  if (!isRecord(doc)) throw new CorruptStateError(`expected a JSON object, got ${Array.isArray(doc) ? 'an array' : typeof doc}`);
  if (doc.v !== STATE_VERSION) throw new CorruptStateError(`unsupported format version ${JSON.stringify(doc.v)} (this runtime reads v${STATE_VERSION})`);
  if (typeof doc.workflow !== 'string' || doc.workflow === '') throw new CorruptStateError(`missing or invalid 'workflow' name`);
  if (typeof doc.version !== 'string') throw new CorruptStateError(`missing or invalid 'version' of workflow '${doc.workflow}'`);
  if (!Array.isArray(doc.fibers) || doc.fibers.length === 0) throw new CorruptStateError(`'fibers' must be a non-empty array`);
  const workflow = doc.workflow;
  if (doc.fv !== undefined && (!isRecord(doc.fv) || !Object.values(doc.fv).every((x) => typeof x === 'string'))) throw new CorruptStateError(`'fv' must map function names to versions`);
  const fv = doc.fv as Record<string, string> | undefined;
  const heads = doc.fibers.map((f: unknown, i: number) => {
    const ok = Array.isArray(f) && f.every((x, j) => (i > 0 && j === 1 ? typeof x === 'string' && x !== '' : Number.isInteger(x) && (x as number) >= 0));
    const [id, fn, pc] = !ok ? [] : i === 0 ? [0, workflow, f[0]] : [f[0], f[1], f[2]];
    if (!ok || typeof pc !== 'number' || (i === 0 ? f.length > 2 : f.length < 3 || f.length > 4))
      throw new CorruptStateError(`fiber ${i} must be ${i === 0 ? '[pc, line?] (the root)' : '[id, fn, pc, line?]'}, got ${JSON.stringify(f)}`);
    const [name, v] = splitVersion(fn as string);
    return { id: id as number, fn: name, pc, v: v ?? (i > 0 && fv ? fv[name] : undefined) };
  });
  if (!Array.isArray(doc.data) || doc.data.length !== 3 || !Number.isInteger(doc.data[1]) || !Array.isArray(doc.data[2]))
    throw new CorruptStateError(`'data' must hold [graph, nextId, rows]`);
  const [rawGraph, nextId, rows] = doc.data as [unknown, number, unknown[]];

  const byId = new Map<number, DurablePromise>();
  const filled = new Set<number>();
  // Allocated at first reference (a row may be referenced before it is read); its row fills it below.
  const entry = (id: number): DurablePromise => {
    let p = byId.get(id);
    if (!p) byId.set(id, (p = new DurablePromise(id, 'value')));
    return p;
  };
  let graph: unknown;
  try {
    graph = decodeGraphWith(rawGraph, entry);
  } catch (e) {
    if (e instanceof DecodeError || e instanceof CorruptStateError) throw new CorruptStateError(`'data' is not a valid codec payload (${(e as Error).message})`);
    throw e;
  }
  if (!Array.isArray(graph) || graph.length !== 2 || !Array.isArray(graph[0]) || !Array.isArray(graph[1])) throw new CorruptStateError(`'data' must hold [locals, vals] in its graph`);
  const [allLocals, vals] = graph as [unknown[], unknown[]];
  if (allLocals.length !== heads.length) throw new CorruptStateError(`'data' has locals for ${allLocals.length} fibers but the header lists ${heads.length}`);

  const fibers: Fiber[] = heads.map((h, i) => {
    const locals = allLocals[i];
    if (!isRecord(locals)) throw new CorruptStateError(`locals of fiber ${h.id} ('${h.fn}') must be an object`);
    const p = entry(h.id);
    p.kind = 'fiber';
    filled.add(h.id);
    return { id: h.id, frame: { fn: h.fn, pc: h.pc, locals, ...(h.v !== undefined ? { v: h.v } : {}) }, p };
  });
  const fiberById = new Map(fibers.map((f) => [f.id, f]));
  const val = (r: unknown, id: number): unknown => (r === NONE || r === undefined ? undefined : typeof r === 'number' && r >= 0 && r < vals.length ? vals[r] : bad(id));
  for (const row of rows) filled.add(fillRow(row, entry, fiberById, val));
  for (const id of byId.keys()) if (!filled.has(id)) throw new CorruptStateError(`promise entry ${id} is referenced but has no row`);
  const ops: DurablePromise[] = [];
  for (const p of byId.values()) {
    if (p.kind === 'op' && p.state === PENDING) ops.push(p);
    for (const rx of p.reactions) if (rx.t === 'f') rx.fiber.w = p;
  }
  ops.sort((a, b) => a.id - b.id);
  const state: MachineState = { workflow, version: doc.version, nextId, fibers, ops, tokens: new Map(), watches: new Map() };
  planWatches(state); // the watches the commit of this state sent
  return state;
}

function fillRow(row: unknown, entry: (id: number) => DurablePromise, fibers: Map<number, Fiber>, val: (r: unknown, id: number) => unknown): number {
  if (!Array.isArray(row) || typeof row[0] !== 'number' || typeof row[1] !== 'string' || typeof row[2] !== 'number')
    throw new CorruptStateError(`a promise-table row is malformed: ${JSON.stringify(row)?.slice(0, 80)}`);
  const p = entry(row[0]);
  const kind = row[1];
  const colon = kind.indexOf(':');
  if (colon > 0) {
    const opKind = kind.slice(0, colon) as OpInfo['kind'];
    if (!OP_KINDS.has(opKind)) throw new CorruptStateError(`promise entry ${p.id} has an unknown operation kind '${opKind}'`);
    p.kind = 'op';
    p.op = { kind: opKind, name: kind.slice(colon + 1) };
    if (opKind === 'child') {
      if (typeof row[4] !== 'string') throw new CorruptStateError(`child entry ${p.id} has no execution id`);
      p.op.child = row[4];
    } else if (typeof row[4] === 'number') p.op.due = row[4];
  } else {
    const k = CODE_KIND[kind];
    if (!k) throw new CorruptStateError(`promise entry ${p.id} has an unknown kind '${kind}'`);
    p.kind = k;
  }
  p.state = (row[2] & 3) as DurablePromise['state'];
  p.handled = (row[2] & 4) !== 0;
  if (Array.isArray(row[3])) p.reactions = reactionsFrom(row[3], p.id, fibers, entry, (r) => val(r, p.id));
  const extra = row[4];
  if (p.kind !== 'op' && Array.isArray(extra)) {
    const [items, remaining, results] = extra as [unknown, unknown, unknown];
    const list = Array.isArray(items) ? items.map((id) => (typeof id === 'number' ? entry(id) : bad(p.id))) : val(items, p.id);
    if (!Array.isArray(list) || typeof remaining !== 'number') throw new CorruptStateError(`combinator entry ${p.id} has no valid items`);
    p.items = list;
    p.remaining = remaining;
    const r = val(results, p.id);
    p.results = Array.isArray(r) ? r : new Array<unknown>(list.length);
  }
  p.value = val(row[5], p.id);
  if (typeof row[6] === 'string') p.site = row[6];
  return p.id;
}

const bad = (id: number): never => {
  throw new CorruptStateError(`promise entry ${id} refers to entries or fibers malformedly`);
};

function reactionsFrom(t: unknown[], id: number, fibers: Map<number, Fiber>, entry: (id: number) => DurablePromise, val: (r: unknown) => unknown): Reaction[] {
  const out: Reaction[] = [];
  const promise = (v: unknown): DurablePromise => (typeof v === 'number' && Number.isInteger(v) ? entry(v) : bad(id));
  const fn = <F>(r: unknown): F | undefined => {
    const v = val(r);
    return v === undefined ? undefined : typeof v === 'function' ? (v as F) : bad(id);
  };
  let i = 0;
  while (i < t.length) {
    switch (t[i]) {
      case 'f': {
        const fiber = fibers.get(t[i + 1] as number) ?? bad(id);
        out.push({ t: 'f', fiber });
        i += 2;
        break;
      }
      case 'c':
        out.push({ t: 'c', p: promise(t[i + 1]), i: t[i + 2] as number });
        i += 3;
        break;
      case 't': {
        const rx: Reaction = { t: 't', p: promise(t[i + 1]) };
        const ok = fn<(v: unknown) => unknown>(t[i + 2]);
        const err = fn<(v: unknown) => unknown>(t[i + 3]);
        if (ok) rx.ok = ok;
        if (err) rx.err = err;
        out.push(rx);
        i += 4;
        break;
      }
      case 'fin':
        out.push({ t: 'fin', p: promise(t[i + 1]), fn: fn<() => unknown>(t[i + 2]) ?? bad(id) });
        i += 3;
        break;
      case 'a':
        out.push({ t: 'a', p: promise(t[i + 1]) });
        i += 2;
        break;
      case 'after':
        out.push({ t: 'after', p: promise(t[i + 1]), ok: t[i + 2] === 1, v: val(t[i + 3]) });
        i += 4;
        break;
      default:
        bad(id);
    }
  }
  return out;
}

/** `name@version` → [name, version]; a name without one → [name]. */
function splitVersion(fn: string): [string, string?] {
  const at = fn.lastIndexOf('@');
  return at > 0 ? [fn.slice(0, at), fn.slice(at + 1)] : [fn];
}

/** The source line of the await fiber `f` waits at, if its code is known here. */
function lineOf(f: Fiber, resolve: Resolve, version?: string): number | undefined {
  try {
    return stepRecord(f.frame.fn, resolve, version).meta.suspensions[f.frame.pc]?.line;
  } catch {
    return undefined;
  }
}

/** The line each fiber waits at, as the header records it (readable without the code). */
export function headerLines(text: string): (number | undefined)[] {
  const doc = JSON.parse(text) as { fibers?: unknown[][] };
  return (doc.fibers ?? []).map((f, i) => {
    const line = f[i === 0 ? 1 : 3];
    return typeof line === 'number' ? line : undefined;
  });
}

/** Where fiber `f` is suspended, for messages. */
function siteOf(f: Fiber, resolve: Resolve, rootVersion: string): AwaitSite | undefined {
  try {
    const rec = stepRecord(f.frame.fn, resolve, f.id === 0 ? rootVersion : f.frame.v);
    const s = rec.meta.suspensions[f.frame.pc];
    return s ? { fn: f.frame.fn, file: rec.meta.file, line: s.line, column: s.column, ...(rec.meta.display ? { display: rec.meta.display } : {}) } : undefined;
  } catch {
    return undefined;
  }
}

/** The first local that cannot be saved (the user's own variables before compiler temporaries), with its fiber's await. */
function explainStateFailure(state: MachineState, cause: Refusal, resolve: Resolve): Error {
  for (const fiber of [...state.fibers].reverse()) {
    const site = siteOf(fiber, resolve, state.version);
    const names = Object.keys(fiber.frame.locals);
    const isTemp = (n: string): boolean => /\s/.test(site?.display?.[n] ?? '');
    for (const name of [...names.filter((n) => !isTemp(n)), ...names.filter(isTemp)]) {
      const r = refusalOf(fiber.frame.locals[name], entryRef);
      if (r) return new StateEncodeError(fiber.frame.fn, name, r.found, r.path, site, r.hint);
    }
  }
  // Not a local: a value or callback of a pending promise (a then-callback kept across the await).
  const root = state.fibers[0];
  return new StateEncodeError(root?.frame.fn ?? state.workflow, '(a pending promise callback)', cause.found, cause.path, root && siteOf(root, resolve, state.version), cause.hint);
}
