/**
 * describe() of a waiting execution says what it waits for (activity calls
 * by name, signals and when they time out, timers and when they are due),
 * as read from the saved state, and keeps the whole run's calls done of
 * started, also once it has completed (what the progress bar shows).
 */
import { expect, it } from 'vitest';
import { compileAndImport } from './support/compile-fixture.js';
import { withLocalWorker } from './support/local-worker.js';

it('shows the outstanding calls, signal and timer while waiting, and the final count after', async () => {
  const { module } = await compileAndImport(
    `import { proxyActivities, signal, sleep } from 'reawait/workflow';
const { slow, quick } = proxyActivities<{ slow(n: number): Promise<number>; quick(n: number): Promise<number> }>({});
export async function waits(n: number) {
  'use workflow';
  const xs = await Promise.all([quick(1), quick(2)]);
  const all = Promise.all([slow(1), slow(2), signal<number>('go'), sleep('1 day')]);
  const [a, b, go] = await Promise.race([all, signal<[number, number, number]>('skip', { timeout: '2 days' })]) ?? [0, 0, 0];
  return [...xs, a, b, go, n];
}
`,
    'test/describe/waits.ts',
  );
  let release: () => void = () => {};
  const gate = new Promise<void>((r) => (release = r));
  const activities = { quick: async (n: number) => n, slow: async (n: number) => (await gate, n * 10) };
  await withLocalWorker(module, activities, async (client) => {
    const before = Date.now();
    const handle = await client.start(module.waits as (n: number) => Promise<number[]>, [7]);
    await expect.poll(async () => (await handle.describe()).waitingFor?.timers, { timeout: 20_000 }).toBe(1);
    const after = Date.now();
    const w = (await handle.describe()).waitingFor!;
    expect(w).toMatchObject({ calls: { slow: 2 }, signals: ['go', 'skip'], timers: 1, children: [] });
    // due when the sleep and the signal wait started, plus their durations
    const day = 24 * 3600 * 1000;
    expect(w.timersDue).toHaveLength(1);
    expect(w.timersDue[0]).toBeGreaterThanOrEqual(before + day);
    expect(w.timersDue[0]).toBeLessThanOrEqual(after + day);
    expect(Object.keys(w.signalTimeouts)).toEqual(['skip']);
    expect(w.signalTimeouts.skip! - w.timersDue[0]!).toBeGreaterThanOrEqual(day - 1000);
    expect(w.signalTimeouts.skip! - w.timersDue[0]!).toBeLessThanOrEqual(day + 1000);
    expect((await handle.describe()).calls).toEqual({ total: 7, done: 2 });
    release();
    await handle.signal('skip', [1, 2, 3]);
    expect(await handle.result({ timeoutMs: 20_000 })).toEqual([1, 2, 1, 2, 3, 7]);
    const done = await handle.describe();
    expect(done.waitingFor).toBeUndefined();
    expect(done.calls!.total).toBe(7);
  });
}, 120_000);
