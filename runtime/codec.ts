/**
 * The one codec for everything reawait persists: states, activity
 * arguments, results, errors and signal data. It is devalue (JSON with
 * undefined, Date, Map, Set, BigInt, NaN, ±Infinity, -0, RegExp, shared and
 * cyclic references) plus a reducer for Errors.
 */
import { parse, stringify, unflatten } from 'devalue';
import {
  STATE_VERSION,
  type ActivityOptions,
  type ChildCommand,
  type Frame,
  type Group,
  type GroupItem,
  type MachineState,
  type SignalCommand,
  type StateDoc,
} from './contract.js';
import { CorruptStateError, StateEncodeError, ValueEncodeError, type AwaitSite } from './errors.js';
import { CancelledError, isCommand, isThenable, registeredWorkflow } from './workflow.js';

// ---------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------

interface ErrorData {
  name: string;
  message: string;
  stack?: string;
  cause?: unknown;
  hasCause?: true;
  errors?: unknown[];
  props?: Record<string, unknown>;
  selfProps?: string[];
}

/** Built-in error classes come back as themselves so `instanceof TypeError` still works after a suspension. */
const BUILTIN_ERRORS: Record<string, new (message?: string, options?: ErrorOptions) => Error> = {
  Error,
  TypeError,
  RangeError,
  ReferenceError,
  SyntaxError,
  EvalError,
  URIError,
};

const ERROR_OWN = new Set(['name', 'message', 'stack', 'cause', 'errors']);

function reduceError(value: unknown): ErrorData | false {
  if (!(value instanceof Error)) return false;
  const data: ErrorData = { name: String(value.name), message: String(value.message) };
  if (typeof value.stack === 'string') data.stack = value.stack;
  if (Object.hasOwn(value, 'cause')) {
    data.hasCause = true;
    data.cause = value.cause;
  }
  if (value instanceof AggregateError) data.errors = [...(value.errors as unknown[])];
  const props: Record<string, unknown> = {};
  let any = false;
  for (const key of Object.keys(value)) {
    if (ERROR_OWN.has(key)) continue;
    const v: unknown = (value as unknown as Record<string, unknown>)[key];
    // devalue cannot revive a custom type that contains itself; note direct self-references by name instead.
    if (v === value) (data.selfProps ??= []).push(key);
    else {
      props[key] = v;
      any = true;
    }
  }
  if (any) data.props = props;
  const loop = pathBackTo(value, [data.cause, data.errors, data.props], ['.cause', '.errors', '']);
  if (loop !== undefined) throw new ErrorCycle(loop);
  return data;
}

/** devalue revives a custom type only after its contents, so an Error reachable from inside itself cannot come back. */
class ErrorCycle extends Error {
  constructor(readonly inner: string) {
    super(`an Error that refers back to itself through ${inner}`);
  }
}

/** The path from `roots` to `target` through plain containers, if any (errors are walked by their own reducer). */
function pathBackTo(target: object, roots: unknown[], names: string[]): string | undefined {
  const seen = new Set<unknown>();
  const walk = (v: unknown, path: string): string | undefined => {
    if (v === target) return path;
    if (typeof v !== 'object' || v === null || seen.has(v) || v instanceof Error) return undefined;
    seen.add(v);
    if (v instanceof Map) {
      for (const [k, x] of v) {
        const p = walk(k, `${path}.keys()`) ?? walk(x, `${path}.get(${typeof k === 'object' ? '…' : JSON.stringify(k)})`);
        if (p) return p;
      }
    } else if (v instanceof Set) {
      for (const x of v) {
        const p = walk(x, `${path}.values()`);
        if (p) return p;
      }
    } else if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const p = walk(v[i], `${path}[${i}]`);
        if (p) return p;
      }
    } else {
      for (const k of Object.keys(v)) {
        const p = walk((v as Record<string, unknown>)[k], `${path}.${k}`);
        if (p) return p;
      }
    }
    return undefined;
  };
  for (let i = 0; i < roots.length; i++) {
    const root = roots[i];
    // Direct children of the error's own slots are walked with the slot's name as the path prefix.
    if (root === target) return names[i];
    const p = walk(root, names[i]!);
    if (p) return p;
  }
  return undefined;
}

function reviveError(raw: unknown): Error {
  const data = raw as ErrorData;
  const options: ErrorOptions | undefined = data.hasCause ? { cause: data.cause } : undefined;
  let error: Error;
  if (data.name === 'CancelledError') {
    error = new CancelledError(data.message);
    if (options) Object.defineProperty(error, 'cause', { value: data.cause, writable: true, configurable: true });
  } else if (data.name === 'AggregateError' || data.errors) {
    error = new AggregateError(data.errors ?? [], data.message, options);
  } else {
    const Ctor = BUILTIN_ERRORS[data.name] ?? Error;
    error = new Ctor(data.message, options);
  }
  if (error.name !== data.name) error.name = data.name;
  if (data.stack !== undefined) Object.defineProperty(error, 'stack', { value: data.stack, writable: true, configurable: true });
  if (data.props) Object.assign(error, data.props);
  for (const k of data.selfProps ?? []) (error as unknown as Record<string, unknown>)[k] = error;
  return error;
}

const REDUCERS = { Error: reduceError };
const REVIVERS = { Error: reviveError };

// ---------------------------------------------------------------------------
// Payloads
// ---------------------------------------------------------------------------

/** Encode a payload (args, result, error, signal data) to a string; ValueEncodeError if it holds non-data. */
export function encodeValue(value: unknown, what = 'a value'): string {
  try {
    return stringify(value, REDUCERS);
  } catch (e) {
    const { found, path } = describeFailure(e);
    throw new ValueEncodeError(what, found, path);
  }
}

export function decodeValue(text: string): unknown {
  return parse(text, REVIVERS);
}

/** Encode then decode: what a value looks like after crossing a process boundary. */
export function roundTripValue<T>(value: T, what?: string): T {
  return decodeValue(encodeValue(value, what)) as T;
}

// ---------------------------------------------------------------------------
// What a refused value is, for messages
// ---------------------------------------------------------------------------

/** A short name of a value's type as users think of it: `function`, `symbol`, `Promise`, `Socket instance`. */
export function describeType(value: unknown): string {
  if (typeof value === 'function') return value.name ? `function (${value.name})` : 'function';
  if (typeof value === 'symbol') return 'symbol';
  if (isCommand(value)) {
    if (value.kind === 'call') return `un-awaited call of activity '${value.activity}'`;
    if (value.kind === 'frame') return `un-awaited call of workflow '${value.fn}'`;
    return `un-awaited ${value.kind} command`;
  }
  if (value instanceof Promise) return 'Promise';
  if (isThenable(value)) return 'Promise (a thenable)';
  if (typeof value === 'object' && value !== null) {
    const proto: unknown = Object.getPrototypeOf(value);
    const ctor = proto && typeof proto === 'object' ? (proto as { constructor?: unknown }).constructor : undefined;
    const name = typeof ctor === 'function' && ctor.name ? ctor.name : '';
    if (proto === Object.prototype || proto === null) {
      if (Object.getOwnPropertySymbols(value).length) return 'object with symbol keys';
      return 'object with a __proto__ key';
    }
    // An Object.create(proto) object: its prototype chain is code-defined shape that JSON cannot carry.
    if (ctor === Object) return 'object with a custom prototype (from Object.create)';
    return name ? `${name} instance` : 'instance of an anonymous class';
  }
  return typeof value;
}

function describeFailure(e: unknown): { found: string; path: string } {
  if (e instanceof ErrorCycle) return { found: e.message.replace(/^an /, ''), path: '' };
  if (e instanceof Error && e.name === 'DevalueError') {
    const d = e as Error & { path?: unknown; value?: unknown };
    return { found: describeType(d.value), path: typeof d.path === 'string' ? d.path : '' };
  }
  throw e;
}

// ---------------------------------------------------------------------------
// States
// ---------------------------------------------------------------------------

/**
 * The payload in StateDoc.data is the codec encoding of
 * `[locals of each frame, group tokens?]`. The group is written as one flat
 * token list (`mode, kind, fields…, kind, fields…`) rather than as objects:
 * devalue writes every object's keys once per object, and the outstanding
 * group is most of a typical state, so this keeps states small (the design's
 * video example suspended at its Promise.all of three calls: ~250 bytes).
 */
type StatePayload = [Frame['locals'][]] | [Frame['locals'][], unknown[]];

function groupTokens(group: Group): unknown[] {
  const t: unknown[] = [group.mode];
  for (const item of group.items) {
    switch (item.kind) {
      case 'call':
        t.push('call', item.activity, item.args, optionsToken(item.options));
        break;
      case 'sleep':
        t.push('sleep', item.ms);
        break;
      case 'signal':
        t.push('signal', item.name, item.timeoutMs);
        break;
      case 'child':
        t.push('child', item.workflow, item.args, item.id);
        break;
      case 'value':
        t.push('value', item.value);
        break;
    }
  }
  return t;
}

/**
 * Activity options as one short string (`'r3 e500 t600000'`: retries 3,
 * exponential backoff from 500 ms, timeout 600000 ms; `f` = fixed backoff;
 * '' = none): as an object, devalue would spend ~80 bytes of a ~250-byte
 * state on keys and indexes.
 */
function optionsToken(o: ActivityOptions | undefined): string {
  if (!o) return '';
  const parts: string[] = [];
  if (o.retries !== undefined) parts.push(`r${o.retries}`);
  if (o.backoff) parts.push(`${o.backoff.type === 'fixed' ? 'f' : 'e'}${o.backoff.delay}`);
  if (o.timeout !== undefined) parts.push(`t${o.timeout}`);
  return parts.join(' ');
}

function optionsFromToken(token: string): ActivityOptions | undefined {
  const o: ActivityOptions = {};
  for (const part of token === '' ? [] : token.split(' ')) {
    const n = Number(part.slice(1));
    if (part.length < 2 || !Number.isFinite(n)) return undefined;
    if (part[0] === 'r') o.retries = n;
    else if (part[0] === 't') o.timeout = n;
    else if (part[0] === 'e' || part[0] === 'f') o.backoff = { type: part[0] === 'e' ? 'exponential' : 'fixed', delay: n };
    else return undefined;
  }
  return o;
}

const GROUP_MODES = new Set(['single', 'all', 'allSettled', 'race', 'any']);

function groupFromTokens(t: unknown): Group {
  if (!Array.isArray(t) || !GROUP_MODES.has(t[0] as string)) throw new CorruptStateError(`the outstanding group has no valid mode`);
  const items: GroupItem[] = [];
  const bad = (what: string, at: number): never => {
    throw new CorruptStateError(`the outstanding group's token ${at} is not ${what}`);
  };
  const str = (i: number): string => (typeof t[i] === 'string' ? (t[i] as string) : bad('a string', i));
  const arr = (i: number): unknown[] => (Array.isArray(t[i]) ? (t[i] as unknown[]) : bad('an array', i));
  const num = (i: number): number => (typeof t[i] === 'number' ? (t[i] as number) : bad('a number', i));
  let i = 1;
  while (i < t.length) {
    const kind = t[i];
    switch (kind) {
      case 'call': {
        const options = typeof t[i + 3] === 'string' ? optionsFromToken(t[i + 3] as string) : undefined;
        if (!options) bad('an activity options token', i + 3);
        items.push({ kind, activity: str(i + 1), args: arr(i + 2), options: options! });
        i += 4;
        break;
      }
      case 'sleep':
        items.push({ kind, ms: num(i + 1) });
        i += 2;
        break;
      case 'signal': {
        const item: SignalCommand = { kind, name: str(i + 1) };
        if (t[i + 2] !== undefined) item.timeoutMs = num(i + 2);
        items.push(item);
        i += 3;
        break;
      }
      case 'child': {
        const item: ChildCommand = { kind, workflow: str(i + 1), args: arr(i + 2) };
        if (t[i + 3] !== undefined) item.id = str(i + 3);
        items.push(item);
        i += 4;
        break;
      }
      case 'value':
        items.push({ kind, value: t[i + 1] });
        i += 2;
        break;
      default:
        throw new CorruptStateError(`the outstanding group has an unknown item kind ${JSON.stringify(kind)} at token ${i}`);
    }
  }
  if (i !== t.length) throw new CorruptStateError(`the outstanding group's tokens end mid-item`);
  return { mode: t[0] as Group['mode'], items };
}

/** Where frame `index` of a state is suspended; by default read from the registered workflow's metadata. */
export type WhereFn = (frameIndex: number) => AwaitSite | undefined;

function registryWhere(state: MachineState): WhereFn {
  return (i) => {
    const frame = state.frames[i];
    if (!frame) return undefined;
    const meta = registeredWorkflow(frame.fn)?.meta;
    const s = meta?.suspensions[frame.pc];
    return meta && s ? { fn: frame.fn, file: meta.file, line: s.line, column: s.column, ...(meta.display ? { display: meta.display } : {}) } : undefined;
  };
}

/**
 * Encode a state into its StateDoc JSON text. If a value cannot be saved,
 * throws StateEncodeError naming the first offending local (top frame
 * first), its type, the path inside it and the await's source location.
 */
export function encodeState(state: MachineState, where: WhereFn = registryWhere(state)): string {
  const locals = state.frames.map((f) => f.locals);
  const data: StatePayload = state.group ? [locals, groupTokens(state.group)] : [locals];
  let payload: string;
  try {
    payload = stringify(data, REDUCERS);
  } catch (e) {
    throw explainStateFailure(state, where, e);
  }
  const header: Omit<StateDoc, 'data'> = {
    v: STATE_VERSION,
    workflow: state.workflow,
    version: state.version,
    // The root frame's fn is the workflow's name: not written twice.
    frames: state.frames.map((f, i) => (i === 0 && f.fn === state.workflow ? { pc: f.pc } : { fn: f.fn, pc: f.pc })),
  };
  // The payload is already JSON: splice it in rather than parse and re-serialise it.
  return `${JSON.stringify(header).slice(0, -1)},"data":${payload}}`;
}

function explainStateFailure(state: MachineState, where: WhereFn, cause: unknown): Error {
  for (let i = state.frames.length - 1; i >= 0; i--) {
    const frame = state.frames[i]!;
    const site = where(i);
    // The user's own variables first: a compiler temporary usually holds a copy of one of them.
    const names = Object.keys(frame.locals);
    const isTemp = (n: string): boolean => /\s/.test(site?.display?.[n] ?? ''); // a description, not a renamed local's name
    for (const name of [...names.filter((n) => !isTemp(n)), ...names.filter(isTemp)]) {
      try {
        stringify(frame.locals[name], REDUCERS);
      } catch (e) {
        const { found, path } = describeFailure(e);
        return new StateEncodeError(frame.fn, name, found, path, site);
      }
    }
  }
  if (state.group) {
    const top = state.frames[state.frames.length - 1];
    for (const item of state.group.items) {
      const what =
        item.kind === 'call'
          ? `the arguments of activity '${item.activity}'`
          : item.kind === 'child'
            ? `the arguments of child workflow '${item.workflow}'`
            : item.kind === 'value'
              ? `a plain value awaited in a group`
              : `a ${item.kind} command`;
      try {
        stringify(item, REDUCERS);
      } catch (e) {
        const { found, path } = describeFailure(e);
        const site = top ? where(state.frames.length - 1) : undefined;
        const err = new ValueEncodeError(what + (site ? ` awaited in workflow '${site.fn}' at ${site.file}:${site.line}:${site.column + 1}` : ''), found, path);
        return err;
      }
    }
  }
  return cause instanceof Error ? cause : new Error(String(cause));
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Parse a StateDoc JSON text back into a MachineState; CorruptStateError with the reason on anything malformed. */
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
  if (!Array.isArray(doc.frames) || doc.frames.length === 0) throw new CorruptStateError(`'frames' must be a non-empty array`);
  const workflow = doc.workflow;
  const heads = doc.frames.map((f: unknown, i: number) => {
    const fn = isRecord(f) && i === 0 && f.fn === undefined ? workflow : isRecord(f) ? f.fn : undefined;
    if (!isRecord(f) || typeof fn !== 'string' || !Number.isInteger(f.pc) || (f.pc as number) < 0)
      throw new CorruptStateError(`frame ${i} must be { fn: string, pc: non-negative integer }${i === 0 ? ' (fn may be left out: the workflow)' : ''}, got ${JSON.stringify(f)}`);
    return { fn, pc: f.pc as number };
  });
  if (!('data' in doc)) throw new CorruptStateError(`missing 'data'`);
  let data: unknown;
  try {
    data = unflatten(doc.data as number | unknown[], REVIVERS);
  } catch (e) {
    throw new CorruptStateError(`'data' is not a valid codec payload (${(e as Error).message})`);
  }
  if (!Array.isArray(data) || !Array.isArray(data[0]) || data.length > 2)
    throw new CorruptStateError(`'data' must hold [locals of each frame, group?]`);
  const allLocals: unknown[] = data[0];
  if (allLocals.length !== heads.length) throw new CorruptStateError(`'data' has locals for ${allLocals.length} frames but the header lists ${heads.length}`);
  const frames: Frame[] = heads.map((h, i) => {
    const locals: unknown = allLocals[i];
    if (!isRecord(locals)) throw new CorruptStateError(`locals of frame ${i} ('${h.fn}') must be an object`);
    return { fn: h.fn, pc: h.pc, locals };
  });
  const state: MachineState = { workflow: doc.workflow, version: doc.version, frames };
  if (data.length === 2) state.group = groupFromTokens(data[1]);
  return state;
}
