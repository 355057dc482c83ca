/**
 * kill -9 of a worker process mid-group and mid-resume: the execution still
 * completes with the right result, and each activity's effect is recorded
 * exactly once per idempotency key (redeliveries happen; effects do not repeat).
 */
import { describe, expect, it } from 'vitest';
import { Client } from '../runtime/index.js';
import type { ChildWorker } from './support/child-worker.js';
import { useRedisWorkers } from './support/redis-workers.js';

const WORKFLOWS = `
import { proxyActivities } from 'reawait/workflow';
import { Redis } from 'ioredis';
const acts = proxyActivities<Record<string, (...a: any[]) => Promise<any>>>({});

async function markSegment(tag: string) {
  // an in-memory await inside a resume: not persisted, re-run if the worker dies here
  const r = new Redis(process.env.REDIS_URL as string);
  await r.rpush('segments', tag);
  r.disconnect();
  await new Promise((res) => setTimeout(res, 1500));
}

export async function crashGroup(n: number) {
  'use workflow';
  const xs: number[] = [];
  for (let i = 0; i < n; i++) xs.push(i);
  const squares = await Promise.all(xs.map((x) => acts.square(x)));
  let sum = 0;
  for (const s of squares) sum += s;
  return sum;
}

export async function crashResume() {
  'use workflow';
  const a = await acts.square(3);
  await markSegment('after-a');
  const b = await acts.square(4);
  return a + b;
}
`;

const ACTIVITIES = `
import { Redis } from 'ioredis';
import { activityContext } from 'reawait';
const redis = new Redis(process.env.REDIS_URL);
export async function square(x) {
  const { idempotencyKey } = activityContext();
  await redis.rpush('attempts', idempotencyKey);
  await new Promise((r) => setTimeout(r, 400));
  // the effect, made idempotent by the key
  if (await redis.set('done:' + idempotencyKey, '1', 'NX')) await redis.rpush('effects', idempotencyKey);
  return x * x;
}
`;

const rig = useRedisWorkers('crash', WORKFLOWS, ACTIVITIES);
const worker = (prefix: string): Promise<ChildWorker> => rig.worker(prefix);

describe('kill -9 of a worker process', () => {
  it('mid-group: completes with the right result, each effect once per idempotency key', async () => {
    await rig.redis.del('attempts', 'effects');
    const prefix = 'crash-group';
    const client = new Client({ redis: rig.url, prefix });
    const w1 = await worker(prefix);
    const n = 30;
    const handle = await client.start('crashGroup', [n], { id: 'g1' });
    // Kill it while it holds a call it has started but not finished (an attempt without its effect yet).
    const inFlight = async () => {
      const [[, attempts], [, effects]] = (await rig.redis.multi().llen('attempts').llen('effects').exec()) as [[unknown, number], [unknown, number]];
      return effects >= 5 && attempts > effects;
    };
    await expect.poll(inFlight, { timeout: 10_000, interval: 10 }).toBe(true);
    await w1.kill9();
    const before = await rig.redis.llen('effects');
    expect(before).toBeLessThan(n);
    await worker(prefix);
    expect(await handle.result({ timeoutMs: 30_000 })).toBe(Array.from({ length: n }, (_, i) => i * i).reduce((a, b) => a + b, 0));
    const effects = await rig.redis.lrange('effects', 0, -1);
    expect(effects).toHaveLength(n);
    expect(new Set(effects).size).toBe(n);
    // the killed worker's in-flight calls were delivered again
    expect(await rig.redis.llen('attempts')).toBeGreaterThan(n);
    const d = await handle.describe();
    expect(d.history.filter((e) => e.type === 'resumed')).toHaveLength(1);
    await client.close();
  }, 60_000);

  it('mid-resume: the half-done step re-runs from the last committed state', async () => {
    await rig.redis.del('attempts', 'effects', 'segments');
    const prefix = 'crash-resume';
    const client = new Client({ redis: rig.url, prefix });
    const w1 = await worker(prefix);
    const handle = await client.start('crashResume', [], { id: 'r1' });
    await expect.poll(() => rig.redis.llen('segments'), { timeout: 10_000, interval: 20 }).toBe(1);
    await w1.kill9(); // inside the resume after the first call
    await worker(prefix);
    expect(await handle.result({ timeoutMs: 30_000 })).toBe(25);
    expect(await rig.redis.lrange('segments', 0, -1)).toEqual(['after-a', 'after-a']);
    const effects = await rig.redis.lrange('effects', 0, -1);
    expect(effects).toEqual(['r1:1', 'r1:2']);
    await client.close();
  }, 60_000);
});
