import { describe, expect, it } from 'vitest';
import { useRedisRuntime, workflowModule } from './support/runtime-harness.js';

const h = useRedisRuntime();

const SOURCE = `
import { proxyActivities } from 'reawait/workflow';
const acts = proxyActivities<Record<string, (...a: any[]) => Promise<any>>>({});

export async function sumOfDoubles(n: number) {
  'use workflow';
  const xs: number[] = [];
  for (let i = 0; i < n; i++) xs.push(i);
  const doubled = await Promise.all(xs.map((x) => acts.double(x)));
  let sum = 0;
  for (const d of doubled) sum += d;
  return sum;
}

export async function modes() {
  'use workflow';
  const settled = await Promise.allSettled([acts.double(1), acts.fail('boom'), 7]);
  const first = await Promise.race([acts.slow(300, 'slow'), acts.slow(10, 'fast')]);
  const any = await Promise.any([acts.fail('a'), acts.slow(20, 'ok')]);
  let allErr = '';
  try {
    await Promise.all([acts.double(2), acts.fail('all-fails')]);
  } catch (e) {
    allErr = (e as Error).message;
  }
  let anyErr = '';
  try {
    await Promise.any([acts.fail('x'), acts.fail('y')]);
  } catch (e) {
    anyErr = (e as Error).name + ':' + (e as AggregateError).errors.map((x: Error) => x.message).join(',');
  }
  return { settled, first, any, allErr, anyErr };
}
`;

const activities = {
  async double(x: number) {
    return x * 2;
  },
  async fail(msg: string) {
    throw new Error(msg);
  },
  async slow(ms: number, v: string) {
    await new Promise((r) => setTimeout(r, ms));
    return v;
  },
};

describe('groups on Redis + bee-queue', () => {
  it('runs Promise.all, allSettled, race and any with JS semantics', async () => {
    const mod = await workflowModule(SOURCE, 'groups');
    const prefix = h.prefix();
    await h.worker({ prefix, workflows: mod, activities, concurrency: 20 });
    const client = h.client(prefix);
    const handle = await client.start(mod.modes as never, [] as never);
    const r = (await handle.result({ timeoutMs: 15_000 })) as Record<string, unknown>;
    expect(r.settled).toEqual([
      { status: 'fulfilled', value: 2 },
      { status: 'rejected', reason: expect.objectContaining({ message: 'boom' }) },
      { status: 'fulfilled', value: 7 },
    ]);
    expect(r.first).toBe('fast');
    expect(r.any).toBe('ok');
    expect(r.allErr).toBe('all-fails');
    expect(r.anyErr).toBe('AggregateError:x,y');
    const d = await handle.describe();
    expect(d.status).toBe('completed');
    const types = d.history.map((e) => e.type);
    expect(types[0]).toBe('started');
    expect(types).toContain('suspended');
    expect(types).toContain('dispatched');
    expect(types).toContain('call completed');
    expect(types).toContain('call failed');
    expect(types).toContain('resumed');
    expect(types.at(-1)).toBe('completed');
  });

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
      const handle = await client.start(mod.sumOfDoubles as never, [n] as never);
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
