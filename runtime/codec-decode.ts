/**
 * Reads a value graph written by codec-encode.ts (format: codec-format.ts).
 *
 * Three passes over the node table, so that any cycle comes back:
 *   1. make every object empty, with its prototype and its kind's internal
 *      data (closures last: their environments must exist first; a closure's
 *      untouched `prototype` after them);
 *   2. fill every object: properties with their descriptors, Map and Set
 *      entries (through the built-in methods, never the object's own);
 *   3. make the objects that were not extensible non-extensible.
 * Plain objects and arrays are the parsed JSON objects themselves, their
 * REFs replaced by values in pass 2. No user code runs: constructors are
 * the built-ins' (Reflect.construct with the class as new.target: the
 * class's own constructor does not run), properties are defined, not set.
 * Anything malformed is a DecodeError naming the node.
 */
import { closure, SiteVersionMissingError } from './closures.js';
import {
  ACCESSOR,
  CONFIGURABLE,
  ENUMERABLE,
  NOT_EXTENSIBLE,
  PROTO_DEFAULT,
  REF_INFINITY,
  REF_NAN,
  REF_NEG_INFINITY,
  REF_NEG_ZERO,
  REF_UNDEFINED,
  TYPED_ARRAYS,
  WRITABLE,
} from './codec-format.js';
import { classNamed, constantNamed } from './serializable.js';

export class DecodeError extends Error {}

export interface DecodeOptions {
  /**
   * For display (describe(), the CLI) in a process that may lack the
   * workflow's modules: an instance of a class this process has not
   * registered comes back as an object of its kind with a `$class` property
   * naming it (`$fields` holding a compact instance's fields), a closure of
   * an unknown site as a function that throws when called, an unknown
   * constant as `{ $constant: name }`. Never use the result to resume.
   */
  lenient?: boolean;
}

type Ctor = new (...args: never[]) => object;

const mapSet = Map.prototype.set;
const setAdd = Set.prototype.add;
const WELL_KNOWN = new Set(Object.getOwnPropertyNames(Symbol).filter((k) => typeof (Symbol as unknown as Record<string, unknown>)[k] === 'symbol'));

/** Where each tagged kind keeps PROPS (PROTO and X follow it). */
const PROPS_AT: Record<string, number> = { O: 1, E: 1, A: 2, D: 2, V: 2, M: 2, S: 2, U: 2, Q: 2, R: 3, AB: 3, SB: 3, F: 3, DV: 4, T: 5 };

/** Decode a JSON text in the value format; DecodeError on anything malformed. */
export function decodeGraph(text: string, options?: DecodeOptions): unknown {
  let table: unknown;
  try {
    table = JSON.parse(text);
  } catch (e) {
    throw new DecodeError(`not JSON (${(e as Error).message})`);
  }
  return decodeParsed(table, undefined, options);
}

/**
 * Decode a value already parsed from JSON (it is consumed: its plain objects
 * and arrays become the value's). `external` gives the caller's object for
 * an ["X", id] node (made by the caller, not filled here).
 */
export function decodeParsed(table: unknown, external?: (id: number) => object, options?: DecodeOptions): unknown {
  if (typeof table === 'number') return constant(table, false);
  if (!Array.isArray(table) || table.length === 0) throw new DecodeError('expected a node table (a non-empty JSON array) or a constant');
  return new GraphDecoder(table, external, options?.lenient === true).run();
}

function constant(r: number, hole: boolean): unknown {
  switch (r) {
    case REF_UNDEFINED:
      return undefined;
    case REF_NAN:
      return NaN;
    case REF_INFINITY:
      return Infinity;
    case REF_NEG_INFINITY:
      return -Infinity;
    case REF_NEG_ZERO:
      return -0;
    default:
      throw new DecodeError(hole ? `a hole (-2) outside an array's properties` : `invalid reference ${JSON.stringify(r)}`);
  }
}

class GraphDecoder {
  private readonly values: unknown[];
  /** 0: not made yet, 1: being made, 2: made. */
  private readonly made: Uint8Array;
  private at = 0;
  /** Lenient decoding: nodes whose class was unknown, and the name each gets as `$class`. */
  private readonly unknownClasses = new Map<number, string>();

  constructor(
    private readonly table: unknown[],
    private readonly external: ((id: number) => object) | undefined,
    private readonly lenient = false,
  ) {
    this.values = new Array<unknown>(table.length);
    this.made = new Uint8Array(table.length);
  }

  run(): unknown {
    const { table, values, made } = this;
    const n = table.length;
    const closures: number[] = [];
    const prototypes: number[] = [];
    const notExtensible: number[] = [];
    for (let i = 0; i < n; i++) {
      const node = table[i];
      if (!Array.isArray(node) || typeof node[0] !== 'string') {
        values[i] = node; // a primitive, or a plain object or array filled in place
        made[i] = 2;
        continue;
      }
      const tag = node[0];
      const at = PROPS_AT[tag];
      if (at !== undefined && node[at + 2] === NOT_EXTENSIBLE) notExtensible.push(i);
      if (tag === 'F') closures.push(i);
      else if (tag === 'P') prototypes.push(i);
      else if (made[i] !== 2) this.make(i);
    }
    for (const i of closures) this.makeClosure(i);
    for (const i of prototypes) this.makePrototype(i);
    for (let i = 0; i < n; i++) {
      const node = table[i];
      if (typeof node === 'object' && node !== null) {
        this.at = i;
        this.fill(node, i);
      }
    }
    for (const i of notExtensible) Object.preventExtensions(values[i]);
    return values[0];
  }

  private fail(message: string, i = this.at): DecodeError {
    return new DecodeError(`node ${i}: ${message}`);
  }

  /** The value of REF `r` (pass 2, or a leaf asked for while making another node in pass 1). */
  private ref(r: unknown): unknown {
    if (typeof r === 'number' && Number.isInteger(r)) {
      if (r >= 0) {
        if (r >= this.table.length) throw this.fail(`reference ${r} past the end of the table`);
        if (this.made[r] !== 2) {
          if (this.made[r] === 1) throw this.fail(`node ${r} needs itself to be made`);
          this.make(r);
        }
        return this.values[r];
      }
      return constant(r, r === -2);
    }
    throw this.fail(`invalid reference ${JSON.stringify(r)}`);
  }

  private string(r: unknown, what: string): string {
    const v = this.ref(r);
    if (typeof v !== 'string') throw this.fail(`${what} must be a string node`);
    return v;
  }

  // -------------------------------------------------------------------------
  // Pass 1: make
  // -------------------------------------------------------------------------

  private make(i: number): void {
    const saved = this.at;
    this.at = i;
    this.made[i] = 1;
    this.values[i] = this.create(this.table[i]);
    this.made[i] = 2;
    this.at = saved;
  }

  private create(node: unknown): unknown {
    if (typeof node !== 'object' || node === null) return node;
    if (!Array.isArray(node)) return node; // a plain object: filled in place
    const tag: unknown = node[0];
    if (typeof tag !== 'string') return node; // a plain array: filled in place
    switch (tag) {
      case 'B':
        if (typeof node[1] !== 'string' || !/^-?\d+$/.test(node[1])) throw this.fail('a BigInt needs its decimal digits');
        return BigInt(node[1]);
      case 'Y':
        if (typeof node[1] !== 'string') throw this.fail('a registered symbol needs its key');
        return Symbol.for(node[1]);
      case 'W':
        if (typeof node[1] !== 'string' || !WELL_KNOWN.has(node[1])) throw this.fail(`unknown well-known symbol ${JSON.stringify(node[1])}`);
        return (Symbol as unknown as Record<string, symbol>)[node[1]];
      case 'K': {
        const value = typeof node[1] === 'string' ? constantNamed(node[1]) : undefined;
        if (value !== undefined) return value;
        if (this.lenient && typeof node[1] === 'string') return { $constant: node[1] };
        throw this.fail(`unknown constant ${JSON.stringify(node[1])}`);
      }
      case 'O':
        return this.construct(node, Object, []);
      case 'C': {
        const name = this.string(node[1], 'a class name');
        const cls = classNamed(name);
        if (!cls && this.lenient) {
          this.unknownClasses.set(this.at, name);
          return {};
        }
        if (!cls) throw this.unknownClass(name);
        if (!cls.fields || cls.fields.length !== node.length - 2) throw this.fail(`class '${name}' is not registered with the ${node.length - 2} fields this instance was saved with`);
        return Object.create(cls.proto) as object;
      }
      case 'A': {
        const length = node[1];
        if (typeof length !== 'number' || !Number.isInteger(length) || length < 0 || length > 2 ** 32 - 1) throw this.fail('an array needs a valid length');
        return this.construct(node, Array, [length]);
      }
      case 'E': {
        const error = this.construct(node, Error, []);
        delete (error as { stack?: unknown }).stack; // the saved properties say whether it has one
        return error;
      }
      case 'D':
        if (node[1] !== null && typeof node[1] !== 'number') throw this.fail('a Date needs a time or null');
        return this.construct(node, Date, [node[1] ?? NaN]);
      case 'R':
        if (typeof node[1] !== 'string' || typeof node[2] !== 'string') throw this.fail('a RegExp needs its source and flags');
        try {
          return this.construct(node, RegExp, [node[1], node[2]]);
        } catch (e) {
          if (e instanceof DecodeError) throw e;
          throw this.fail(`invalid RegExp (${(e as Error).message})`);
        }
      case 'M':
        return this.construct(node, Map, []);
      case 'S':
        return this.construct(node, Set, []);
      case 'V': {
        const value = this.ref(node[1]);
        const t = typeof value;
        if (t === 'number' || t === 'string' || t === 'boolean') return this.construct(node, (t === 'number' ? Number : t === 'string' ? String : Boolean) as unknown as Ctor, [value]);
        if (t === 'bigint' || t === 'symbol') return this.construct(node, null, [], Object(value));
        throw this.fail('a boxed primitive needs a primitive');
      }
      case 'U':
      case 'Q':
        if (typeof node[1] !== 'string') throw this.fail(`${tag === 'U' ? 'a URL' : 'URLSearchParams'} needs its text`);
        try {
          return this.construct(node, (tag === 'U' ? URL : URLSearchParams) as unknown as Ctor, [node[1]]);
        } catch (e) {
          if (e instanceof DecodeError) throw e;
          throw this.fail(`invalid URL (${(e as Error).message})`);
        }
      case 'AB':
      case 'SB': {
        if (typeof node[1] !== 'string' || (node[2] !== null && typeof node[2] !== 'number')) throw this.fail('a buffer needs its bytes (base64) and max length or null');
        const bytes = Buffer.from(node[1], 'base64');
        const Buf = (tag === 'AB' ? ArrayBuffer : SharedArrayBuffer) as unknown as Ctor;
        const buffer = this.construct(node, Buf, node[2] === null ? [bytes.length] : [bytes.length, { maxByteLength: node[2] }]) as ArrayBufferLike;
        new Uint8Array(buffer).set(bytes);
        return buffer;
      }
      case 'T': {
        const Type = typeof node[1] === 'string' && Object.hasOwn(TYPED_ARRAYS, node[1]) ? TYPED_ARRAYS[node[1]] : undefined;
        if (!Type) throw this.fail(`unknown typed array type ${JSON.stringify(node[1])}`);
        return this.view(node, Type as unknown as Ctor, node[2], node[3], node[4]);
      }
      case 'DV':
        return this.view(node, DataView as unknown as Ctor, node[1], node[2], node[3]);
      case 'X':
        if (!this.external || typeof node[1] !== 'number') throw this.fail('an external reference needs its owner and a number');
        return this.external(node[1]);
      case 'F':
      case 'P':
        throw this.fail('a closure is made after every other object and cannot be needed to make one');
      default:
        throw this.fail(`unknown node tag ${JSON.stringify(tag)}`);
    }
  }

  private view(node: unknown[], Type: Ctor, bufferRef: unknown, offset: unknown, length: unknown): object {
    const buffer = this.ref(bufferRef);
    if (!(buffer instanceof ArrayBuffer || buffer instanceof SharedArrayBuffer)) throw this.fail('a view needs a buffer node');
    try {
      return this.construct(node, Type, [buffer, offset, length] as never[]);
    } catch (e) {
      if (e instanceof DecodeError) throw e;
      throw this.fail(`invalid view (${(e as Error).message})`);
    }
  }

  /**
   * An object of built-in kind `Builtin` with the node's PROTO: the kind's own
   * prototype, null, or a registered class's (made with the class as
   * new.target, so its constructor does not run). `made` is an object the
   * kind cannot be constructed for (a boxed BigInt or Symbol).
   */
  private construct(node: unknown[], Builtin: Ctor | null, args: unknown[], made?: object): object {
    const spec = node[PROPS_AT[node[0] as string]! + 1];
    if (spec === undefined || spec === PROTO_DEFAULT) return made ?? Reflect.construct(Builtin!, args);
    if (spec === null) {
      const o = made ?? Reflect.construct(Builtin!, args);
      Object.setPrototypeOf(o, null);
      return o;
    }
    const name = this.string(spec, 'a prototype');
    const cls = classNamed(name);
    if (!cls && this.lenient) {
      this.unknownClasses.set(this.at, name);
      return made ?? Reflect.construct(Builtin!, args);
    }
    if (!cls) throw this.unknownClass(name);
    if (made || typeof cls.ctor !== 'function' || cls.ctor === (BigInt as unknown) || cls.ctor === (Symbol as unknown)) {
      const o = made ?? Reflect.construct(Builtin!, args);
      Object.setPrototypeOf(o, cls.proto);
      return o;
    }
    return Reflect.construct(Builtin!, args, cls.ctor);
  }

  private unknownClass(name: string): DecodeError {
    return this.fail(
      `holds an instance of class '${name}', which is not registered in this process ` +
        `(import the module that declares it: a workflow's module registers its top-level classes, others call serializable())`,
    );
  }

  private makeClosure(i: number): void {
    this.at = i;
    const node = this.table[i] as unknown[];
    const site = this.string(node[1], 'a closure site');
    if (!Array.isArray(node[2])) throw this.fail('a closure needs its list of environments');
    const envs = node[2].map((r) => {
      if (typeof r !== 'number' || r < 0 || r >= this.table.length) throw this.fail(`invalid environment reference ${JSON.stringify(r)}`);
      const env = this.values[r];
      if (typeof env !== 'object' || env === null || this.made[r] !== 2) throw this.fail(`environment ${r} of closure site '${site}' is not an object`);
      return env;
    });
    let fn: unknown;
    try {
      fn = closure(site, ...envs);
    } catch (e) {
      // A build not loaded here: the caller leaves the execution for a worker that has it.
      if (e instanceof SiteVersionMissingError && !this.lenient) throw e;
      if (this.lenient)
        fn = Object.defineProperty(
          () => {
            throw new Error(`reawait: closure site '${site}' is not defined in this process; this value is for display only`);
          },
          'name',
          { value: `closure ${site}` },
        );
      else throw this.fail(`holds a closure of site '${site}', which is not defined in this process (${(e as Error).message.replace(/^reawait: /, '')})`);
    }
    this.values[i] = fn;
    this.made[i] = 2;
  }

  private makePrototype(i: number): void {
    this.at = i;
    const r = (this.table[i] as unknown[])[1];
    const fn = typeof r === 'number' && r >= 0 && r < this.table.length ? this.values[r] : undefined;
    const p = typeof fn === 'function' ? Object.getOwnPropertyDescriptor(fn, 'prototype')?.value : undefined;
    if (typeof p !== 'object' || p === null) throw this.fail(`["P"] must refer to a closure that has a prototype`);
    this.values[i] = p;
    this.made[i] = 2;
  }

  // -------------------------------------------------------------------------
  // Pass 2: fill
  // -------------------------------------------------------------------------

  private fill(node: unknown, i: number): void {
    if (typeof node !== 'object' || node === null) return;
    if (!Array.isArray(node)) {
      const o = node as Record<string, unknown>;
      for (const k of Object.keys(o)) o[k] = this.ref(o[k]);
      return;
    }
    const tag: unknown = node[0];
    if (typeof tag !== 'string') {
      for (let j = 0; j < node.length; j++) {
        if (node[j] === -2) throw this.fail('a plain array has no holes');
        node[j] = this.ref(node[j]);
      }
      return;
    }
    const value = this.values[i] as object;
    switch (tag) {
      case 'X':
        return; // the caller's own object
      case 'M': {
        const entries = this.list(node[1], 'Map entries');
        if (entries.length % 2) throw this.fail('Map entries come in pairs');
        for (let j = 0; j < entries.length; j += 2) mapSet.call(value as Map<unknown, unknown>, this.ref(entries[j]), this.ref(entries[j + 1]));
        break;
      }
      case 'S':
        for (const r of this.list(node[1], 'Set items')) setAdd.call(value as Set<unknown>, this.ref(r));
        break;
      case 'C': {
        const unknown = this.unknownClasses.get(i);
        if (unknown !== undefined) {
          Object.assign(value, { $class: unknown, $fields: node.slice(2).map((r) => this.ref(r)) });
          return;
        }
        const fields = classNamed(this.string(node[1], 'a class name'))!.fields!;
        for (let j = 0; j < fields.length; j++) Object.defineProperty(value, fields[j]!, { value: this.ref(node[j + 2]), writable: true, enumerable: true, configurable: true });
        return;
      }
    }
    const unknown = this.unknownClasses.get(i);
    if (unknown !== undefined) Object.defineProperty(value, '$class', { value: unknown, writable: true, enumerable: true, configurable: true });
    const at = PROPS_AT[tag];
    if (at !== undefined && node[at] !== undefined) this.defineProps(value, this.list(node[at], 'properties'));
  }

  private list(v: unknown, what: string): unknown[] {
    if (!Array.isArray(v)) throw this.fail(`${what} must be a list`);
    return v;
  }

  private defineProps(o: object, props: unknown[]): void {
    if (props.length % 2) throw this.fail('properties come in key, value pairs');
    for (let j = 0; j < props.length; j += 2) {
      const key = props[j];
      try {
        if (typeof key === 'string') {
          Object.defineProperty(o, key, { value: this.ref(props[j + 1]), writable: true, enumerable: true, configurable: true });
          continue;
        }
        if (!Array.isArray(key) || typeof key[1] !== 'number') throw this.fail(`invalid property key ${JSON.stringify(key)}`);
        const name = typeof key[0] === 'string' ? key[0] : this.ref(key[0]);
        if (typeof name !== 'string' && typeof name !== 'symbol') throw this.fail('a property key must be a string or a symbol');
        const flags = key[1];
        const enumerable = (flags & ENUMERABLE) !== 0;
        const configurable = (flags & CONFIGURABLE) !== 0;
        if (flags & ACCESSOR) {
          const get = this.ref(props[j + 1]);
          const set = this.ref(key[2]);
          if ((get !== undefined && typeof get !== 'function') || (set !== undefined && typeof set !== 'function')) throw this.fail(`accessor ${String(name)} needs functions`);
          Object.defineProperty(o, name, { get: get as () => unknown, set: set as (v: unknown) => void, enumerable, configurable });
        } else Object.defineProperty(o, name, { value: this.ref(props[j + 1]), writable: (flags & WRITABLE) !== 0, enumerable, configurable });
      } catch (e) {
        if (e instanceof DecodeError) throw e;
        throw this.fail(`cannot define property ${JSON.stringify(typeof key === 'string' ? key : key)} (${(e as Error).message})`);
      }
    }
  }
}
