/**
 * The value format: one JSON text per value graph, written by
 * codec-encode.ts and read by codec-decode.ts.
 *
 * A graph is a flat table of nodes; containers refer to other nodes by
 * index, so shared and cyclic references are kept, and the decoder can make
 * every object first and fill them afterwards (a closure inside its own
 * environment, an Error reachable from its own fields, a Map that holds
 * itself all come back).
 *
 *   text  := REF<0                     the whole value is a constant (e.g. `-1`: undefined)
 *          | [node, node, …]           table[0] is the value
 *   REF   := i ≥ 0                     the value of table[i]
 *          | -1 undefined  -2 hole (arrays only)  -3 NaN  -4 Infinity  -5 -Infinity  -6 -0
 *   node  := string | number | true | false | null      that primitive (numbers finite, not -0)
 *          | { "key": REF, … }         a plain object: Object.prototype, extensible, every
 *                                      property string-keyed, enumerable, writable, configurable
 *          | [REF, …]                  a plain array: Array.prototype, extensible, no holes,
 *                                      nothing but its elements, all default
 *          | [TAG, …]                  anything else (a tagged node: its first item is a string)
 *
 * Tagged nodes. PROPS, PROTO and X end most of them and may be left out
 * from the right when they hold their default:
 *
 *   ["B", "123"]                        BigInt
 *   ["Y", key] / ["W", name]            Symbol.for(key) / the well-known Symbol[name]
 *   ["K", name]                         a registered constant (serializable.ts), by identity
 *   ["O", PROPS, PROTO, X]              an ordinary object (a class instance: PROTO names the class)
 *   ["C", nameREF, REF…]                an instance of a class registered with `fields`: exactly
 *                                       those own fields, in order, default, and extensible
 *   ["A", length, PROPS, PROTO, X]      an array (holes, extra properties, odd descriptors)
 *   ["E", PROPS, PROTO, X]              an Error (message, stack, cause… are among its PROPS)
 *   ["D", time|null, PROPS, PROTO, X]   a Date (null: invalid)
 *   ["R", source, flags, PROPS, PROTO, X]   a RegExp (lastIndex among PROPS when not 0)
 *   ["M", [kREF, vREF, …], PROPS, PROTO, X] / ["S", [REF, …], PROPS, PROTO, X]   Map / Set
 *   ["V", REF, PROPS, PROTO, X]         a boxed primitive
 *   ["U", href, …] / ["Q", query, …]    URL / URLSearchParams
 *   ["AB", base64, max|null, …] / ["SB", base64, max|null, …]   ArrayBuffer / SharedArrayBuffer
 *                                       (max: maxByteLength of a resizable/growable one)
 *   ["T", type, bufREF, byteOffset, length, PROPS, PROTO, X]   a typed array
 *   ["DV", bufREF, byteOffset, byteLength, PROPS, PROTO, X]    a DataView
 *   ["F", siteREF, [envREF…], PROPS, PROTO, X]   a closure: closure(site, ...envs) (closures.ts)
 *   ["P", fnREF]                        the untouched `prototype` object of closure fnREF
 *   ["X", id]                           an object kept outside the graph by the caller, by the
 *                                       caller's number (a state's durable promises: its rows)
 *
 *   PROPS := [KEY, REF, KEY, REF, …]    own properties in their order, minus those the
 *                                       kind's constructor makes as they are (an array's
 *                                       writable length, a RegExp's lastIndex 0, a closure's
 *                                       name and length)
 *   KEY   := "name"                     a data property, writable, enumerable, configurable
 *          | [name, FLAGS]              any other data property (REF: its value)
 *          | [name, FLAGS|8, setREF]    an accessor (REF: its getter)
 *            name: a string, or a number: the REF of a symbol node
 *   FLAGS := writable 1 | enumerable 2 | configurable 4
 *   PROTO := -1 the kind's own prototype | null | nameREF: a class registered under that name
 *   X     := 1 when the object is not extensible (frozen and sealed follow from the flags)
 */

export const REF_UNDEFINED = -1;
export const REF_HOLE = -2;
export const REF_NAN = -3;
export const REF_INFINITY = -4;
export const REF_NEG_INFINITY = -5;
export const REF_NEG_ZERO = -6;

export const WRITABLE = 1;
export const ENUMERABLE = 2;
export const CONFIGURABLE = 4;
export const ACCESSOR = 8;
export const DEFAULT_FLAGS = WRITABLE | ENUMERABLE | CONFIGURABLE;

export const PROTO_DEFAULT = -1;
export const NOT_EXTENSIBLE = 1;

/** The typed array constructors by the name a state records. */
export const TYPED_ARRAYS: Record<string, new (buffer: ArrayBufferLike, byteOffset?: number, length?: number) => ArrayBufferView> = {
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
};

/** The well-known symbols (Symbol.iterator, …) by name: unique, but every realm's code knows them. */
export const WELL_KNOWN_SYMBOLS = new Map<symbol, string>(
  Object.getOwnPropertyNames(Symbol).flatMap((name) => {
    const s: unknown = (Symbol as unknown as Record<string, unknown>)[name];
    return typeof s === 'symbol' && Symbol.keyFor(s) === undefined ? [[s, name] as const] : [];
  }),
);
