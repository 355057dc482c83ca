/**
 * Fixture programs on a real Worker + Client on the embedded backend
 * (support/fixture-worker.ts), compared with their native run: what
 * runWorkflow shows in memory must hold where executions are committed,
 * dispatched and resumed for real.
 *
 * Every program of fixtures/fibers runs here too.
 */
import { describe, expect, it } from 'vitest';
import { FIBERS_DIR, PROGRAMS_DIR, programStems } from './support/fixture-corpus.js';
import { compareOnWorker } from './support/fixture-worker.js';
import { useLocalRuntime, workflowModule } from './support/runtime-harness.js';

/** fixtures/programs that run on a worker as natively: calls, groups, races on real delays, failures, the codec. */
const PROGRAMS_ON_WORKER = ['promise-all-map', 'promise-race-any', 'try-catch-activity-error', 'uncaught-custom-error', 'values-beyond-json', 'video-pipeline'];

/** Every program of fixtures/fibers (issue 11: every differential program also runs on a real Worker). */
const fibers = programStems(FIBERS_DIR);

describe('fixture programs on a Worker (embedded backend) vs natively', () => {
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

const BATCH_SOURCE = `
import { proxyActivities } from 'reawait/workflow';
const acts = proxyActivities<{ tick(): void; nestedFail(): never; outerFail(): never }>();

export async function twoRejectionsInOneResume() {
  'use workflow';
  const ticked = acts.tick();
  const all = Promise.all([Promise.all([acts.nestedFail()]), acts.outerFail()]);
  await ticked;
  // an in-memory wait: this resume runs on while both calls fail, so the next one reads both failures
  await (globalThis as unknown as { holdResume(): Promise<void> }).holdResume();
  try {
    await all;
    return 'fulfilled';
  } catch (e) {
    return (e as Error).message;
  }
}
`;

describe('two rejections read by one resume on a Worker', () => {
  const h = useLocalRuntime();

  it('the one stored first rejects Promise.all, though it reaches it through a nested Promise.all', async () => {
    const mod = await workflowModule(BATCH_SOURCE, 'two-rejections-in-one-resume');
    const prefix = h.prefix();
    const client = h.client(prefix);
    const id = 'two-rejections';
    // until the execution's history holds the failure of `activity` (its settlement is stored with it)
    const stored = async (activity: string) => {
      for (;;) {
        const { history } = await (await client.get(id))!.describe();
        if (history.some((e) => e.type === 'call failed' && e.activity === activity)) return;
        await new Promise((r) => setTimeout(r, 10));
      }
    };
    let holding!: () => void;
    const held = new Promise<void>((r) => (holding = r));
    (globalThis as unknown as { holdResume(): Promise<void> }).holdResume = async () => {
      holding();
      await stored('outerFail');
    };
    const activities = {
      tick: () => undefined,
      nestedFail: async () => {
        await held;
        throw new Error('nested first');
      },
      outerFail: async () => {
        await stored('nestedFail');
        throw new Error('outer later');
      },
    };
    await h.worker({ prefix, workflows: mod, activities, concurrency: 5 });
    const handle = await client.start(mod.twoRejectionsInOneResume, [], { id });
    expect(await handle.result({ timeoutMs: 10_000 })).toBe('nested first');
    // the second resume read both (without the fix it returned 'outer later', as all-first-rejection did under load)
    expect((await handle.describe()).history.filter((e) => e.type === 'resumed').map((e) => e.settlements)).toEqual([1, 2]);
    delete (globalThis as { holdResume?: unknown }).holdResume;
  });
});
