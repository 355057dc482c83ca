/**
 * Key components on Redis. Every key of one execution is
 * `<prefix>:{<id>}:<suffix>` and a signal's buffer `<prefix>:{<id>}:q:<name>`.
 * Ids and signal names are user strings, so each is escaped before it goes
 * into a key: '%', '{', '}' and ':' become %25, %7B, %7D and %3A. An escaped
 * component then holds no separator and no brace, so the hash tag is always
 * exactly the id, and two different (id, suffix, name) triples never build
 * the same key (without this, signal `X}:h` to `victim` wrote into the
 * history of execution `victim}:q:X`).
 */
const ESCAPES: Record<string, string> = { '%': '%25', '{': '%7B', '}': '%7D', ':': '%3A' };

export function keyPart(s: string): string {
  return s.replace(/[%{}:]/g, (c) => ESCAPES[c]!);
}

/** The common start of every key of execution `id`. */
export function executionBase(prefix: string, id: string): string {
  return `${prefix}:{${keyPart(id)}}`;
}

/** The list of buffered signals named `name` of execution `id`. */
export function signalBufferKey(prefix: string, id: string, name: string): string {
  return `${executionBase(prefix, id)}:q:${keyPart(name)}`;
}
