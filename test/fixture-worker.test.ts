/**
 * Fixture programs on a real Worker + Client on the embedded backend
 * (support/fixture-worker.ts), compared with their native run: what
 * runWorkflow shows in memory must hold where executions are committed,
 * dispatched and resumed for real.
 *
 * FIBERS_ON_WORKER lists the fixtures/fibers programs that pass on a worker
 * today. EVERY program in fixtures/fibers must move there (issue 11: "every
 * differential program on these patterns also runs on a real Worker"); add a
 * program once it passes, never take one out. To see where all of them stand:
 *
 *   REAWAIT_FIBERS=all npx vitest run test/fixture-worker.test.ts
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIBERS_DIR, PROGRAMS_DIR, programStems } from './support/fixture-corpus.js';
import { compareOnWorker } from './support/fixture-worker.js';
import { useLocalRuntime, workflowModule } from './support/runtime-harness.js';

const FIBERS_ON_WORKER: string[] = [
  'all-first-rejection',
  'all-mixed-items',
  'all-nested-depths',
  'all-settled-mixed',
  'any-aggregate-error',
  'any-first-fulfilled',
  'async-closure-recursion',
  'async-closures-in-object-map',
  'async-function-declarations',
  'catch-async-callback',
  'catch-sync-callback',
  'child-awaited-twice',
  'child-awaited-while-running',
  'children-in-fibers',
  'closure-captures-mutated-let',
  'closure-counter-shared-env',
  'closure-method-after-await',
  'closure-returned-from-function',
  'closures-nested-envs',
  'closures-per-iteration',
  'combinators-over-iterables',
  'destructured-combinator-results',
  'fiber-awaited-long-after',
  'fiber-control-flow',
  'fiber-starts-background-fiber',
  'fiber-throws-caught-by-await',
  'fiber-throws-in-promise-all',
  'fiber-throws-non-error',
  'fibers-start-fibers',
  'fifty-fibers',
  'finally-callbacks',
  'finally-throw-overrides',
  'fire-and-forget-call',
  'fire-and-forget-failing-call',
  'fire-and-forget-fiber',
  'fire-and-forget-in-loop',
  'fire-and-forget-sleep',
  'fire-and-forget-workflow-ends-first',
  'fire-and-forget-workflow-function',
  'for-loop-closures-called-later',
  'for-loop-start-fibers',
  'for-of-sequential-fibers',
  'getter-over-mutated-field',
  'map-async-concise-body',
  'map-async-fanout',
  'map-async-with-index',
  'memoized-promises',
  'object-async-methods',
  'promise-passed-as-argument',
  'promise-resolve-call',
  'race-delayed-fibers',
  'race-fiber-vs-timer',
  'race-nested-combinators',
  'race-rejection-first',
  'race-signal-timeout-vs-timer',
  'race-signal-vs-timer',
  'race-timeout-rejects',
  'race-timer-wins',
  'race-value-first',
  'saga-compensation-fails',
  'saga-compensations',
  'saga-parallel-compensations',
  'saga-success-path',
  'shared-array-pushed-by-fibers',
  'shared-counter-mutated-by-fibers',
  'shared-state-read-while-running',
  'sleep-inside-then',
  'stored-call-awaited-from-two-fibers',
  'stored-call-awaited-later',
  'stored-call-awaited-twice',
  'stored-calls-in-array',
  'stored-calls-in-map',
  'stored-calls-in-object',
  'stored-promise-pipelined-loop',
  'stored-rejection-caught-later',
  'stored-sleep-and-signal',
  'stored-workflow-call',
  'sync-closures-in-array',
  'sync-closures-in-map',
  'then-async-callback',
  'then-callback-returns-call',
  'then-chain-long',
  'then-on-async-closure',
  'then-on-combinator',
  'then-on-workflow-call',
  'then-stored-across-await',
  'then-sync-callback',
  'then-two-handlers',
  'timers-in-fibers',
  'unhandled-rejections',
  'worker-pool-shared-queue',
  'worker-pool-with-failures',
  'workflow-call-throws-in-all',
  'workflow-calls-in-promise-all',
  'workflow-recursion-promise-all',
];

/** fixtures/programs that run on a worker as natively: calls, groups, races on real delays, failures, the codec. */
const PROGRAMS_ON_WORKER = ['promise-all-map', 'promise-race-any', 'try-catch-activity-error', 'uncaught-custom-error', 'values-beyond-json', 'video-pipeline'];

const fibers = process.env.REAWAIT_FIBERS === 'all' ? programStems(FIBERS_DIR) : FIBERS_ON_WORKER;

describe('fixture programs on a Worker (embedded backend) vs natively', () => {
  it('FIBERS_ON_WORKER lists only programs that exist, once each', () => {
    expect(FIBERS_ON_WORKER.filter((stem) => !existsSync(path.join(FIBERS_DIR, `${stem}.ts`)))).toEqual([]);
    expect(new Set(FIBERS_ON_WORKER).size).toBe(FIBERS_ON_WORKER.length);
  });

  it.each(PROGRAMS_ON_WORKER)('programs/%s', async (stem) => {
    const { native, worker, diff } = await compareOnWorker({ dir: PROGRAMS_DIR, stem });
    expect(diff, diff).toBe('');
    expect(worker.calls.length, 'the worker ran the activities').toBeGreaterThan(0);
    expect(worker.outcome).toEqual(native.outcome);
  });

  it.each(fibers)('fibers/%s', async (stem) => {
    const { diff } = await compareOnWorker({ dir: FIBERS_DIR, stem });
    expect(diff, diff).toBe('');
  });

  it('reports an execution that does not end, with where it waits', async () => {
    // signal-payloads waits an hour for a signal nobody sends: on a worker that is a real hour
    const { worker, diff } = await compareOnWorker({ dir: PROGRAMS_DIR, stem: 'signal-payloads' }, { timeoutMs: 1500 });
    expect(worker.outcome).toMatchObject({ ok: false, error: expect.stringMatching(/^ExecutionTimeoutError: /) });
    expect(worker.stuck).toMatch(/^waiting at fixtures\/programs\/signal-payloads\.ts:12:\d+$/);
    expect(diff).toContain('the execution did not end: waiting at fixtures/programs/signal-payloads.ts:12');
  });
});

const CHILD_SOURCE = `
import { proxyActivities, startChild } from 'reawait/workflow';
const acts = proxyActivities<{ triple(n: number): number; note(s: string): string }>();

export async function settledChild(n: number) {
  'use workflow';
  return await acts.triple(n);
}

export async function awaitsChildAgain(n: number) {
  'use workflow';
  const first = await startChild(settledChild, [n], { id: 'kid-' + n });
  await acts.note('child completed with ' + first);
  const again = await startChild(settledChild, [n], { id: 'kid-' + n });
  return [first, again];
}
`;

describe('a child awaited again on a Worker', () => {
  const h = useLocalRuntime();

  it('after it completed: resolves with its settled value, and the child ran once', async () => {
    const mod = await workflowModule(CHILD_SOURCE, 'child-awaited-again');
    const runs: string[] = [];
    const activities = {
      triple: (n: number) => (runs.push(`triple ${n}`), n * 3),
      note: (s: string) => (runs.push(s), s),
    };
    const prefix = h.prefix();
    await h.worker({ prefix, workflows: mod, activities });
    const handle = await h.client(prefix).start(mod.awaitsChildAgain, [4], { id: 'parent' });
    expect(await handle.result({ timeoutMs: 10_000 })).toEqual([12, 12]);
    expect(runs).toEqual(['triple 4', 'child completed with 12']);
  });
});
