/**
 * Calls that cannot hang on an unreachable Redis. Each method of the wrapped
 * object (a Store or a Queue) first waits for the connection (at most
 * `timeoutMs`), then runs; a call still out after `timeoutMs` fails with
 * RedisUnavailableError if the connection is down by then (a slow call on a
 * live connection is left to finish). `close` is never wrapped.
 */
import { RedisUnavailableError } from './connection.js';

export interface RedisHealth {
  /** Resolves once connected; rejects with RedisUnavailableError after `timeoutMs`. */
  ready(timeoutMs: number): Promise<void>;
  connected(): boolean;
  unavailable(waitedMs: number): RedisUnavailableError;
}

export function bounded<T extends object>(target: T, health: RedisHealth, timeoutMs: number): T {
  return new Proxy(target, {
    get(t, key, receiver) {
      const value: unknown = Reflect.get(t, key, receiver);
      if (typeof value !== 'function' || key === 'close' || key === 'constructor') return value;
      return (...args: unknown[]) => guarded(() => (value as (...a: unknown[]) => Promise<unknown>).apply(t, args), health, timeoutMs);
    },
  });
}

async function guarded<R>(call: () => Promise<R>, health: RedisHealth, timeoutMs: number): Promise<R> {
  await health.ready(timeoutMs);
  const started = Date.now();
  return new Promise<R>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const watch = (): void => {
      timer = setTimeout(() => {
        if (health.connected()) watch();
        else reject(health.unavailable(Date.now() - started));
      }, timeoutMs);
    };
    watch();
    call().then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}
