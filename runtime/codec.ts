/**
 * The one codec for everything reawait persists: states, activity
 * arguments, results, errors and signal data. A value comes back exactly
 * (prototype, own property descriptors, extensibility, every built-in's
 * data, shared and cyclic references) or is refused with an error naming
 * the path inside it and what was found there. The format is
 * codec-format.ts; classes and constants are named through
 * serializable.ts; closures through closures.ts.
 */
import { TDZ } from './closures.js';
import { decodeGraph, decodeParsed, DecodeError, type DecodeOptions } from './codec-decode.js';
import { GraphEncoder, Refusal } from './codec-encode.js';
import { CorruptStateError, ValueEncodeError } from './errors.js';
import { registerConstant } from './serializable.js';

export { Refusal } from './codec-encode.js';

registerConstant('TDZ', TDZ);

// ---------------------------------------------------------------------------
// Payloads
// ---------------------------------------------------------------------------

/**
 * Encode a payload (args, result, error, signal data) to a string;
 * ValueEncodeError if it holds something that cannot be saved.
 * `closures: false` for payloads that leave the workflow (activity arguments).
 */
export function encodeValue(value: unknown, what = 'a value', closures = true): string {
  try {
    return GraphEncoder.encode(value, undefined, undefined, closures);
  } catch (e) {
    if (e instanceof Refusal) throw new ValueEncodeError(what, e.found, e.path, e.hint);
    throw e;
  }
}

/**
 * Decode what encodeValue wrote; CorruptStateError when it is malformed or
 * names a class or closure this process does not have (`lenient`: shown as
 * placeholders instead, for display only; see DecodeOptions).
 */
export function decodeValue(text: string, options?: DecodeOptions): unknown {
  try {
    return decodeGraph(text, options);
  } catch (e) {
    if (e instanceof DecodeError) throw new CorruptStateError(`a stored value cannot be read: ${e.message}`);
    throw e;
  }
}

/** Encode then decode: what a value looks like after crossing a process boundary. */
export function roundTripValue<T>(value: T, what?: string): T {
  return decodeValue(encodeValue(value, what)) as T;
}

/**
 * Encode a value graph the caller partly keeps itself (state-codec.ts: a
 * state's durable promises are its table's rows): `external` numbers those
 * objects, written as references; `trusted` as in GraphEncoder.encode.
 * Throws the Refusal (path and what was found) for the caller to explain.
 */
export function encodeGraph(value: unknown, trusted: ReadonlySet<object>, external: (v: object) => number | undefined): string {
  return GraphEncoder.encode(value, trusted, external);
}

/** Decode an already parsed graph written by encodeGraph; `external` gives back the caller's objects. DecodeError when malformed. */
export function decodeGraphWith(parsed: unknown, external: (id: number) => object, options?: DecodeOptions): unknown {
  return decodeParsed(parsed, external, options);
}

export type { DecodeOptions } from './codec-decode.js';

export { DecodeError } from './codec-decode.js';

/** The Refusal for `value` alone, if it cannot be saved. */
export function refusalOf(value: unknown, external?: (v: object) => number | undefined): Refusal | undefined {
  try {
    GraphEncoder.encode(value, undefined, external);
    return undefined;
  } catch (e) {
    if (e instanceof Refusal) return e;
    throw e;
  }
}

