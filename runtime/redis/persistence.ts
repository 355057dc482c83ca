/**
 * Whether Redis keeps its data on disk. reawait's executions live only in
 * Redis: without AOF (or at least RDB snapshots) a Redis restart loses all
 * of them. A worker asks once at start and warns; a Redis that refuses
 * CONFIG (some managed services) is not second-guessed.
 */
import type { Redis } from 'ioredis';

/** The warning to print, or undefined when Redis persists (or will not say). */
export async function persistenceWarning(redis: Redis, address: string): Promise<string | undefined> {
  let aof: string | undefined;
  let save: string | undefined;
  try {
    const a = (await redis.config('GET', 'appendonly')) as string[];
    const s = (await redis.config('GET', 'save')) as string[];
    aof = a[1];
    save = s[1];
  } catch {
    return undefined;
  }
  if (aof === undefined || save === undefined || aof === 'yes' || save.trim() !== '') return undefined;
  return (
    `Redis at ${address} keeps nothing on disk (appendonly no, save ""): a Redis restart loses every execution. ` +
    `Turn on AOF (CONFIG SET appendonly yes, and in redis.conf); see "Persistence" in reawait's README`
  );
}
