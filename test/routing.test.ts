/**
 * Routing by capability for activity calls (issue 13): calls share one queue,
 * so a worker may take a call to an activity it lacks. It gives the call back
 * for a worker that has it, never fails it; a call no worker has waits with
 * the problem shown in describe(), and a worker that has it, started later,
 * runs it.
 */
import { describe, expect, it } from 'vitest';
import { compileAndImport } from './support/compile-fixture.js';
import { BACKENDS, useRuntime } from './support/runtime-harness.js';

const app = (name: string) => `import { proxyActivities } from 'reawait/workflow';
const { act${name} } = proxyActivities<{ act${name}(x: number): Promise<string> }>();
export async function wf${name}(x: number) {
  'use workflow';
  const a = await act${name}(x);
  const b = await act${name}(x + 10);
  return a + ',' + b;
}
`;

/** Activities of app `name` that record which worker ran each call. */
function activitiesOf(name: string, ran: string[]) {
  return { [`act${name}`]: async (x: number) => (ran.push(`${name}:${x}`), `${name}${x}`) };
}

describe('two apps with disjoint activities on one Redis namespace', () => {
  const h = useRuntime('redis');

  it('each app completes its own executions; no call fails or runs on a worker lacking its activity', { timeout: 120_000 }, async () => {
    const a = await compileAndImport(app('A'), 'test/runtime/routing-app-a.ts');
    const b = await compileAndImport(app('B'), 'test/runtime/routing-app-b.ts');
    const prefix = h.prefix();
    const ranOnA: string[] = [];
    const ranOnB: string[] = [];
    const quiet = { onError: () => {} };
    await h.worker({ prefix, workflows: a.module, activities: activitiesOf('A', ranOnA), ...quiet });
    await h.worker({ prefix, workflows: b.module, activities: activitiesOf('B', ranOnB), ...quiet });
    const client = h.client(prefix);
    const runs = await Promise.all([1, 2, 3].flatMap((i) => [client.start('wfA', [i]), client.start('wfB', [i])]));
    const results = await Promise.all(runs.map((r) => r.result({ timeoutMs: 60_000 })));
    expect(results).toEqual(['A1,A11', 'B1,B11', 'A2,A12', 'B2,B12', 'A3,A13', 'B3,B13']);
    // Every call ran once, on the worker of its app.
    expect(ranOnA.sort()).toEqual(['A:1', 'A:11', 'A:2', 'A:12', 'A:3', 'A:13'].sort());
    expect(ranOnB.sort()).toEqual(['B:1', 'B:11', 'B:2', 'B:12', 'B:3', 'B:13'].sort());
    for (const r of runs) {
      const history = (await r.describe()).history;
      expect(history.filter((e) => e.type === 'call failed')).toEqual([]);
      expect(history.filter((e) => e.type === 'call completed')).toHaveLength(2);
    }
  });
});

describe.each(BACKENDS)('a call to an activity no worker has (%s)', (kind) => {
  const h = useRuntime(kind);

  it('waits with the problem shown; a worker that has the activity, started later, completes it', { timeout: 120_000 }, async () => {
    const c = await compileAndImport(app('C'), `test/runtime/routing-app-c-${kind}.ts`);
    const prefix = h.prefix();
    const lacking: string[] = [];
    // This worker has the workflow but not its activity.
    const w1 = await h.worker({ prefix, workflows: c.module, activities: { other: async () => 'x' }, onError: (e, where) => lacking.push(`${where}: ${String(e)}`) });
    const client = h.client(prefix);
    const run = await client.start('wfC', [5]);
    await expect.poll(async () => (await run.describe()).problem, { timeout: 60_000, interval: 100 }).toMatch(/no worker has activity 'actC'/);
    const d = await run.describe();
    expect(d.status).toBe('waiting');
    expect(d.history.filter((e) => e.type === 'call failed')).toEqual([]);
    expect(lacking.join('\n')).toMatch(/lacks activity 'actC'/);
    await w1.close(1000);

    const ran: string[] = [];
    await h.worker({ prefix, workflows: c.module, activities: activitiesOf('C', ran) });
    expect(await run.result({ timeoutMs: 60_000 })).toBe('C5,C15');
    expect(ran).toEqual(['C:5', 'C:15']);
    expect((await run.describe()).problem).toBeUndefined();
  });
});
