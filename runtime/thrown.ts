/**
 * What a thrown value becomes when it crosses the store (an activity's
 * failure, a workflow's, a child's): exactly itself when the codec can save
 * it, otherwise still something that says what it was. And how one reads in
 * a message or a log line.
 */
import { inspect, types } from 'node:util';
import { encodeValue } from './codec.js';
import { article, ValueEncodeError } from './errors.js';

/**
 * Encode what an activity or workflow threw, as it was thrown: an Error, a
 * string, a plain object, undefined, an instance of a registered class. What
 * cannot be encoded still arrives, loudly: an Error (an instance of an
 * unregistered Error subclass, or one holding a socket) as a built-in Error
 * with its name, message and stack and the reason appended to its message;
 * anything else as the ValueEncodeError saying what it held and how to
 * register its class.
 */
export function encodeError(error: unknown, what = 'an error'): string {
  try {
    return encodeValue(error, what);
  } catch (e) {
    if (!(e instanceof ValueEncodeError)) throw e;
    return encodeValue(types.isNativeError(error) ? plainError(error, e) : e);
  }
}

function plainError(error: Error, why: ValueEncodeError): Error {
  const own = (key: string): unknown => {
    const d = Object.getOwnPropertyDescriptor(error, key);
    return d && 'value' in d ? d.value : undefined;
  };
  let Builtin: ErrorConstructor = Error;
  for (let p = Object.getPrototypeOf(error) as object | null; p; p = Object.getPrototypeOf(p) as object | null) {
    const B = BUILTIN_ERRORS.find((E) => E.prototype === p);
    if (B) {
      Builtin = B;
      break;
    }
  }
  const name = own('name') ?? (error as { name?: unknown }).name;
  const message = own('message');
  const held = why.path ? `its ${why.path.replace(/^\./, '')} held ${article(why.found)}` : `it is ${article(why.found)}`;
  const note = `sent as a plain ${Builtin.name}: ${held}, which cannot be serialised; ${why.hint}`;
  const copy = new Builtin(`${typeof message === 'string' && message !== '' ? `${message} ` : ''}(${note})`);
  if (typeof name === 'string' && name !== Builtin.name) copy.name = name;
  const stack = own('stack');
  Object.defineProperty(copy, 'stack', { value: typeof stack === 'string' ? stack : copy.stack, writable: true, configurable: true });
  const cause = own('cause');
  if (cause !== undefined && encodes(cause)) Object.defineProperty(copy, 'cause', { value: cause, writable: true, configurable: true });
  return copy;
}

const BUILTIN_ERRORS: ErrorConstructor[] = [TypeError, RangeError, ReferenceError, SyntaxError, EvalError, URIError, AggregateError as unknown as ErrorConstructor, Error];

/** What was thrown, for a message or a log line: `TypeError: bad`, `'oops'`, `undefined`, `Receipt { id: 3 }`. */
export function describeThrown(e: unknown): string {
  if (types.isNativeError(e)) return `${(e as Error).name}: ${(e as Error).message}`;
  return inspect(e, { depth: 3, breakLength: Infinity });
}

function encodes(value: unknown): boolean {
  try {
    encodeValue(value);
    return true;
  } catch (e) {
    if (e instanceof ValueEncodeError) return false;
    throw e;
  }
}
