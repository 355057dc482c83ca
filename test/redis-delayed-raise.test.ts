/**
 * Delayed jobs on Redis (timers, retry backoffs, handed-back calls) are
 * raised by bee-queue when a worker's timer fires, armed from its last raise
 * and from a pub/sub message per new head. A message published while Redis
 * restarts reaches nobody: the job must still be raised. Here the message is
 * lost on purpose — the timer's job is taken out of the delayed set, the
 * worker's armed raise finds nothing, and the job is put back silently —
 * and the timer still fires (workers raise every stall interval too).
 */
import { describe, expect, it } from 'vitest';
import { useRedisRuntime, workflowModule } from './support/runtime-harness.js';

const SOURCE = `import { sleep } from 'reawait/workflow';
export async function naps() {
  'use workflow';
  await sleep(1500);
  return 'woke';
}
`;

const h = useRedisRuntime();

describe('a delayed job whose pub/sub message was lost', () => {
  it('is raised anyway: the timer fires', { timeout: 60_000 }, async () => {
    const mod = await workflowModule(SOURCE, 'delayed-raise');
    const prefix = h.prefix();
    await h.worker({ prefix, workflows: mod, activities: {}, stallInterval: 1000 });
    const client = h.client(prefix);
    const run = await client.start(mod.naps!, []);
    const delayed = `${prefix}:bq:timers:delayed`;
    await expect.poll(() => h.redis.zcard(delayed), { timeout: 10_000, interval: 20 }).toBe(1);
    const [id] = await h.redis.zrange(delayed, 0, 0);
    await h.redis.zrem(delayed, id!);
    // The worker's raise, armed for the due time, comes and finds nothing.
    await new Promise((r) => setTimeout(r, 2500));
    expect((await run.describe()).status).toBe('waiting');
    await h.redis.zadd(delayed, Date.now(), id!); // no message: nothing arms a raise for it
    expect(await run.result({ timeoutMs: 20_000 })).toBe('woke');
  });
});
