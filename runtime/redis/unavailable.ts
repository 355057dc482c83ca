/**
 * The error of an unreachable Redis, apart from connection.ts so that
 * importing it (the package index, the Worker) does not load ioredis.
 */
/** How long a call waits for an unreachable Redis before it fails (default for Client calls and CLI commands). */
export const DEFAULT_CONNECT_TIMEOUT_MS = 5000;

/** Redis could not be reached (refused, timed out, TLS or auth failure); `address` never holds the password. */
export class RedisUnavailableError extends Error {
  override name = 'RedisUnavailableError';
  constructor(
    readonly address: string,
    readonly reason: string,
    waitedMs?: number,
  ) {
    super(`Redis at ${address} is unavailable: ${reason}${waitedMs !== undefined ? ` (waited ${waitedMs} ms)` : ''}`);
  }
}

