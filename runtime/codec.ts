/**
 * The one codec for everything reawait persists: states, activity
 * arguments, results, errors and signal data. A value comes back exactly
 * (prototype, own property descriptors, extensibility, every built-in's
 * data, shared and cyclic references) or is refused with an error naming
 * the path inside it and what was found there. The format is
 * codec-format.ts; classes and constants are named through
 * serializable.ts; closures through closures.ts.
 */
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
import { TDZ } from './closures.js';
import { decodeGraph, decodeParsed, DecodeError } from './codec-decode.js';
import { GraphEncoder, Refusal } from './codec-encode.js';
import { CorruptStateError, StateEncodeError, ValueEncodeError, type AwaitSite } from './errors.js';
import { registerConstant } from './serializable.js';
import { registeredWorkflow } from './workflow.js';

registerConstant('TDZ', TDZ);

// ---------------------------------------------------------------------------
// Payloads
// ---------------------------------------------------------------------------

/** Encode a payload (args, result, error, signal data) to a string; ValueEncodeError if it holds something that cannot be saved. */
export function encodeValue(value: unknown, what = 'a value'): string {
  try {
    return GraphEncoder.encode(value);
  } catch (e) {
    if (e instanceof Refusal) throw new ValueEncodeError(what, e.found, e.path, e.hint);
    throw e;
  }
}

/** Decode what encodeValue wrote; CorruptStateError when it is malformed or names a class or closure this process does not have. */
export function decodeValue(text: string): unknown {
  try {
    return decodeGraph(text);
  } catch (e) {
    if (e instanceof DecodeError) throw new CorruptStateError(`a stored value cannot be read: ${e.message}`);
    throw e;
  }
}

/** Encode then decode: what a value looks like after crossing a process boundary. */
export function roundTripValue<T>(value: T, what?: string): T {
  return decodeValue(encodeValue(value, what)) as T;
}

/** The Refusal for `value` alone, if it cannot be saved. */
function refusalOf(value: unknown): Refusal | undefined {
  try {
    GraphEncoder.encode(value);
    return undefined;
  } catch (e) {
    if (e instanceof Refusal) return e;
    throw e;
  }
}

// ---------------------------------------------------------------------------
// States
// ---------------------------------------------------------------------------

/**
 * The payload in StateDoc.data is the codec encoding of
 * `[locals of each frame, group tokens?]`. The group is written as one flat
 * token list (`mode, kind, fields…, kind, fields…`) rather than as objects:
 * the codec writes every object's keys once per object, and the outstanding
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
 * '' = none): as an object, the codec would spend ~80 bytes of a ~250-byte
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
  // The records the runtime made (never seen by user code): only their contents need the codec's checks.
  const trusted = new Set<object>([data, locals, ...locals]);
  if (data[1]) trusted.add(data[1]);
  for (const item of state.group?.items ?? []) if (item.kind === 'call' || item.kind === 'child') trusted.add(item.args);
  let payload: string;
  try {
    payload = GraphEncoder.encode(data, trusted);
  } catch (e) {
    if (e instanceof Refusal) throw explainStateFailure(state, where, e);
    throw e;
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

/** The first local that cannot be saved, top frame first and the user's own variables before compiler temporaries. */
function explainStateFailure(state: MachineState, where: WhereFn, cause: Refusal): Error {
  for (let i = state.frames.length - 1; i >= 0; i--) {
    const frame = state.frames[i]!;
    const site = where(i);
    const names = Object.keys(frame.locals);
    // A compiler temporary usually holds a copy of one of the user's variables.
    const isTemp = (n: string): boolean => /\s/.test(site?.display?.[n] ?? ''); // a description, not a renamed local's name
    for (const name of [...names.filter((n) => !isTemp(n)), ...names.filter(isTemp)]) {
      const r = refusalOf(frame.locals[name]);
      if (r) return new StateEncodeError(frame.fn, name, r.found, r.path, site, r.hint);
    }
  }
  if (state.group) {
    const top = state.frames.length - 1;
    const site = top >= 0 ? where(top) : undefined;
    const at = site ? ` awaited in workflow '${site.fn}' at ${site.file}:${site.line}:${site.column + 1}` : '';
    for (const item of state.group.items) {
      const [what, value] =
        item.kind === 'call'
          ? [`the arguments of activity '${item.activity}'`, item.args]
          : item.kind === 'child'
            ? [`the arguments of child workflow '${item.workflow}'`, item.args]
            : item.kind === 'value'
              ? ['a plain value awaited in a group', item.value]
              : [`a ${item.kind} command`, undefined];
      const r = refusalOf(value);
      if (r) return new ValueEncodeError(what + at, r.found, r.path, r.hint);
    }
  }
  return new ValueEncodeError('the state', cause.found, cause.path, cause.hint);
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
    data = decodeParsed(doc.data);
  } catch (e) {
    if (e instanceof DecodeError) throw new CorruptStateError(`'data' is not a valid codec payload (${e.message})`);
    throw e;
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
