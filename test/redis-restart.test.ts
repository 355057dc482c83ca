/** Redis killed and restarted (AOF, fsync always) in the middle of a run: nothing is lost. */
import { describe, expect, it } from 'vitest';
import { activityContext } from '../runtime/index.js';
import { useRedisRuntime, workflowModule } from './support/runtime-harness.js';

const h = useRedisRuntime({ appendonly: true });

const SOURCE = `
import { proxyActivities } from 'reawait/workflow';
const acts = proxyActivities<Record<string, (...a: any[]) => Promise<any>>>({}); // no activity retries: an outage must not fail a call

export async function steady(n: number) {
  'use workflow';
  let total = 0;
  for (let i = 1; i <= n; i++) {
    total += await acts.inc(i);
  }
  const pair = await Promise.all([acts.inc(100), acts.inc(200)]);
  return total + pair[0] + pair[1];
}
`;

const effects = new Map<string, number>();
const activities = {
  async inc(i: number) {
    const key = activityContext().idempotencyKey;
    effects.set(key, (effects.get(key) ?? 0) + 1);
    await new Promise((r) => setTimeout(r, 30));
    return i;
  },
};

describe('Redis restart with AOF mid-run', () => {
  it('completes with the right result after Redis is killed and restarted', async () => {
    const mod = await workflowModule(SOURCE, 'restart');
    const prefix = h.prefix();
    const errors: string[] = [];
    await h.worker({ prefix, workflows: mod, activities, onError: (e) => errors.push(String(e)) });
    const client = h.client(prefix);
    const n = 25;
    const handle = await client.start(mod.steady, [n], { id: 'steady-1' });
    await expect.poll(() => effects.size, { timeout: 10_000, interval: 10 }).toBeGreaterThanOrEqual(8);
    await h.server.kill();
    await new Promise((r) => setTimeout(r, 400));
    await h.server.restart();
    const expected = (n * (n + 1)) / 2 + 300;
    expect(await handle.result({ timeoutMs: 40_000 })).toBe(expected);
    // every call of the run settled; a call may run again after the outage, but each settles once
    const d = await handle.describe();
    expect(d.status).toBe('completed');
    expect(effects.size).toBe(n + 2);
  }, 60_000);
});
