/**
 * Payloads crossing the store: encoded with the codec and held to a size
 * limit, so one oversize value fails its own call or execution with a clear
 * error instead of bloating Redis.
 */
import { decodeValue, encodeValue } from '../codec.js';
import { PayloadTooLargeError } from '../errors.js';

export const DEFAULT_MAX_PAYLOAD_BYTES = 1024 * 1024;

export function encodePayload(value: unknown, what: string, limit: number): string {
  const text = encodeValue(value, what);
  const bytes = Buffer.byteLength(text);
  if (bytes > limit) throw new PayloadTooLargeError(what, bytes, limit);
  return text;
}

/** Encode an error for storage; one that does not encode (odd own properties) is kept as name + message. */
export function encodeError(error: unknown): string {
  try {
    return encodeValue(error, 'an error');
  } catch {
    const e = error instanceof Error ? error : new Error(String(error));
    const plain = new Error(e.message);
    plain.name = e.name;
    if (e.stack) plain.stack = e.stack;
    return encodeValue(plain, 'an error');
  }
}

export function decodePayload(text: string): unknown {
  return decodeValue(text);
}
