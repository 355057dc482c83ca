/**
 * The value zoo: every kind of value a workflow local can hold, each made
 * fresh by its maker, and the kinds the codec must refuse, each with the
 * path inside the value and what the error names there. Closures are made
 * with closure() over sites registered here (what compiled workflow code
 * does for every function it creates).
 */
import { closure, defineSite, TDZ } from '../../runtime/closures.js';
import type { SiteMeta } from '../../runtime/contract.js';
import { serializable } from '../../runtime/serializable.js';
import { CancelledError } from '../../runtime/workflow.js';

// ---------------------------------------------------------------------------
// Closure sites (as the compiler registers them) and classes
// ---------------------------------------------------------------------------

const site = (n: number, name: string, envs: string[], extra: Partial<SiteMeta> = {}): SiteMeta => ({
  id: `zoo/${n}`,
  kind: 'sync',
  name,
  length: 0,
  file: 'test/support/value-zoo.ts',
  line: n,
  column: 0,
  envs,
  ownThis: false,
  ...extra,
});
type Env = Record<string, unknown>;
defineSite(site(1, 'count', ['$e1']), (($e1: Env) => () => $e1.n) as never);
defineSite(site(2, 'self', ['$e1']), (($e1: Env) => () => ($e1.f as () => unknown)()) as never);
defineSite(site(3, 'get twice', [], { ownThis: true }), (() => Object.getOwnPropertyDescriptor({ get twice() { return (this as unknown as { n: number }).n * 2; } }, 'twice')!.get!) as never);
defineSite(site(4, 'set twice', [], { ownThis: true, length: 1 }), (() =>
  Object.getOwnPropertyDescriptor({ set twice(v: number) { (this as unknown as { n: number }).n = v / 2; } }, 'twice')!.set!) as never);
defineSite(site(5, 'Make', ['$e1'], { ownThis: true }), (($e1: Env) => function Make(this: Env) { this.k = $e1.n; }) as never);
defineSite(site(6, 'add', ['$e1', '$e2'], { length: 1 }), (($e1: Env, $e2: Env) => (x: number) => x + ($e1.n as number) + ($e2.m as number)) as never);

export const zooClosure = (n: number, ...envs: object[]): ((...args: never[]) => unknown) => closure(`zoo/${n}`, ...envs);

export class Money {
  constructor(
    public amount: number,
    public currency: string,
  ) {}
  get doubled(): number {
    return this.amount * 2;
  }
}
serializable(Money, 'zoo.Money');

/** Many small instances: saved positionally. */
export class Point {
  constructor(
    public x: number,
    public y: number,
  ) {}
}
serializable(Point, 'zoo.Point', { fields: ['x', 'y'] });

export class Point3 extends Point {
  z = 0;
}
serializable(Point3, 'zoo.Point3');

export class ValidationError extends Error {
  override name = 'ValidationError';
  constructor(
    message: string,
    readonly field: string,
  ) {
    super(message);
  }
}
serializable(ValidationError, 'zoo.ValidationError');

export class Stack extends Array<unknown> {}
serializable(Stack, 'zoo.Stack');
export class Registry extends Map<string, unknown> {}
serializable(Registry, 'zoo.Registry');
export class Moment extends Date {}
serializable(Moment, 'zoo.Moment');

export class Socket {
  fd = 3;
}
export class Unregistered extends Money {}
export class WithPrivate {
  #secret = 1;
  reveal(): number {
    return this.#secret;
  }
}
serializable(WithPrivate, 'zoo.WithPrivate');

// ---------------------------------------------------------------------------
// Values that must come back indistinguishable
// ---------------------------------------------------------------------------

const define = <T extends object>(o: T, key: PropertyKey, d: PropertyDescriptor): T => Object.defineProperty(o, key, d);
/** An error with a stack that does not depend on where it was made (so two makes compare equal). */
const fixed = <E extends Error>(e: E): E => {
  if (Object.hasOwn(e, 'stack')) e.stack = `${e.name}: ${e.message}\n    at the zoo`;
  return e;
};

export const ZOO: Record<string, () => unknown> = {
  // primitives
  undefined: () => undefined,
  null: () => null,
  true: () => true,
  false: () => false,
  zero: () => 0,
  'negative zero': () => -0,
  integer: () => 42,
  fraction: () => -3.25,
  NaN: () => NaN,
  Infinity: () => Infinity,
  '-Infinity': () => -Infinity,
  'beyond safe integers': () => 2 ** 60 + 2 ** 10,
  'smallest double': () => Number.MIN_VALUE,
  'empty string': () => '',
  'unicode string': () => 'ß 😀 \u2028 \u0000 "quoted" </script>',
  'lone surrogate': () => 'a\ud800b',
  'string "__proto__"': () => '__proto__',
  bigint: () => -12345678901234567890123n,
  'bigint zero': () => 0n,
  'Symbol.for': () => Symbol.for('zoo.key'),
  'well-known symbol': () => Symbol.asyncIterator,
  // plain objects
  'empty object': () => ({}),
  'nested object': () => ({ a: { b: { c: [1, { d: 'e' }] } }, f: null }),
  'integer-like keys keep their order': () => ({ b: 1, 2: 'two', a: 3, 1: 'one', '01': 'not an index' }),
  'own __proto__ key': () => JSON.parse('{"__proto__": {"polluted": true}, "x": 1}') as unknown,
  'null-prototype object': () => Object.assign(Object.create(null) as object, { a: 1 }),
  'non-enumerable property': () => define({ a: 1 }, 'hidden', { value: 2, writable: true, enumerable: false, configurable: true }),
  'read-only property': () => define({}, 'fixed', { value: 'ro', writable: false, enumerable: true, configurable: true }),
  'non-configurable property': () => define({}, 'stuck', { value: 1, writable: true, enumerable: true, configurable: false }),
  'frozen object': () => Object.freeze({ a: 1, inner: { b: 2 } }),
  'sealed object': () => Object.seal({ a: 1 }),
  'non-extensible object': () => Object.preventExtensions({ a: 1 }),
  'frozen null-prototype object': () => Object.freeze(Object.assign(Object.create(null) as object, { z: 0 })),
  'getter (a closure)': () => define({ n: 1 }, 'twice', { get: zooClosure(3) as () => number, enumerable: true, configurable: true }),
  'getter and setter': () => define({ n: 1 }, 'twice', { get: zooClosure(3) as () => number, set: zooClosure(4) as (v: number) => void, enumerable: true, configurable: true }),
  'setter only, non-enumerable': () => define({ n: 1 }, 'twice', { set: zooClosure(4) as (v: number) => void, enumerable: false, configurable: false }),
  'Symbol.for key': () => ({ [Symbol.for('zoo.meta')]: { tag: 1 }, plain: 2 }),
  'well-known symbol key': () => ({ [Symbol.toStringTag]: 'Custom' }),
  'shared reference': () => {
    const shared = { n: 1 };
    return { a: shared, b: [shared], c: new Map([['k', shared]]) };
  },
  'self cycle': () => {
    const o: Record<string, unknown> = { name: 'o' };
    o.self = o;
    return o;
  },
  'mutual cycle through array and set': () => {
    const a: unknown[] = [];
    const s = new Set<unknown>([a]);
    a.push(s);
    return { a, s };
  },
  // arrays
  'empty array': () => [],
  array: () => [1, 'two', [3], { four: 4 }],
  'array with holes': () => [1, , 3, , ,], // eslint-disable-line no-sparse-arrays
  'sparse array': () => {
    const a: unknown[] = [];
    a[1000] = 'far';
    return a;
  },
  'array with named properties': () => Object.assign([1, 2], { label: 'L', meta: { n: 1 } }),
  'match() result (index, input, groups)': () => 'say hello'.match(/(?<word>h\w+)/),
  'frozen array': () => Object.freeze([1, [2]]),
  'array with read-only length': () => define([1, 2], 'length', { writable: false }),
  'array with an accessor element': () => define([1, 2] as unknown[], 0, { get: zooClosure(3) as () => number, enumerable: true, configurable: true }),
  'array containing itself': () => {
    const a: unknown[] = [1];
    a.push(a);
    return a;
  },
  'null-prototype array': () => Object.setPrototypeOf([1], null) as unknown,
  'registered Array subclass': () => Stack.from([1, 2]) as unknown,
  // dates and regexps
  date: () => new Date('2024-02-03T04:05:06.789Z'),
  'invalid date': () => new Date(NaN),
  'date with a property': () => Object.assign(new Date(0), { tz: 'UTC' }),
  'registered Date subclass': () => new Moment(86_400_000),
  regexp: () => /a+b/gi,
  'regexp with every flag': () => new RegExp('x.', 'dgimsuy'),
  'regexp with lastIndex': () => {
    const re = /o/g;
    re.exec('foo');
    return re;
  },
  'regexp with a property': () => Object.assign(/z/, { note: 'n' }),
  // collections
  'empty Map': () => new Map(),
  Map: () => new Map<unknown, unknown>([['a', 1], [2, 'b'], [null, undefined]]),
  'Map with object keys in order': () => {
    const k1 = { id: 1 };
    const k2 = [2];
    return new Map<unknown, unknown>([[k2, 'array key'], [k1, 'object key'], ['k1', k1]]);
  },
  'Map with NaN and -0 keys': () => new Map<unknown, unknown>([[NaN, 'nan'], [-0, 'zero']]),
  'Map containing itself': () => {
    const m = new Map<unknown, unknown>();
    m.set(m, m);
    return m;
  },
  'Map with a property': () => Object.assign(new Map([[1, 1]]), { label: 'x' }),
  'registered Map subclass': () => new Registry([['a', 1]]),
  'empty Set': () => new Set(),
  Set: () => new Set<unknown>([3, 'three', { n: 3 }, [3]]),
  'Set containing itself': () => {
    const s = new Set<unknown>();
    s.add(s);
    return s;
  },
  // errors
  Error: () => fixed(new Error('plain')),
  'Error without a message': () => fixed(new Error()),
  'Error with a cause': () => fixed(new Error('outer', { cause: fixed(new RangeError('inner')) })),
  'Error with a non-error cause': () => fixed(new Error('outer', { cause: { code: 7 } })),
  TypeError: () => fixed(new TypeError('t')),
  RangeError: () => fixed(new RangeError('r')),
  ReferenceError: () => fixed(new ReferenceError('r')),
  SyntaxError: () => fixed(new SyntaxError('s')),
  EvalError: () => fixed(new EvalError('e')),
  URIError: () => fixed(new URIError('u')),
  AggregateError: () => fixed(new AggregateError([fixed(new Error('a')), 'b', undefined], 'all failed')),
  'Error with a renamed name and own fields': () => Object.assign(fixed(new Error('disk full')), { name: 'IOError', code: 'ENOSPC', at: new Date(0) }),
  'Error without a stack': () => {
    const e = new Error('no stack');
    delete (e as { stack?: string }).stack;
    return e;
  },
  'Error that refers to itself through its fields': () => {
    const e = fixed(new Error('loop')) as Error & { ctx?: unknown };
    e.ctx = { e, list: [e] };
    return e;
  },
  CancelledError: () => fixed(new CancelledError('stop')),
  'registered Error subclass': () => fixed(new ValidationError('bad email', 'email')),
  'frozen Error': () => Object.freeze(fixed(new TypeError('frozen'))),
  // boxed primitives
  'boxed number': () => new Number(-0),
  'boxed string with a property': () => Object.assign(new String('hi'), { extra: 1 }),
  'boxed boolean': () => new Boolean(false),
  'boxed bigint': () => Object(10n) as unknown,
  'boxed symbol': () => Object(Symbol.for('boxed')) as unknown,
  // binary data
  ArrayBuffer: () => new Uint8Array([1, 2, 3, 255]).buffer,
  'resizable ArrayBuffer': () => new (ArrayBuffer as unknown as new (n: number, o: object) => ArrayBuffer)(4, { maxByteLength: 64 }),
  SharedArrayBuffer: () => {
    const s = new SharedArrayBuffer(4);
    new Uint8Array(s).set([9, 8, 7, 6]);
    return s;
  },
  Uint8Array: () => new Uint8Array([0, 127, 255]),
  'Int8Array over part of a buffer': () => new Int8Array(new Int8Array([1, -2, 3, -4, 5]).buffer, 1, 3),
  Uint8ClampedArray: () => new Uint8ClampedArray([300, -5]),
  Int16Array: () => new Int16Array([-32768, 32767]),
  Uint16Array: () => new Uint16Array([65535]),
  Int32Array: () => new Int32Array([-1, 2 ** 31 - 1]),
  Uint32Array: () => new Uint32Array([2 ** 32 - 1]),
  Float32Array: () => new Float32Array([1.5, NaN, -0]),
  Float64Array: () => new Float64Array([Math.PI, -0, Infinity]),
  BigInt64Array: () => new BigInt64Array([-(2n ** 63n)]),
  BigUint64Array: () => new BigUint64Array([2n ** 64n - 1n]),
  'two views sharing one buffer': () => {
    const buf = new ArrayBuffer(8);
    return { bytes: new Uint8Array(buf), words: new Uint32Array(buf, 4, 1), buf };
  },
  DataView: () => new DataView(new Uint8Array([1, 2, 3, 4]).buffer, 1, 2),
  'typed array with a property': () => Object.assign(new Uint16Array([1]), { unit: 'ms' }),
  'Node Buffer (own buffer)': () => Buffer.alloc(16, 'ab'),
  // web classes
  URL: () => new URL('https://user:pw@example.com:8080/p/a?q=1#h'),
  URLSearchParams: () => new URLSearchParams('a=1&b=2&a=3'),
  // classes
  'registered class instance': () => new Money(5, 'EUR'),
  'registered class instance, frozen': () => Object.freeze(new Money(1, 'USD')),
  'registered class with fields (compact)': () => [new Point(1, 2), new Point(3, 4)],
  'registered class with fields and an extra property': () => Object.assign(new Point(1, 2), { label: 'p' }),
  'registered subclass of a registered class': () => new Point3(1, 2),
  // closures
  closure: () => zooClosure(1, { n: 5 }),
  'closure inside its own environment': () => {
    const env: Env = {};
    env.f = zooClosure(2, env);
    return env.f;
  },
  'two closures sharing an environment': () => {
    const env = { n: 1, m: 2 };
    return [zooClosure(1, env), zooClosure(6, env, env)];
  },
  'closure with its own properties': () => Object.assign(zooClosure(1, { n: 1 }), { cache: new Map([[1, 2]]) }),
  'function closure and its prototype referenced elsewhere': () => {
    const Make = zooClosure(5, { n: 1 }) as unknown as { prototype: object };
    return { Make, proto: Make.prototype };
  },
  'function closure, its untouched prototype reached later': () => {
    const Make = zooClosure(5, { n: 1 }) as unknown as { prototype: object };
    return { Make, later: { deeper: { proto: Make.prototype } } };
  },
  'function closure with a changed prototype': () => {
    const Make = zooClosure(5, { n: 1 }) as unknown as { prototype: Record<string, unknown> };
    Make.prototype.shared = 'on the prototype';
    return Make;
  },
  'closure as a Map key and value': () => {
    const f = zooClosure(1, { n: 2 });
    return new Map([[f, f]]);
  },
  // constants and odd shapes
  'TDZ marker': () => ({ notYet: TDZ }),
  'deep chain (20,000 links)': () => {
    let list: { next?: unknown; i: number } = { i: 0 };
    for (let i = 1; i < 20_000; i++) list = { next: list, i };
    return list;
  },
  'large array': () => Array.from({ length: 5_000 }, (_, i) => i * 1.5),
};

// ---------------------------------------------------------------------------
// Values that must be refused, at a path, naming what is there
// ---------------------------------------------------------------------------

function* gen(): Generator<number> {
  yield 1;
}
function argumentsObject(..._a: unknown[]): IArguments {
  // eslint-disable-next-line prefer-rest-params
  return arguments;
}

export interface Refused {
  make: () => unknown;
  path: string;
  found: RegExp;
}

export const REFUSED: Record<string, Refused> = {
  'plain function': { make: () => ({ cb: function handler() {} }), path: '.cb', found: /a function \(handler\)/ },
  'arrow function in an array': { make: () => [1, () => 2], path: '[1]', found: /a function/ },
  'bound function': { make: () => ({ f: Math.max.bind(null, 1) }), path: '.f', found: /a bound function \(max\)/ },
  class: { make: () => ({ C: Money }), path: '.C', found: /a class Money/ },
  'built-in function': { make: () => ({ parse: JSON.parse }), path: '.parse', found: /a function \(parse\)/ },
  'unregistered class instance': { make: () => ({ conn: new Socket() }), path: '.conn', found: /a Socket instance.*serializable\(Socket\)/ },
  'unregistered subclass of a registered class': { make: () => [new Unregistered(1, 'x')], path: '[0]', found: /an Unregistered instance.*only its base class zoo\.Money is/ },
  'object with a custom prototype': { make: () => ({ o: Object.create({ inherited: 1 }) as object }), path: '.o', found: /an object with a custom prototype/ },
  'class with #private members': { make: () => ({ p: new WithPrivate() }), path: '.p', found: /a zoo\.WithPrivate instance.*#private members/ },
  'unique symbol': { make: () => ({ s: Symbol('mine') }), path: '.s', found: /a symbol \(Symbol\(mine\)\)/ },
  'unique symbol as a key': { make: () => ({ o: { [Symbol('k')]: 1 } }), path: '.o', found: /a property keyed by a unique Symbol\(k\)/ },
  Promise: { make: () => ({ p: Promise.resolve(1) }), path: '.p', found: /a Promise/ },
  WeakMap: { make: () => ({ w: new WeakMap() }), path: '.w', found: /a WeakMap/ },
  WeakSet: { make: () => ({ w: new WeakSet() }), path: '.w', found: /a WeakSet/ },
  WeakRef: { make: () => ({ w: new WeakRef({}) }), path: '.w', found: /a WeakRef/ },
  'generator object': { make: () => ({ g: gen() }), path: '.g', found: /a generator object/ },
  'Map iterator': { make: () => ({ it: new Map().keys() }), path: '.it', found: /a Map iterator/ },
  'array iterator': { make: () => ({ it: [1][Symbol.iterator]() }), path: '.it', found: /an Array Iterator/ },
  Proxy: { make: () => ({ p: new Proxy({}, {}) }), path: '.p', found: /a Proxy/ },
  'arguments object': { make: () => ({ a: argumentsObject(1) }), path: '.a', found: /an arguments object/ },
  'getter that is not a closure': { make: () => ({ o: { get x() { return 1; } } }), path: '.o.x[[Get]]', found: /a function \(get x\)/ },
  'Map value that is a function': { make: () => ({ m: new Map([['k', () => 0]]) }), path: '.m.get("k")', found: /a function/ },
  'function captured by a closure': { make: () => ({ f: zooClosure(1, { n: () => 0 }) }), path: '.f[[Scopes]].n', found: /a function \(n\)/ },
  'typed array over a resizable buffer': { make: () => ({ v: new Uint8Array(new (ArrayBuffer as unknown as new (n: number, o: object) => ArrayBuffer)(2, { maxByteLength: 4 })) }), path: '.v', found: /a typed array over a resizable buffer/ },
  'closure with its name deleted': {
    make: () => {
      const f = zooClosure(1, { n: 1 });
      delete (f as { name?: string }).name;
      return { f };
    },
    path: '.f',
    found: /a function, which cannot be saved across an await \(its built-in property 'name' was deleted/,
  },
  'deep inside a Set in an Error': {
    make: () => Object.assign(new Error('x'), { seen: new Set([1, { sock: new Socket() }]) }),
    path: '.seen.values()[1].sock',
    found: /a Socket instance/,
  },
};
