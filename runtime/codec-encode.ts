/**
 * Writes a value graph in the format of codec-format.ts, exactly or not at
 * all: every own property with its descriptor, the prototype (by a
 * registered name), extensibility, and each built-in kind's internal data.
 * Anything that could not come back indistinguishable is refused with a
 * Refusal naming what was found and the path to it inside the value.
 *
 * The walk is breadth-first over a work list (no recursion, so deep chains
 * do not overflow the stack) and never runs user code: properties are read
 * through their descriptors, built-in data through the built-in getters.
 */
import { types } from 'node:util';
import { closure, closureTag } from './closures.js';
import {
  ACCESSOR,
  CONFIGURABLE,
  DEFAULT_FLAGS,
  ENUMERABLE,
  NOT_EXTENSIBLE,
  PROTO_DEFAULT,
  REF_INFINITY,
  REF_NAN,
  REF_NEG_INFINITY,
  REF_NEG_ZERO,
  REF_UNDEFINED,
  WELL_KNOWN_SYMBOLS,
  WRITABLE,
} from './codec-format.js';
import { classOfPrototype, constantName } from './serializable.js';
import { isCommand } from './workflow.js';

/** A value the codec will not save: what it is, why, and where inside the encoded value. */
export class Refusal extends Error {
  constructor(
    readonly found: string,
    readonly hint: string,
    readonly path: string,
  ) {
    super(`${found}${path ? ` at ${path}` : ''}: ${hint}`);
  }
}

// How a node was reached from its parent, for the path of a refusal (formatted only then).
const L_ROOT = 0;
const L_KEY = 1;
const L_GETTER = 2;
const L_SETTER = 3;
const L_MAP_KEY = 4;
const L_MAP_VALUE = 5;
const L_SET = 6;
const L_ENV = 7;
const L_BUFFER = 8;
const L_BOXED = 9;
const L_INTERNAL = 10;

const getter = (proto: object, key: PropertyKey): ((this: unknown) => unknown) => {
  const g = Object.getOwnPropertyDescriptor(proto, key)?.get;
  if (!g) throw new Error(`reawait: this Node.js has no built-in getter ${String(key)}`);
  return g as (this: unknown) => unknown;
};
const optionalGetter = (proto: object, key: PropertyKey): ((this: unknown) => unknown) | undefined =>
  Object.getOwnPropertyDescriptor(proto, key)?.get as ((this: unknown) => unknown) | undefined;

const TYPED_ARRAY_PROTO = Object.getPrototypeOf(Int8Array.prototype) as object;
const taType = getter(TYPED_ARRAY_PROTO, Symbol.toStringTag);
const taBuffer = getter(TYPED_ARRAY_PROTO, 'buffer');
const taOffset = getter(TYPED_ARRAY_PROTO, 'byteOffset');
const taLength = getter(TYPED_ARRAY_PROTO, 'length');
const dvBuffer = getter(DataView.prototype, 'buffer');
const dvOffset = getter(DataView.prototype, 'byteOffset');
const dvLength = getter(DataView.prototype, 'byteLength');
const abLength = getter(ArrayBuffer.prototype, 'byteLength');
const abResizable = optionalGetter(ArrayBuffer.prototype, 'resizable');
const abMax = optionalGetter(ArrayBuffer.prototype, 'maxByteLength');
const sabLength = getter(SharedArrayBuffer.prototype, 'byteLength');
const sabGrowable = optionalGetter(SharedArrayBuffer.prototype, 'growable');
const sabMax = optionalGetter(SharedArrayBuffer.prototype, 'maxByteLength');
const reSource = getter(RegExp.prototype, 'source');
// The flags one by one through the built-in getters (the `flags` getter reads them as properties).
const RE_FLAGS = (
  [
    ['hasIndices', 'd'],
    ['global', 'g'],
    ['ignoreCase', 'i'],
    ['multiline', 'm'],
    ['dotAll', 's'],
    ['unicode', 'u'],
    ['unicodeSets', 'v'],
    ['sticky', 'y'],
  ] as const
).flatMap(([key, flag]) => {
  const g = optionalGetter(RegExp.prototype, key);
  return g ? [[g, flag] as const] : [];
});
const urlHref = getter(URL.prototype, 'href');
const dateTime = Date.prototype.getTime;
const mapForEach = Map.prototype.forEach;
const setForEach = Set.prototype.forEach;
const fnToString = Function.prototype.toString;
const objToString = Object.prototype.toString;

interface FnTemplate {
  proto: object | null;
  keys: PropertyKey[];
  descs: PropertyDescriptor[];
  /** For a function with a `prototype`: what an untouched one looks like. */
  prototypeProto: object | null;
  prototypeKeys: PropertyKey[];
}
/** What closure(site, …) gives before anyone touches it, per site: its intrinsic properties are not saved. */
const templates = new Map<string, FnTemplate>();

function templateOf(site: string, envCount: number): FnTemplate {
  let t = templates.get(site);
  if (!t) {
    const fn = closure(site, ...Array.from({ length: envCount }, () => ({})));
    const keys = Reflect.ownKeys(fn);
    const p = Object.getOwnPropertyDescriptor(fn, 'prototype')?.value as object | undefined;
    t = {
      proto: Object.getPrototypeOf(fn) as object | null,
      keys,
      descs: keys.map((k) => Object.getOwnPropertyDescriptor(fn, k)!),
      prototypeProto: p ? (Object.getPrototypeOf(p) as object | null) : null,
      prototypeKeys: p ? Reflect.ownKeys(p) : [],
    };
    templates.set(site, t);
  }
  return t;
}

const isDefaultData = (d: PropertyDescriptor): boolean => d.writable === true && d.enumerable === true && d.configurable === true;

/**
 * An object whose prototype is Object.prototype but which holds a built-in's
 * internal data (its prototype was swapped): the fast path must not take it
 * for a plain object. Object.prototype.toString names most of them by their
 * internal slots; util.types the rest.
 */
function hasInternalSlots(v: object): boolean {
  return (
    objToString.call(v) !== '[object Object]' ||
    types.isMap(v) ||
    types.isSet(v) ||
    types.isWeakMap(v) ||
    types.isWeakSet(v) ||
    types.isPromise(v) ||
    types.isAnyArrayBuffer(v) ||
    types.isArrayBufferView(v) ||
    types.isBoxedPrimitive(v) ||
    types.isGeneratorObject(v) ||
    types.isMapIterator(v) ||
    types.isSetIterator(v) ||
    types.isExternal(v)
  );
}

export function describeFunction(fn: unknown): string {
  const d = Object.getOwnPropertyDescriptor(fn as object, 'name');
  const name = typeof d?.value === 'string' ? d.value : '';
  if (/^class\b/.test(fnToString.call(fn))) return name ? `class ${name}` : 'class';
  if (name.startsWith('bound ')) return name.length > 6 ? `bound function (${name.slice(6)})` : 'bound function';
  return name ? `function (${name})` : 'function';
}

/**
 * Why an activity's arguments refuse even a closure written in the workflow:
 * the activity would run workflow code outside the state machine (an async
 * closure would have no fiber to run on), and its worker may not have the
 * workflow's module loaded to rebuild it.
 */
const CLOSURE_OUT_HINT = 'a function written in a workflow runs only inside the workflow; pass the data it needs instead';
const FUNCTION_HINT = 'a function is saved only when it was written inside a workflow (as its site and the variables it captures), never as code';

function constructorName(proto: object): string {
  const d = Object.getOwnPropertyDescriptor(proto, 'constructor');
  const ctor: unknown = d && 'value' in d ? d.value : undefined;
  if (typeof ctor !== 'function') return '';
  const n = Object.getOwnPropertyDescriptor(ctor, 'name')?.value;
  return typeof n === 'string' ? n : '';
}

/** `Symbol.toStringTag` along the prototype chain, from data properties only (no getter runs). */
function toStringTag(v: object): string {
  for (let o: object | null = v; o; o = Object.getPrototypeOf(o) as object | null) {
    const d = Object.getOwnPropertyDescriptor(o, Symbol.toStringTag);
    if (d) return typeof d.value === 'string' ? d.value : '';
  }
  return '';
}

/** A refused instance: its class, and how to make it saveable. */
function refuseInstance(v: object, proto: object): [string, string] {
  const name = constructorName(proto);
  const tag = toStringTag(v);
  if (!Object.hasOwn(proto, 'constructor')) {
    if (tag) return [tag, 'it is not data that can be saved'];
    return ['object with a custom prototype (from Object.create)', 'only the prototypes of registered classes (serializable()) and null are saved'];
  }
  if (!name) return ['instance of an anonymous class', 'register the class under a name: serializable(TheClass, "a.stable.Name") from reawait'];
  const base = Object.getPrototypeOf(proto) as object | null;
  const registeredBase = base ? classOfPrototype(base) : undefined;
  const how = `register its class: serializable(${name}) from reawait (classes declared at the top level of a workflow's module are registered automatically)`;
  if (registeredBase && !registeredBase.builtin) return [`${name} instance`, `class ${name} is not registered, only its base class ${registeredBase.name} is; ${how}`];
  return [`${name} instance`, how];
}

const REFUSED_KINDS: [(v: object) => boolean, string, string][] = [
  [types.isPromise, 'Promise', 'a promise is a computation in flight, not data: await it before the suspension'],
  [types.isWeakMap, 'WeakMap', 'a weak collection cannot be saved'],
  [types.isWeakSet, 'WeakSet', 'a weak collection cannot be saved'],
  [(v) => typeof WeakRef === 'function' && v instanceof WeakRef, 'WeakRef', 'a weak reference cannot be saved'],
  [types.isGeneratorObject, 'generator object', 'a running generator cannot be saved'],
  [types.isMapIterator, 'Map iterator', 'an iterator in progress cannot be saved'],
  [types.isSetIterator, 'Set iterator', 'an iterator in progress cannot be saved'],
  [types.isModuleNamespaceObject, 'module namespace object', 'a module is code, not data'],
  [types.isArgumentsObject, 'arguments object', 'copy it into an array first'],
  [types.isExternal, 'native handle', 'it is not data that can be saved'],
];

export class GraphEncoder {
  /** The node table being written; table[i] is set when values[i] is processed. */
  readonly table: unknown[] = [];
  private readonly values: unknown[] = [];
  private readonly ids = new Map<unknown, number>();
  // How each object node was reached (for refusal paths).
  private readonly parents: number[] = [];
  private readonly labels: number[] = [];
  private readonly labelKeys: unknown[] = [];
  /** How many references each object node has (a Buffer's pool is trimmed when only the Buffer refers to it). */
  private readonly refCounts: number[] = [];
  /** Untouched `prototype` objects of closures written so far → the closure's index. */
  private prototypeOwners: Map<object, number> | undefined;
  /** Node Buffers written, as [view node, buffer node]. */
  private nodeBuffers: [number, number][] | undefined;

  private constructor(
    private readonly trusted: ReadonlySet<object> | undefined,
    private readonly external: ((v: object) => number | undefined) | undefined,
    private readonly closures: boolean,
  ) {}

  /**
   * Encode `root`; returns the JSON text. `trusted` holds plain objects and
   * arrays the runtime made itself and never handed to user code (a state's
   * frames and locals records, an activity call's argument list): their
   * shape is known, so only their contents are examined. `external` names
   * the objects the caller keeps outside the graph (written as ["X", id]).
   * `closures: false` refuses closures written in a workflow too (payloads
   * that leave the workflow, such as an activity's arguments).
   */
  static encode(root: unknown, trusted?: ReadonlySet<object>, external?: (v: object) => number | undefined, closures = true): string {
    const e = new GraphEncoder(trusted, external, closures);
    const r = e.ref(root, -1, L_ROOT, undefined);
    if (r < 0) return String(r);
    e.run();
    if (e.nodeBuffers) e.trimBufferPools(e.nodeBuffers);
    return JSON.stringify(e.table);
  }

  /**
   * A Node Buffer is saved as its own bytes when nothing else refers to its
   * ArrayBuffer: small Buffers share one 8 KiB pool, which holds other data
   * (as v8.serialize does). It comes back over an ArrayBuffer of its length.
   */
  private trimBufferPools(views: [number, number][]): void {
    for (const [view, buf] of views) {
      const node = this.table[buf] as unknown[];
      if (this.refCounts[buf] !== 1 || node.length !== 3 || node[0] !== 'AB' || node[2] !== null) continue;
      const t = this.table[view] as unknown[];
      const [offset, length] = [t[3] as number, t[4] as number];
      node[1] = Buffer.from(this.values[buf] as ArrayBuffer, offset, length).toString('base64');
      t[3] = 0;
    }
  }

  private run(): void {
    const { values, table } = this;
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if ((typeof v === 'object' && v !== null) || typeof v === 'function') table[i] = this.node(v, i);
    }
  }

  /** The REF of `v`, giving it a node if it has none yet. */
  private ref(v: unknown, parent: number, label: number, key: unknown): number {
    switch (typeof v) {
      case 'number':
        if (v !== v) return REF_NAN;
        if (v === Infinity) return REF_INFINITY;
        if (v === -Infinity) return REF_NEG_INFINITY;
        if (v === 0 && 1 / v < 0) return REF_NEG_ZERO;
        return this.primitive(v, v);
      case 'string':
      case 'boolean':
        return this.primitive(v, v);
      case 'undefined':
        return REF_UNDEFINED;
      case 'bigint':
        return this.primitive(v, ['B', v.toString()]);
      case 'symbol': {
        const registered = Symbol.keyFor(v);
        if (registered !== undefined) return this.primitive(v, ['Y', registered]);
        const known = WELL_KNOWN_SYMBOLS.get(v);
        if (known !== undefined) return this.primitive(v, ['W', known]);
        throw this.refusal(`symbol (${v.toString()})`, 'only Symbol.for() symbols and the well-known symbols are saved', parent, label, key);
      }
      default: {
        if (v === null) return this.primitive(v, v);
        let id = this.ids.get(v);
        if (id === undefined) {
          id = this.values.length;
          this.ids.set(v, id);
          this.values.push(v);
          this.table.push(0);
          this.parents.push(parent);
          this.labels.push(label);
          this.labelKeys.push(key);
          this.refCounts.push(1);
        } else this.refCounts[id]!++;
        return id;
      }
    }
  }

  private primitive(v: unknown, node: unknown): number {
    let id = this.ids.get(v);
    if (id === undefined) {
      id = this.values.length;
      this.ids.set(v, id);
      this.values.push(v);
      this.table.push(node);
      // Kept dense (V8 turns arrays with gaps into slow dictionaries).
      this.parents.push(-1);
      this.labels.push(0);
      this.labelKeys.push(undefined);
      this.refCounts.push(1);
    }
    return id;
  }

  private node(v: object, i: number): unknown {
    if (this.trusted?.has(v)) return this.trustedNode(v as Record<string, unknown>, i);
    const ext = this.external?.(v);
    if (ext !== undefined) return ['X', ext];
    if (types.isProxy(v)) throw this.refusalAt(i, 'Proxy', "a Proxy's behaviour is code: save its target instead");
    const constant = constantName(v);
    if (constant !== undefined) return ['K', constant];
    if (typeof v === 'function') return this.closure(v, i);
    const owner = this.prototypeOwners?.get(v);
    if (owner !== undefined) return ['P', owner];
    const proto = Object.getPrototypeOf(v) as object | null;
    if (Array.isArray(v)) return (proto === Array.prototype && this.plainArray(v, i)) || this.array(v, proto, i);
    return (proto === Object.prototype && this.plainObject(v, i)) || this.special(v, proto, i);
  }

  private trustedNode(v: Record<string, unknown>, i: number): unknown {
    if (Array.isArray(v)) {
      const node = new Array<number>(v.length);
      for (let j = 0; j < v.length; j++) node[j] = this.ref(v[j], i, L_KEY, String(j));
      return node;
    }
    const node: Record<string, number> = {};
    for (const k of Object.keys(v)) {
      const r = this.ref(v[k], i, L_KEY, k);
      if (k === '__proto__') Object.defineProperty(node, k, { value: r, writable: true, enumerable: true, configurable: true });
      else node[k] = r;
    }
    return node;
  }

  /** `{ key: REF }` when `v` is a plain object through and through; undefined otherwise. */
  private plainObject(v: object, i: number): Record<string, number> | undefined {
    if (!Object.isExtensible(v) || Object.getOwnPropertySymbols(v).length !== 0) return undefined;
    // Every own string key, non-enumerable ones too: their descriptors say whether all are default.
    const keys = Object.getOwnPropertyNames(v);
    const descs: PropertyDescriptor[] = [];
    for (const k of keys) {
      const d = Object.getOwnPropertyDescriptor(v, k)!;
      if (!isDefaultData(d)) return undefined;
      descs.push(d);
    }
    // No own symbol keys: Object.prototype.toString reads no user getter here.
    if (hasInternalSlots(v)) return undefined;
    const node: Record<string, number> = {};
    for (let j = 0; j < keys.length; j++) {
      const k = keys[j]!;
      const r = this.ref(descs[j]!.value, i, L_KEY, k);
      if (k === '__proto__') Object.defineProperty(node, k, { value: r, writable: true, enumerable: true, configurable: true });
      else node[k] = r;
    }
    return node;
  }

  /** `[REF, …]` when `v` is a dense array of default elements and nothing else; undefined otherwise. */
  private plainArray(v: unknown[], i: number): number[] | undefined {
    const n = v.length;
    if (!Object.isExtensible(v) || Object.getOwnPropertyNames(v).length !== n + 1 || Object.getOwnPropertySymbols(v).length !== 0) return undefined;
    if (!Object.getOwnPropertyDescriptor(v, 'length')!.writable) return undefined;
    const descs: PropertyDescriptor[] = new Array<PropertyDescriptor>(n);
    for (let j = 0; j < n; j++) {
      const d = Object.getOwnPropertyDescriptor(v, j);
      if (!d || !isDefaultData(d)) return undefined;
      descs[j] = d;
    }
    const node = new Array<number>(n);
    for (let j = 0; j < n; j++) node[j] = this.ref(descs[j]!.value, i, L_KEY, String(j));
    return node;
  }

  private array(v: unknown[], proto: object | null, i: number): unknown[] {
    const length = v.length;
    const props = this.props(v, i, (k, d) => k === 'length' && d.writable === true);
    return this.tail(['A', length, props], v, proto, Array.prototype, i);
  }

  /** Own properties as a PROPS list; `intrinsic` says which ones the kind's constructor makes as they are. */
  private props(v: object, i: number, intrinsic?: (key: PropertyKey, d: PropertyDescriptor) => boolean): unknown[] {
    const out: unknown[] = [];
    for (const key of Reflect.ownKeys(v)) {
      const d = Object.getOwnPropertyDescriptor(v, key)!;
      if (intrinsic?.(key, d)) continue;
      if (typeof key === 'symbol' && Symbol.keyFor(key) === undefined && !WELL_KNOWN_SYMBOLS.has(key))
        throw this.refusalAt(i, `property keyed by a unique ${key.toString()}`, 'only Symbol.for() symbols and the well-known symbols are saved as keys');
      const name = typeof key === 'symbol' ? this.ref(key, i, L_KEY, key) : key;
      let flags = (d.enumerable ? ENUMERABLE : 0) | (d.configurable ? CONFIGURABLE : 0);
      if ('value' in d) {
        flags |= d.writable ? WRITABLE : 0;
        out.push(flags === DEFAULT_FLAGS && typeof name === 'string' ? name : [name, flags], this.ref(d.value, i, L_KEY, key));
      } else {
        const set = this.ref(d.set, i, L_SETTER, key);
        out.push([name, flags | ACCESSOR, set], this.ref(d.get, i, L_GETTER, key));
      }
    }
    return out;
  }

  /** Appends PROTO and X to a tagged node, then drops what holds its default from the right. */
  private tail(node: unknown[], v: object, proto: object | null, own: object, i: number): unknown[] {
    node.push(proto === own ? PROTO_DEFAULT : proto === null ? null : this.protoName(v, proto, i), Object.isExtensible(v) ? 0 : NOT_EXTENSIBLE);
    let end = node.length;
    if (node[end - 1] === 0) end--;
    if (end === node.length - 1 && node[end - 1] === PROTO_DEFAULT) {
      end--;
      const props = node[end - 1];
      if (Array.isArray(props) && props.length === 0) end--;
    }
    node.length = end;
    return node;
  }

  private protoName(v: object, proto: object, i: number): number {
    const cls = classOfPrototype(proto);
    if (!cls) {
      const [found, hint] = refuseInstance(v, proto);
      throw this.refusalAt(i, found, hint);
    }
    if (cls.privateMembers)
      throw this.refusalAt(i, `${cls.name} instance`, `class ${cls.name} has #private members, which live outside the object and cannot be saved: use ordinary fields`);
    return this.ref(cls.name, i, L_INTERNAL, undefined);
  }

  /** Every object that is not a plain object or array. */
  private special(v: object, proto: object | null, i: number): unknown[] {
    if (types.isNativeError(v)) return this.tail(['E', this.props(v, i)], v, proto, Error.prototype, i);
    if (types.isDate(v)) {
      const t = dateTime.call(v);
      return this.tail(['D', Number.isNaN(t) ? null : t, this.props(v, i)], v, proto, Date.prototype, i);
    }
    if (types.isRegExp(v)) {
      const source = reSource.call(v) as string;
      let flags = '';
      for (const [g, f] of RE_FLAGS) if (g.call(v)) flags += f;
      const props = this.props(v, i, (k, d) => k === 'lastIndex' && d.value === 0 && d.writable === true);
      return this.tail(['R', source, flags, props], v, proto, RegExp.prototype, i);
    }
    if (types.isMap(v)) {
      const entries: number[] = [];
      let n = 0;
      mapForEach.call(v, (value: unknown, key: unknown) => {
        entries.push(this.ref(key, i, L_MAP_KEY, n), this.ref(value, i, L_MAP_VALUE, n));
        n++;
      });
      return this.tail(['M', entries, this.props(v, i)], v, proto, Map.prototype, i);
    }
    if (types.isSet(v)) {
      const items: number[] = [];
      setForEach.call(v, (value: unknown) => {
        items.push(this.ref(value, i, L_SET, items.length));
      });
      return this.tail(['S', items, this.props(v, i)], v, proto, Set.prototype, i);
    }
    if (types.isBoxedPrimitive(v)) return this.boxed(v, proto, i);
    if (types.isTypedArray(v)) {
      const buffer = taBuffer.call(v) as ArrayBufferLike;
      this.refuseResizableView(buffer, i, 'typed array');
      const length = taLength.call(v) as number;
      const props = this.props(v, i, (k) => isIndexBelow(k, length));
      const type = taType.call(v) as string;
      const own = (globalThis as unknown as Record<string, { prototype: object }>)[type]!.prototype;
      const bufferRef = this.ref(buffer, i, L_BUFFER, undefined);
      if (proto === Buffer.prototype) (this.nodeBuffers ??= []).push([i, bufferRef]);
      return this.tail(['T', type, bufferRef, taOffset.call(v), length, props], v, proto, own, i);
    }
    if (types.isDataView(v)) {
      const buffer = dvBuffer.call(v) as ArrayBufferLike;
      this.refuseResizableView(buffer, i, 'DataView');
      return this.tail(['DV', this.ref(buffer, i, L_BUFFER, undefined), dvOffset.call(v), dvLength.call(v), this.props(v, i)], v, proto, DataView.prototype, i);
    }
    if (types.isArrayBuffer(v)) {
      const max = abResizable?.call(v) ? (abMax!.call(v) as number) : null;
      return this.tail(['AB', base64(v, abLength.call(v) as number), max, this.props(v, i)], v, proto, ArrayBuffer.prototype, i);
    }
    if (types.isSharedArrayBuffer(v)) {
      const max = sabGrowable?.call(v) ? (sabMax!.call(v) as number) : null;
      return this.tail(['SB', base64(v, sabLength.call(v) as number), max, this.props(v, i)], v, proto, SharedArrayBuffer.prototype, i);
    }
    for (const [is, found, hint] of REFUSED_KINDS) if (is(v)) throw this.refusalAt(i, found, hint);
    if (isBranded(v, URL.prototype, urlHref)) return this.tail(['U', urlHref.call(v), this.props(v, i)], v, proto, URL.prototype, i);
    if (isBranded(v, URLSearchParams.prototype, URLSearchParams.prototype.toString))
      return this.tail(['Q', URLSearchParams.prototype.toString.call(v as URLSearchParams), this.props(v, i)], v, proto, URLSearchParams.prototype, i);
    if (isCommand(v)) throw this.refusalAt(i, describeCommand(v), 'await it before the suspension (or start it inside Promise.all)');
    if (proto !== null && proto !== Object.prototype) {
      const fields = classOfPrototype(proto)?.fields;
      if (fields) {
        const compact = this.fieldsNode(v, proto, fields, i);
        if (compact) return compact;
      }
    }
    return this.tail(['O', this.props(v, i)], v, proto, Object.prototype, i);
  }

  /** `["C", name, REF…]` when `v` has exactly its class's `fields`, default and extensible. */
  private fieldsNode(v: object, proto: object, fields: readonly string[], i: number): unknown[] | undefined {
    if (!Object.isExtensible(v)) return undefined;
    const keys = Reflect.ownKeys(v);
    if (keys.length !== fields.length) return undefined;
    const descs: PropertyDescriptor[] = [];
    for (let j = 0; j < keys.length; j++) {
      if (keys[j] !== fields[j]) return undefined;
      const d = Object.getOwnPropertyDescriptor(v, keys[j]!)!;
      if (!isDefaultData(d)) return undefined;
      descs.push(d);
    }
    const node: unknown[] = ['C', this.protoName(v, proto, i)];
    for (let j = 0; j < descs.length; j++) node.push(this.ref(descs[j]!.value, i, L_KEY, fields[j]));
    return node;
  }

  private boxed(v: object, proto: object | null, i: number): unknown[] {
    let value: unknown;
    let own: object;
    if (types.isNumberObject(v)) [value, own] = [Number.prototype.valueOf.call(v), Number.prototype];
    else if (types.isStringObject(v)) [value, own] = [String.prototype.valueOf.call(v), String.prototype];
    else if (types.isBooleanObject(v)) [value, own] = [Boolean.prototype.valueOf.call(v), Boolean.prototype];
    else if (types.isBigIntObject(v)) [value, own] = [BigInt.prototype.valueOf.call(v), BigInt.prototype];
    else [value, own] = [Symbol.prototype.valueOf.call(v), Symbol.prototype];
    const length = typeof value === 'string' ? value.length : 0;
    // A String object's characters and length are its own properties, made by its constructor.
    const intrinsic = typeof value === 'string' ? (k: PropertyKey) => k === 'length' || isIndexBelow(k, length) : undefined;
    const props = this.props(v, i, intrinsic);
    return this.tail(['V', this.ref(value, i, L_BOXED, undefined), props], v, proto, own, i);
  }

  private refuseResizableView(buffer: ArrayBufferLike, i: number, what: string): void {
    // A view of a resizable buffer may track its length or not; nothing tells which.
    if (types.isSharedArrayBuffer(buffer) ? sabGrowable?.call(buffer) : abResizable?.call(buffer))
      throw this.refusalAt(i, `${what} over a resizable buffer`, 'whether it tracks the buffer\'s length cannot be read back; copy it into a fixed-length buffer');
  }

  private closure(fn: object, i: number): unknown[] {
    const tag = closureTag(fn);
    if (!tag) throw this.refusalAt(i, describeFunction(fn), FUNCTION_HINT);
    if (!this.closures) throw this.refusalAt(i, describeFunction(fn), CLOSURE_OUT_HINT);
    const t = templateOf(tag.site, tag.envs.length);
    if (Object.getPrototypeOf(fn) !== t.proto) throw this.refusalAt(i, describeFunction(fn), 'its prototype was replaced, which cannot be saved');
    const keys = Reflect.ownKeys(fn);
    for (let j = 0; j < t.keys.length; j++)
      if (keys[j] !== t.keys[j])
        throw this.refusalAt(i, describeFunction(fn), `its built-in property '${String(t.keys[j])}' was deleted or re-added, which cannot be saved`);
    const site = this.ref(tag.site, i, L_INTERNAL, undefined);
    const envs = tag.envs.map((env, j) => this.ref(env, i, L_ENV, j));
    const props = this.props(fn, i, (key, d) => {
      const j = t.keys.indexOf(key);
      if (j < 0) return false;
      const td = t.descs[j]!;
      if (d.enumerable !== td.enumerable || d.configurable !== td.configurable || d.writable !== td.writable || d.get !== td.get || d.set !== td.set) return false;
      if (key !== 'prototype') return Object.is(d.value, td.value);
      return this.untouchedPrototype(d.value, fn, t, i);
    });
    return this.tail(['F', site, envs, props], fn, t.proto, t.proto!, i);
  }

  /** A closure's `prototype` as its constructor made it: not saved, but remembered so a reference elsewhere becomes ["P", fn]. */
  private untouchedPrototype(p: unknown, fn: object, t: FnTemplate, i: number): boolean {
    if (typeof p !== 'object' || p === null || this.ids.has(p) || Object.getPrototypeOf(p) !== t.prototypeProto || !Object.isExtensible(p)) return false;
    const keys = Reflect.ownKeys(p);
    if (keys.length !== t.prototypeKeys.length || keys.some((k, j) => k !== t.prototypeKeys[j])) return false;
    if (keys.length) {
      const c = Object.getOwnPropertyDescriptor(p, 'constructor');
      if (keys.length !== 1 || !c || c.value !== fn || !c.writable || c.enumerable || !c.configurable) return false;
    }
    (this.prototypeOwners ??= new Map()).set(p, i);
    return true;
  }

  // -------------------------------------------------------------------------
  // Refusals
  // -------------------------------------------------------------------------

  private refusalAt(i: number, found: string, hint: string): Refusal {
    return new Refusal(found, hint, this.pathOf(i));
  }

  private refusal(found: string, hint: string, parent: number, label: number, key: unknown): Refusal {
    return new Refusal(found, hint, parent < 0 ? '' : this.pathOf(parent) + this.step(parent, label, key));
  }

  private pathOf(i: number): string {
    let path = '';
    for (let at = i; this.parents[at]! >= 0; at = this.parents[at]!) path = this.step(this.parents[at]!, this.labels[at]!, this.labelKeys[at]) + path;
    return path;
  }

  private step(parent: number, label: number, key: unknown): string {
    switch (label) {
      case L_KEY:
        return keyStep(key as PropertyKey);
      case L_GETTER:
        return `${keyStep(key as PropertyKey)}[[Get]]`;
      case L_SETTER:
        return `${keyStep(key as PropertyKey)}[[Set]]`;
      case L_MAP_KEY:
        return `.keys()[${key as number}]`;
      case L_MAP_VALUE: {
        const k: unknown = [...(Map.prototype.keys.call(this.values[parent] as Map<unknown, unknown>) as Iterable<unknown>)][key as number];
        const text = primitiveText(k);
        return text === undefined ? `.values()[${key as number}]` : `.get(${text})`;
      }
      case L_SET:
        return `.values()[${key as number}]`;
      case L_ENV:
        return '[[Scopes]]';
      case L_BUFFER:
        return '.buffer';
      case L_BOXED:
        return '[[PrimitiveValue]]';
      default:
        return '';
    }
  }
}

function isIndexBelow(k: PropertyKey, length: number): boolean {
  return typeof k === 'string' && /^(0|[1-9]\d*)$/.test(k) && Number(k) < length;
}

function keyStep(key: PropertyKey): string {
  if (typeof key === 'symbol') return `[${key.toString()}]`;
  if (/^(0|[1-9]\d*)$/.test(key as string)) return `[${key as string}]`;
  return /^[A-Za-z_$][\w$]*$/.test(key as string) ? `.${key as string}` : `[${JSON.stringify(key)}]`;
}

function primitiveText(v: unknown): string | undefined {
  switch (typeof v) {
    case 'string':
      return JSON.stringify(v);
    case 'number':
    case 'boolean':
    case 'undefined':
      return String(v);
    case 'bigint':
      return `${v}n`;
    case 'symbol':
      return v.toString();
    default:
      return v === null ? 'null' : undefined;
  }
}

function describeCommand(v: object): string {
  const cmd = v as { kind?: string; activity?: string; fn?: string };
  if (cmd.kind === 'call') return `un-awaited call of activity '${cmd.activity}'`;
  if (cmd.kind === 'frame') return `un-awaited call of workflow '${cmd.fn}'`;
  return `un-awaited ${cmd.kind} command`;
}

/** Whether `v` inherits from `proto` and really is one (the built-in method accepts it). */
function isBranded(v: object, proto: object, method: (this: never) => unknown): boolean {
  if (!Object.prototype.isPrototypeOf.call(proto, v)) return false;
  try {
    method.call(v as never);
    return true;
  } catch {
    return false;
  }
}

function base64(buffer: ArrayBufferLike, length: number): string {
  return Buffer.from(buffer, 0, length).toString('base64');
}
