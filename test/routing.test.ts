/**
 * Routing by capability (issue 13). Workers with disjoint workflow sets on
 * one namespace each run only their own executions, and an app with another
 * namespace on the same Redis sees none of them. Activity calls share one
 * queue, so a worker may take a call to an activity it lacks: it gives the
 * call back for a worker that has it, never fails it; a call no worker has
 * waits with the problem shown in describe(), and a worker that has it,
 * started later, runs it.
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

describe('two apps with disjoint workflow sets on one namespace, a third app on another', () => {
  const h = useRuntime('redis');

  it('each app completes only its own executions; the third sees none of them, though it has both workflows', { timeout: 120_000 }, async () => {
    const a = await compileAndImport(app('D'), 'test/runtime/routing-app-d.ts');
    const b = await compileAndImport(app('E'), 'test/runtime/routing-app-e.ts');
    const shared = h.prefix();
    const other = h.prefix();
    const ran = { a: [] as string[], b: [] as string[], third: [] as string[] };
    const left = { a: [] as string[], b: [] as string[] };
    await h.worker({ prefix: shared, workflows: a.module, activities: activitiesOf('D', ran.a), onError: (e) => left.a.push(String(e)) });
    await h.worker({ prefix: shared, workflows: b.module, activities: activitiesOf('E', ran.b), onError: (e) => left.b.push(String(e)) });
    await h.worker({ prefix: other, workflows: [a.module, b.module], activities: { ...activitiesOf('D', ran.third), ...activitiesOf('E', ran.third) }, onError: () => {} });
    const client = h.client(shared);
    const runs = await Promise.all([1, 2, 3].flatMap((i) => [client.start('wfD', [i]), client.start('wfE', [i])]));
    expect(await Promise.all(runs.map((r) => r.result({ timeoutMs: 60_000 })))).toEqual(['D1,D11', 'E1,E11', 'D2,D12', 'E2,E12', 'D3,D13', 'E3,E13']);
    // Each call ran on the worker of its app (at least once: a run a loaded machine's stall check redelivers may repeat); the app on the other namespace ran none.
    expect([...new Set(ran.a)].sort()).toEqual(['D:1', 'D:11', 'D:12', 'D:13', 'D:2', 'D:3']);
    expect([...new Set(ran.b)].sort()).toEqual(['E:1', 'E:11', 'E:12', 'E:13', 'E:2', 'E:3']);
    expect(ran.third).toEqual([]);
    // A worker that saw an execution or a call it lacks left it (what it logged names the other app's), never its own; none failed.
    expect(left.a.join('\n')).not.toMatch(/'wfD'|'actD'/);
    expect(left.b.join('\n')).not.toMatch(/'wfE'|'actE'/);
    for (const r of runs) {
      const history = (await r.describe()).history;
      expect(history.filter((e) => e.type === 'failed' || e.type === 'call failed')).toEqual([]);
      expect(history.filter((e) => e.type === 'call completed')).toHaveLength(2);
    }
    // The third app's client finds none of them, and lists none; its own executions run on its own worker.
    const third = h.client(other);
    for (const r of runs) expect(await third.get(r.id)).toBeUndefined();
    expect((await third.list({})).items).toEqual([]);
    expect(await (await third.start('wfD', [7])).result({ timeoutMs: 60_000 })).toBe('D7,D17');
    expect(ran.third.sort()).toEqual(['D:17', 'D:7']);
  });
});

describe('an execution left by a worker that lacks its workflow (redis)', () => {
  const h = useRuntime('redis');

  it('a worker that has the workflow runs it at its sweep, though the queue would give its resume to the worker that left it', { timeout: 120_000 }, async () => {
    const a = await compileAndImport(app('F'), 'test/runtime/routing-app-f.ts');
    const b = await compileAndImport(app('G'), 'test/runtime/routing-app-g.ts');
    const prefix = h.prefix();
    // Sweep at start only, no stalled-resume pushes: a pushed resume goes to the idle worker that has waited longest.
    const quiet = { sweepIntervalMs: 0, stallInterval: 60_000, onError: () => {} };
    await h.worker({ prefix, workflows: a.module, activities: activitiesOf('F', []), ...quiet });
    const client = h.client(prefix);
    const run = await client.start('wfG', [4]);
    await expect.poll(async () => (await run.describe()).problem, { timeout: 60_000, interval: 50 }).toMatch(/unknown workflow 'wfG'/);
    // The first worker waits for resumes ahead of this one: the resume its start sweep pushed went back to it (left again).
    await h.worker({ prefix, workflows: b.module, activities: activitiesOf('G', []), ...quiet });
    expect(await run.result({ timeoutMs: 20_000 })).toBe('G4,G14');
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
