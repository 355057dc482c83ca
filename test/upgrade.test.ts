/**
 * Deploys in one process, on both backends (issue 13): an execution started
 * on build v1 waits on a signal; a worker with build v2 (v1 still loaded by
 * version) resumes it (a) on v2 when only code before the wait changed
 * (auto-upgrade, recorded in the history), (b) on v1 when code after it
 * changed (pinned), (c) through an explicit upgrade() when its live locals
 * changed. A worker that lacks a workflow leaves its executions ready with a
 * problem, and a worker that has it runs them.
 */
import { describe, expect, it } from 'vitest';
import { activityContext, upgrade } from '../runtime/index.js';
import type { WorkflowMeta } from '../runtime/contract.js';
import { compileAndImport } from './support/compile-fixture.js';
import { BACKENDS, useRuntime } from './support/runtime-harness.js';
import { DEPLOY_HEAD, DEPLOY_RESULTS, DEPLOY_V1, DEPLOY_V2 } from './support/deploy-workflows.js';

const HEAD = DEPLOY_HEAD;
const V1 = DEPLOY_V1;
const V2 = DEPLOY_V2;
const OTHER = `${HEAD}
export async function onlyHere(x: number) {
  'use workflow';
  return note('only:' + x);
}
`;
const activities = { note: async (s: string) => s };

const signalLine = (m: WorkflowMeta): number => m.suspensions.find((s) => s.line > 0 && s.id === 2)!.line;

describe.each(BACKENDS)('deploys in one process (%s)', (kind) => {
  const h = useRuntime(kind);

  it('auto-upgrades, pins, migrates; the history says how', async () => {
    const v1 = await compileAndImport(V1, `test/runtime/deploy-v1-${kind}.ts`);
    const v2 = await compileAndImport(V2, `test/runtime/deploy-v2-${kind}.ts`);
    const meta = (c: typeof v1, name: string) => c.workflows.find((w) => w.name === name)!;
    upgrade(v2.module.locals as never, { version: meta(v1, 'locals').version, line: signalLine(meta(v1, 'locals')) }, (old) => ({
      line: signalLine(meta(v2, 'locals')),
      locals: { n: String(old.a).length },
    }));

    const prefix = h.prefix();
    const w1 = await h.worker({ prefix, workflows: v1.module, activities });
    const client = h.client(prefix);
    const names = ['before', 'after', 'locals'];
    const handles = await Promise.all(names.map((n) => client.start(v1.module[n] as never, [7] as never)));
    for (const [i, handle] of handles.entries())
      await expect.poll(async () => (await handle.describe()).waitingAt?.line, { timeout: 60_000, interval: 50 }).toBe(signalLine(meta(v1, names[i]!)));
    await w1.close(1000);

    await h.worker({ prefix, workflows: v2.module, activities });
    for (const handle of handles) await handle.signal('go', 'go');
    const [a, b, c] = await Promise.all(handles.map((x) => x.result({ timeoutMs: 60_000 })));
    expect(a).toBe(DEPLOY_RESULTS.before); // the code before the wait ran on v1, the rest on v2
    expect(b).toBe(DEPLOY_RESULTS.after); // pinned to v1
    expect(c).toBe(DEPLOY_RESULTS.locals); // migrated: n = 'abc7'.length
    const how = async (i: number) => (await handles[i]!.describe()).history.filter((e) => e.type === 'upgraded').map((e) => e.how);
    expect(await how(0)).toEqual(['auto']);
    expect(await how(1)).toEqual([]);
    expect(await how(2)).toEqual(['migrate']);
    expect((await handles[0]!.describe()).history.find((e) => e.type === 'upgraded')).toMatchObject({ fn: 'before', from: meta(v1, 'before').version, to: meta(v2, 'before').version });
  }, 120_000);

  it('two modules that each define a workflow of one name import fine; one worker given both names both', async () => {
    const v1 = await compileAndImport(V1, `test/runtime/deploy-dup1-${kind}.ts`);
    const v2 = await compileAndImport(V2, `test/runtime/deploy-dup2-${kind}.ts`);
    const err = await h.worker({ prefix: h.prefix(), workflows: [v1.module, v2.module], activities }).catch((e: unknown) => e as Error);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).name).toBe('DuplicateWorkflowError');
    expect((err as Error).message).toMatch(new RegExp(`'before' \\(test/runtime/deploy-dup1-${kind}.ts:\\d+ and test/runtime/deploy-dup2-${kind}.ts:\\d+\\)`));
  });

  it('a worker refuses to start with an upgrade() from a line that has no await in that build, saying where the awaits are', async () => {
    const v1 = await compileAndImport(V1, `test/runtime/deploy-check-v1-${kind}.ts`);
    const v2 = await compileAndImport(V2, `test/runtime/deploy-check-v2-${kind}.ts`);
    const version = v1.workflows.find((w) => w.name === 'after')!.version;
    const remove = upgrade('after', { version, line: 5 }, () => ({ line: 7, locals: {} }));
    try {
      const err = await h.worker({ prefix: h.prefix(), workflows: v2.module, activities, onError: () => {} }).catch((e: unknown) => e as Error);
      expect(String(err)).toMatch(new RegExp(`upgrade\\(\\) of workflow 'after' from version ${version} line 5: that build \\(test/runtime/deploy-check-v1-${kind}.ts\\) has no await on line 5; its awaits are on lines 12, 13`));
    } finally {
      remove();
    }
  });

  it('a worker that lacks a workflow leaves its execution ready; one that has it runs it', async () => {
    const other = await compileAndImport(OTHER, `test/runtime/deploy-other-${kind}.ts`);
    const v1 = await compileAndImport(V1, `test/runtime/deploy-v1b-${kind}.ts`);
    const prefix = h.prefix();
    const errors: string[] = [];
    const w1 = await h.worker({ prefix, workflows: v1.module, activities, onError: (e) => errors.push(String(e)) });
    const client = h.client(prefix);
    const handle = await client.start('onlyHere', [3]);
    await expect.poll(async () => (await handle.describe()).problem, { timeout: 60_000, interval: 50 }).toMatch(/unknown workflow 'onlyHere'/);
    expect((await handle.describe()).status).toBe('ready');
    expect(errors.join('\n')).toMatch(/onlyHere/);
    await w1.close(1000);
    await h.worker({ prefix, workflows: other.module, activities });
    expect(await handle.result({ timeoutMs: 60_000 })).toBe('only:3');
  }, 120_000);

  it('two workers with disjoint workflow sets on one namespace each complete their own; another namespace sees none', { timeout: 120_000 }, async () => {
    const a = await compileAndImport(`${HEAD}\nexport async function appA(x: number) {\n  'use workflow';\n  return note('A' + x);\n}\n`, `test/runtime/deploy-app-a-${kind}.ts`);
    const b = await compileAndImport(`${HEAD}\nexport async function appB(x: number) {\n  'use workflow';\n  return note('B' + x);\n}\n`, `test/runtime/deploy-app-b-${kind}.ts`);
    const prefix = h.prefix();
    const quiet = { onError: () => {} };
    const wa = await h.worker({ prefix, workflows: a.module, activities, ...quiet });
    if (kind === 'redis') await h.worker({ prefix, workflows: b.module, activities, ...quiet });
    const client = h.client(prefix);
    const runs = await Promise.all([1, 2, 3].flatMap((i) => [client.start('appA', [i]), client.start('appB', [i])]));
    if (kind === 'local') {
      // Embedded, one worker at a time here: B's executions wait, with the problem, while A's complete; then B's worker runs them.
      await expect.poll(async () => (await runs[1]!.describe()).problem, { timeout: 30_000, interval: 50 }).toMatch(/unknown workflow 'appB'/);
      expect(await Promise.all([0, 2, 4].map((i) => runs[i]!.result({ timeoutMs: 60_000 })))).toEqual(['A1', 'A2', 'A3']);
      await wa.close(1000);
      await h.worker({ prefix, workflows: b.module, activities, ...quiet });
    }
    const results = await Promise.all(runs.map((r) => r.result({ timeoutMs: 60_000 })));
    expect(results).toEqual(['A1', 'B1', 'A2', 'B2', 'A3', 'B3']);
    const other = h.client(h.prefix());
    expect(await other.get(runs[0]!.id)).toBeUndefined();
  });

  it('retry: a workflow that fails after 5 steps because of a bug is fixed, recompiled and retried; the 5 activities ran once', async () => {
    const src = (check: string) => `import { proxyActivities } from 'reawait/workflow';
const { work } = proxyActivities<{ work(i: number): Promise<string> }>();
export async function fiveSteps(n: number) {
  'use workflow';
  const out: string[] = [];
  for (let i = 0; i < 5; i++) out.push(await work(i));
  if (${check}) throw new RangeError('bug: n is ' + n);
  return out.join(',') + '|' + n;
}
`;
    const v1 = await compileAndImport(src('n > 0'), `test/runtime/retry-v1-${kind}.ts`);
    const v2 = await compileAndImport(src('n < 0'), `test/runtime/retry-v2-${kind}.ts`);
    const runs = new Map<number, number>();
    const acts = { work: async (i: number) => (runs.set(i, (runs.get(i) ?? 0) + 1), `w${i}`) };
    const prefix = h.prefix();
    const w1 = await h.worker({ prefix, workflows: v1.module, activities: acts });
    const client = h.client(prefix);
    const handle = await client.start(v1.module.fiveSteps as never, [3] as never);
    await expect(handle.result({ timeoutMs: 60_000 })).rejects.toThrow(/bug: n is 3/);
    await w1.close(1000);
    await h.worker({ prefix, workflows: v2.module, activities: acts });
    await handle.retry();
    await expect(handle.retry()).rejects.toThrow(/is ready, not failed: only a failed execution can be retried|is waiting, not failed|is completed, not failed/);
    expect(await handle.result({ timeoutMs: 60_000 })).toBe('w0,w1,w2,w3,w4|3');
    expect([...runs.entries()].sort()).toEqual([0, 1, 2, 3, 4].map((i) => [i, 1]));
    const types = (await handle.describe()).history.map((e) => e.type);
    expect(types).toContain('failed');
    expect(types.indexOf('retried')).toBeGreaterThan(types.indexOf('failed'));
    expect((await handle.describe()).history.find((e) => e.type === 'upgraded')).toMatchObject({ how: 'retry' });
  }, 120_000);

  it('retry: a 4th call that exhausted its retries (retries: 1) is dispatched again, with the same key and args, after the activity is fixed; calls 1-3 ran once', async () => {
    const v = await compileAndImport(
      `import { proxyActivities } from 'reawait/workflow';
const { step } = proxyActivities<{ step(i: number, tag: string): Promise<string> }>({ retries: 1, backoff: { type: 'fixed', delay: 10 } });
export async function fourCalls(tag: string) {
  'use workflow';
  const out: string[] = [];
  for (let i = 1; i <= 4; i++) out.push(await step(i, tag));
  return out.join(',');
}
`,
      `test/runtime/retry-calls-${kind}.ts`,
    );
    let fixed = false;
    const runs = new Map<number, number>();
    const keys = new Set<string>();
    const acts = {
      step: async (i: number, tag: string) => {
        runs.set(i, (runs.get(i) ?? 0) + 1);
        if (i === 4) keys.add(activityContext().idempotencyKey);
        if (i === 4 && !fixed) throw new Error('step 4 is broken');
        return `${tag}${i}`;
      },
    };
    const prefix = h.prefix();
    await h.worker({ prefix, workflows: v.module, activities: acts });
    const client = h.client(prefix);
    const handle = await client.start(v.module.fourCalls as never, ['s'] as never);
    await expect(handle.result({ timeoutMs: 60_000 })).rejects.toThrow(/step 4 is broken/);
    expect(runs.get(4)).toBe(2); // the first attempt and its one retry
    fixed = true;
    await handle.retry();
    expect(await handle.result({ timeoutMs: 60_000 })).toBe('s1,s2,s3,s4');
    expect([...runs.entries()].sort()).toEqual([[1, 1], [2, 1], [3, 1], [4, 3]]);
    expect(keys).toEqual(new Set([`${handle.id}:4`])); // every attempt, before and after the retry, under one key
    const history = (await handle.describe()).history;
    const types = history.map((e) => e.type);
    expect(types.indexOf('retried')).toBeGreaterThan(types.indexOf('failed'));
    expect(history.find((e) => e.type === 'retried')).toMatchObject({ redispatched: [4] });
    expect(types.lastIndexOf('call completed')).toBeGreaterThan(types.indexOf('retried'));
  }, 120_000);

  it('retry: a child workflow that failed is retried with its parent; the parent waits for its new end; no call before the failure runs again', async () => {
    const v = await compileAndImport(
      `import { proxyActivities, startChild } from 'reawait/workflow';
const { step } = proxyActivities<{ step(i: number): Promise<string> }>();
export async function kid(n: number) {
  'use workflow';
  const a = await step(n);
  const b = await step(n + 1);
  return a + b;
}
export async function parentOfKid() {
  'use workflow';
  const a = await step(1);
  const k = await startChild(kid, [2]);
  return a + '|' + k;
}
`,
      `test/runtime/retry-child-${kind}.ts`,
    );
    let fixed = false;
    const runs = new Map<number, number>();
    const acts = {
      step: async (i: number) => {
        runs.set(i, (runs.get(i) ?? 0) + 1);
        if (i === 3 && !fixed) throw new Error('step 3 is broken');
        return `s${i}`;
      },
    };
    const prefix = h.prefix();
    await h.worker({ prefix, workflows: v.module, activities: acts });
    const client = h.client(prefix);
    const handle = await client.start(v.module.parentOfKid as never, [] as never);
    await expect(handle.result({ timeoutMs: 60_000 })).rejects.toThrow(/step 3 is broken/);
    const childId = (await handle.describe()).history.find((e) => e.type === 'child failed')!.child as string;
    expect((await client.get(childId))!).toBeDefined();
    fixed = true;
    await handle.retry();
    expect(await handle.result({ timeoutMs: 60_000 })).toBe('s1|s2s3');
    expect([...runs.entries()].sort()).toEqual([[1, 1], [2, 1], [3, 2]]);
    expect((await handle.describe()).history.find((e) => e.type === 'retried')).toMatchObject({ children: [childId] });
    const child = await client.get(childId);
    expect(await child!.result({ timeoutMs: 60_000 })).toBe('s2s3');
    expect((await child!.describe()).history.find((e) => e.type === 'retried')).toMatchObject({ redispatched: [2] });
  }, 120_000);

  it('retry: a call still running beside the failing one completes after the failure; the retry resumes with its result, not waiting for it', async () => {
    const v = await compileAndImport(
      `import { proxyActivities } from 'reawait/workflow';
const { slow, bad } = proxyActivities<{ slow(): Promise<string>; bad(): Promise<string> }>({ retries: 0 });
export async function slowAndBad() {
  'use workflow';
  const [a, b] = await Promise.all([slow(), bad()]);
  return a + '+' + b;
}
`,
      `test/runtime/retry-beside-${kind}.ts`,
    );
    let fixed = false;
    let release!: () => void;
    const slowDone = new Promise<void>((r) => (release = r));
    const runs = { slow: 0, bad: 0 };
    const acts = {
      slow: async () => {
        runs.slow++;
        await slowDone;
        return 'slow';
      },
      bad: async () => {
        runs.bad++;
        if (!fixed) throw new Error('bad is broken');
        return 'bad';
      },
    };
    const prefix = h.prefix();
    await h.worker({ prefix, workflows: v.module, activities: acts });
    const client = h.client(prefix);
    const handle = await client.start(v.module.slowAndBad as never, [] as never);
    await expect(handle.result({ timeoutMs: 60_000 })).rejects.toThrow(/bad is broken/);
    release(); // slow completes after its execution failed
    await expect.poll(async () => (await handle.describe()).history.filter((e) => e.type === 'call completed').length, { timeout: 30_000 }).toBe(1);
    fixed = true;
    await handle.retry();
    expect(await handle.result({ timeoutMs: 60_000 })).toBe('slow+bad');
    expect(runs).toEqual({ slow: 1, bad: 2 });
  }, 120_000);
});
