/**
 * Issue 15 item 7: recovery in seconds, not at the next 30 s sweep. A ready
 * execution whose in-process resume died with its worker (no job left) is
 * resumed within a stall interval; pushes that meet an empty script cache
 * (a restarted Redis, SCRIPT FLUSH) load the scripts and go through.
 * Every worker here has its periodic sweep off, so only these paths recover.
 */
import { describe, expect, it } from 'vitest';
import { encodeValue } from '../runtime/codec.js';
import { RedisStore } from '../runtime/redis/redis-store.js';
import { useRedisRuntime, workflowModule } from './support/runtime-harness.js';

const SOURCE = `
import { proxyActivities } from 'reawait/workflow';
const acts = proxyActivities<Record<string, (...a: any[]) => Promise<any>>>({});

export async function quick(x: number) {
  'use workflow';
  const a = await acts.double(x);
  return await acts.double(a);
}
`;
const activities = { double: async (x: number) => x * 2 };

const h = useRedisRuntime();

describe('recovery without the periodic sweep', () => {
  it('a ready execution that nobody resumes (its in-process resume died) is resumed within a stall interval', async () => {
    const mod = await workflowModule(SOURCE, 'recovery');
    const prefix = h.prefix();
    await h.worker({ prefix, workflows: mod, activities, sweepIntervalMs: 0, stallInterval: 500 });
    // What a worker killed in the middle of an in-process resume leaves: 'ready' in the store, no resume job.
    const store = new RedisStore(h.redis, { prefix, ownsClient: false });
    await store.create({ id: 'orphan', workflow: 'quick', version: '', args: encodeValue([5]) });
    const handle = (await h.client(prefix).get('orphan'))!;
    expect(await handle.result({ timeoutMs: 15_000 })).toBe(20);
  });

  it('pushes after the script cache was emptied load the scripts again instead of failing', async () => {
    const mod = await workflowModule(SOURCE, 'recovery');
    const prefix = h.prefix();
    await h.worker({ prefix, workflows: mod, activities, sweepIntervalMs: 0 });
    const client = h.client(prefix);
    expect(await (await client.start('quick', [1])).result({ timeoutMs: 10_000 })).toBe(4);
    await h.redis.script('FLUSH');
    // The client's push of the first resume, then the worker's pushes of each call.
    const handle = await client.start('quick', [2]);
    expect(await handle.result({ timeoutMs: 15_000 })).toBe(8);
  });
});
