/**
 * `exactDifference(a, b)`: where two value graphs can be told apart, or
 * undefined when they cannot — the codec's "indistinguishable" made
 * checkable. Both graphs are walked in step with a one-to-one map between
 * their objects (so shared and cyclic references must have the same shape),
 * comparing at every object: the prototype (by identity), extensibility,
 * own keys in order, every property descriptor (getters and setters too),
 * and each built-in kind's internal data (a Date's time, a RegExp's source
 * and flags, Map and Set entries in order, a view's buffer, offset and
 * length, a buffer's bytes, a boxed primitive, a URL). Closures are compared
 * by site and environments; any other function must be the same function.
 */
import { types } from 'node:util';
import { closureTag } from '../../runtime/closures.js';

export function exactDifference(a: unknown, b: unknown): string | undefined {
  return new Comparison().run(a, b);
}

class Comparison {
  private readonly pairs = new Map<object, object>();
  private readonly reverse = new Map<object, object>();
  /** Pairs still to compare (a work list: a 20,000-link chain must not overflow the stack). */
  private readonly todo: [unknown, unknown, string][] = [];

  run(a: unknown, b: unknown): string | undefined {
    this.todo.push([a, b, '']);
    for (let next = this.todo.pop(); next; next = this.todo.pop()) {
      const d = this.pair(...next);
      if (d) return d;
    }
    return undefined;
  }

  /** Compare later (children of the pair being compared). */
  private diff(a: unknown, b: unknown, path: string): undefined {
    this.todo.push([a, b, path]);
    return undefined;
  }

  private pair(a: unknown, b: unknown, path: string): string | undefined {
    if (typeof a !== typeof b) return `${path || 'value'}: ${typeof a} vs ${typeof b}`;
    if ((typeof a !== 'object' && typeof a !== 'function') || a === null || b === null) {
      return Object.is(a, b) ? undefined : `${path || 'value'}: ${String(a)} vs ${String(b)}`;
    }
    const x = a as object;
    const y = b as object;
    const seen = this.pairs.get(x);
    if (seen !== undefined) return seen === y ? undefined : `${path}: a shared reference is not shared the same way`;
    if (this.reverse.has(y)) return `${path}: two objects became one`;
    this.pairs.set(x, y);
    this.reverse.set(y, x);
    return this.object(x, y, path);
  }

  private object(x: object, y: object, path: string): string | undefined {
    const at = path || 'value';
    if (Object.getPrototypeOf(x) !== Object.getPrototypeOf(y)) return `${at}: prototypes differ`;
    if (Object.isExtensible(x) !== Object.isExtensible(y)) return `${at}: extensibility differs`;
    const kind = this.internal(x, y, path);
    if (kind) return kind;
    const kx = Reflect.ownKeys(x);
    const ky = Reflect.ownKeys(y);
    if (kx.length !== ky.length || kx.some((k, i) => k !== ky[i])) return `${at}: own keys ${describeKeys(kx)} vs ${describeKeys(ky)}`;
    for (const k of kx) {
      const dx = Object.getOwnPropertyDescriptor(x, k)!;
      const dy = Object.getOwnPropertyDescriptor(y, k)!;
      const p = `${path}[${typeof k === 'symbol' ? k.toString() : JSON.stringify(k)}]`;
      for (const flag of ['enumerable', 'configurable', 'writable'] as const)
        if (dx[flag] !== dy[flag]) return `${p}: ${flag} ${String(dx[flag])} vs ${String(dy[flag])}`;
      if ('value' in dx !== 'value' in dy) return `${p}: data vs accessor`;
      if ('value' in dx) this.diff(dx.value, dy.value, p);
      else {
        this.diff(dx.get, dy.get, `${p}[[Get]]`);
        this.diff(dx.set, dy.set, `${p}[[Set]]`);
      }
    }
    return undefined;
  }

  /** The internal data of built-in kinds (and functions), which no property shows. */
  private internal(x: object, y: object, path: string): string | undefined {
    const at = path || 'value';
    if (typeof x === 'function') {
      if (x === y) return undefined;
      const tx = closureTag(x);
      const ty = closureTag(y);
      if (!tx || !ty) return `${at}: different functions (not closures)`;
      if (tx.site !== ty.site || tx.envs.length !== ty.envs.length) return `${at}: closure of site ${tx.site} vs ${ty.site}`;
      for (let i = 0; i < tx.envs.length; i++) this.diff(tx.envs[i], ty.envs[i], `${path}[[Scopes]]`);
      return undefined;
    }
    const checks: [(v: object) => boolean, (v: object) => unknown][] = [
      [types.isDate, (v) => Date.prototype.getTime.call(v)],
      [types.isRegExp, (v) => `${RegExp.prototype.toString.call(v)}`],
      [types.isNumberObject, (v) => Number.prototype.valueOf.call(v)],
      [types.isStringObject, (v) => String.prototype.valueOf.call(v)],
      [types.isBooleanObject, (v) => Boolean.prototype.valueOf.call(v)],
      [types.isBigIntObject, (v) => BigInt.prototype.valueOf.call(v)],
      [types.isSymbolObject, (v) => Symbol.prototype.valueOf.call(v)],
      [types.isNativeError, () => 'error'],
      [Array.isArray, () => 'array'],
      [types.isProxy, () => 'proxy'],
      [(v) => v instanceof URL, (v) => (v as URL).href],
      [(v) => v instanceof URLSearchParams, (v) => (v as URLSearchParams).toString()],
      [types.isAnyArrayBuffer, (v) => Buffer.from(v as ArrayBuffer).toString('hex') + (types.isSharedArrayBuffer(v) ? ' shared' : '')],
    ];
    for (const [is, data] of checks) {
      if (is(x) !== is(y)) return `${at}: different kinds`;
      if (is(x) && !Object.is(data(x), data(y))) return `${at}: internal data ${String(data(x))} vs ${String(data(y))}`;
    }
    if (types.isAnyArrayBuffer(x)) {
      type Sized = { byteLength: number; resizable?: boolean; maxByteLength?: number };
      const ax = x as Sized;
      const ay = y as Sized;
      if (ax.byteLength !== ay.byteLength || ax.resizable !== ay.resizable || ax.maxByteLength !== ay.maxByteLength) return `${at}: buffer sizes differ`;
    }
    if (types.isMap(x) !== types.isMap(y) || types.isSet(x) !== types.isSet(y)) return `${at}: different kinds`;
    if (types.isMap(x)) {
      const ex = [...Map.prototype.entries.call(x)] as [unknown, unknown][];
      const ey = [...Map.prototype.entries.call(y as Map<unknown, unknown>)] as [unknown, unknown][];
      if (ex.length !== ey.length) return `${at}: Map sizes ${ex.length} vs ${ey.length}`;
      for (let i = 0; i < ex.length; i++) {
        this.diff(ex[i]![0], ey[i]![0], `${path}.keys()[${i}]`);
        this.diff(ex[i]![1], ey[i]![1], `${path}.values()[${i}]`);
      }
    }
    if (types.isSet(x)) {
      const vx = [...Set.prototype.values.call(x)];
      const vy = [...Set.prototype.values.call(y as Set<unknown>)];
      if (vx.length !== vy.length) return `${at}: Set sizes ${vx.length} vs ${vy.length}`;
      for (let i = 0; i < vx.length; i++) this.diff(vx[i], vy[i], `${path}.values()[${i}]`);
    }
    if (types.isArrayBufferView(x) !== types.isArrayBufferView(y)) return `${at}: different kinds`;
    if (types.isArrayBufferView(x)) {
      const vx = x as ArrayBufferView;
      const vy = y as ArrayBufferView;
      const tag = (v: object): unknown => (types.isDataView(v) ? 'DataView' : Object.getOwnPropertyDescriptor(Object.getPrototypeOf(Int8Array.prototype) as object, Symbol.toStringTag)!.get!.call(v));
      if (tag(vx) !== tag(vy) || vx.byteOffset !== vy.byteOffset || vx.byteLength !== vy.byteLength) return `${at}: views differ`;
      this.diff(vx.buffer, vy.buffer, `${path}.buffer`);
    }
    return undefined;
  }
}

function describeKeys(keys: PropertyKey[]): string {
  return `[${keys.map((k) => (typeof k === 'symbol' ? k.toString() : k)).join(', ')}]`;
}
