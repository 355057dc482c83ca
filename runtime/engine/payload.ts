/**
 * Payloads crossing the store: encoded with the codec and held to a size
 * limit, so one oversize value fails its own call or execution with a clear
 * error instead of bloating Redis.
 */
import { decodeValue, encodeValue } from '../codec.js';
export { encodeError } from '../thrown.js';
import { PayloadTooLargeError } from '../errors.js';

export const DEFAULT_MAX_PAYLOAD_BYTES = 1024 * 1024;

export function encodePayload(value: unknown, what: string, limit: number): string {
  const text = encodeValue(value, what);
  const bytes = Buffer.byteLength(text);
  if (bytes > limit) throw new PayloadTooLargeError(what, bytes, limit);
  return text;
}

export function decodePayload(text: string): unknown {
  return decodeValue(text);
}
