/** The 10,000-call fan-out on Redis + bee-queue: one resume, O(1) Redis work per completion. */
import { describe, expect, it } from 'vitest';
import { activities, SOURCE } from './support/group-workflows.js';
import { useRedisRuntime, workflowModule } from './support/runtime-harness.js';

const h = useRedisRuntime();

describe('groups on Redis + bee-queue', () => {
  it('fans out a group of 10,000 calls and resumes once', async () => {
    const mod = await workflowModule(SOURCE, 'groups');
    const prefix = h.prefix();
    await h.worker({ prefix, workflows: mod, activities, concurrency: 100 });
    const client = h.client(prefix);
    const commands = async () => {
      const info = await h.redis.info('commandstats');
      return [...info.matchAll(/calls=(\d+)/g)].reduce((a, m) => a + Number(m[1]), 0);
    };
    // Redis commands (scripts' inner calls included) per call, for a group of n
    const perCallFor = async (n: number) => {
      const c0 = await commands();
      const handle = await client.start(mod.sumOfDoubles, [n]);
      expect(await handle.result({ timeoutMs: 60_000 })).toBe(n * (n - 1));
      return { handle, perCall: ((await commands()) - c0) / n };
    };
    const small = await perCallFor(1_000);
    const t0 = Date.now();
    const { handle, perCall } = await perCallFor(10_000);
    const ms = Date.now() - t0;
    // each completion is O(1): a 10x larger group costs the same per call (up to time-based
    // background work: stall heartbeats, live checks, sweeps)
    expect(perCall).toBeLessThan(small.perCall * 1.25);
    expect(perCall).toBeLessThan(40);
    const d = await handle.describe();
    // one resume, after the last completion; the history stays capped
    expect(d.history.filter((e) => e.type === 'resumed')).toHaveLength(1);
    expect(d.history.filter((e) => e.type === 'call completed').length).toBeGreaterThan(100);
    expect(d.history.length).toBeLessThanOrEqual(200);
    // O(1) per completion: no per-execution key grows with the group except its settlements, which go at the resume
    const keys = await h.redis.keys(`${prefix}:{${handle.id}}:*`);
    expect(keys.sort()).toEqual([`${prefix}:{${handle.id}}:h`, `${prefix}:{${handle.id}}:x`]);
    console.log(`10,000-call group: ${ms} ms; Redis commands per call: ${perCall.toFixed(1)} (1,000-call group: ${small.perCall.toFixed(1)})`);
  }, 90_000);
});
