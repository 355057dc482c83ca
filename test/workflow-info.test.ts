/**
 * workflowInfo() inside a workflow (id, workflow, version, start time, how
 * many resumes came before, which try of this resume: workflow-attempt.test.ts
 * has the re-runs), and error control for activities: a
 * NonRetryableError fails the call at once whatever its retries, and so
 * does an error a stub lists in `nonRetryable` (by class or name); other
 * errors are still retried. Checked under runWorkflow and on a Worker
 * (whose retries are the queue's).
 */
import { describe, expect, it } from 'vitest';
import { NonRetryableError } from '../runtime/index.js';
import { runWorkflow } from '../runtime/testing.js';
import { workflowInfo } from '../runtime/workflow.js';
import { compileAndImport } from './support/compile-fixture.js';
import { withLocalWorker } from './support/local-worker.js';

const SOURCE = `import { proxyActivities, sleep, workflowInfo } from 'reawait/workflow';
import type * as acts from './acts.js';

export class CardDeclined extends Error {
  override name = 'CardDeclined';
}

const { charge, refuse, flaky } = proxyActivities<typeof acts>({ retries: 4, nonRetryable: [CardDeclined, 'TypeError'] });

export async function info() {
  'use workflow';
  const first = workflowInfo();
  await sleep('1s');
  const second = workflowInfo();
  return { first, second };
}

export async function billing() {
  'use workflow';
  const outcomes: string[] = [];
  for (const kind of ['declined', 'typeError', 'nonRetryable']) {
    try {
      await charge(kind);
    } catch (e) {
      outcomes.push(\`\${(e as Error).name}: \${(e as Error).message}\${e instanceof CardDeclined ? ' (CardDeclined instance)' : ''}\`);
    }
  }
  try {
    await refuse();
  } catch (e) {
    outcomes.push(\`refuse: \${(e as Error).name}\`);
  }
  outcomes.push(\`flaky: \${await flaky()}\`);
  return outcomes;
}
`;

interface Mod {
  info: () => Promise<{ first: Record<string, unknown>; second: Record<string, unknown> }>;
  billing: () => Promise<string[]>;
  CardDeclined: new (message: string) => Error;
}

function activities(mod: Mod) {
  const calls: string[] = [];
  let flakyRuns = 0;
  return {
    calls,
    acts: {
      async charge(kind: string) {
        calls.push(`charge ${kind}`);
        if (kind === 'declined') throw new mod.CardDeclined('card declined');
        if (kind === 'typeError') throw new TypeError('bad amount');
        throw new NonRetryableError('account closed');
      },
      async refuse() {
        calls.push('refuse');
        throw new RangeError('retried');
      },
      async flaky() {
        calls.push('flaky');
        if (++flakyRuns < 3) throw new Error('try again');
        return flakyRuns;
      },
    },
  };
}

const EXPECTED_OUTCOMES = ['CardDeclined: card declined (CardDeclined instance)', 'TypeError: bad amount', 'NonRetryableError: account closed', 'refuse: RangeError', 'flaky: 3'];
const EXPECTED_CALLS = ['charge declined', 'charge typeError', 'charge nonRetryable', 'refuse', 'refuse', 'refuse', 'refuse', 'refuse', 'flaky', 'flaky', 'flaky'];

describe('workflowInfo()', () => {
  it('gives the id, workflow, version, start time and resumes before, inside the workflow', async () => {
    const { module, workflows } = await compileAndImport(SOURCE, 'test/info/billing.ts');
    const m = module as unknown as Mod;
    const start = Date.UTC(2026, 5, 1);
    const r = await runWorkflow(m.info, [], { activities: {}, executionId: 'order-7', startTime: start });
    const version = workflows.find((w) => w.name === 'info')!.version;
    expect(r.result).toEqual({
      first: { id: 'order-7', workflow: 'info', version, startTime: start, resume: 0, attempt: 1 },
      second: { id: 'order-7', workflow: 'info', version, startTime: start, resume: 1, attempt: 1 },
    });
    expect(() => workflowInfo()).toThrow("workflowInfo() is only available inside a running workflow's own code");
  }, 120_000);

  it('on a Worker: the start time is the execution\'s, the id the one it was started with', async () => {
    const { module } = await compileAndImport(SOURCE, 'test/info/billing.ts');
    const m = module as unknown as Mod;
    await withLocalWorker(module, {}, async (client) => {
      const handle = await client.start(m.info, [], { id: 'info-1' });
      const r = await handle.result({ timeoutMs: 20_000 });
      const d = await handle.describe();
      expect(r.first).toMatchObject({ id: 'info-1', workflow: 'info', startTime: d.createdAt, resume: 0, attempt: 1 });
      expect(r.second).toMatchObject({ id: 'info-1', startTime: d.createdAt, attempt: 1 });
      expect(r.second.resume).toBeGreaterThan(0);
    });
  }, 120_000);
});

describe('errors not to retry', () => {
  it('runWorkflow: NonRetryableError and the listed errors fail at once; others use the retries', async () => {
    const { module } = await compileAndImport(SOURCE, 'test/info/billing.ts');
    const m = module as unknown as Mod;
    const { calls, acts } = activities(m);
    const r = await runWorkflow(m.billing, [], { activities: acts });
    expect(r.result).toEqual(EXPECTED_OUTCOMES);
    expect(calls).toEqual(EXPECTED_CALLS);
  }, 120_000);

  it('a Worker does the same (the queue retries only what may be retried)', async () => {
    const { module } = await compileAndImport(SOURCE, 'test/info/billing.ts');
    const m = module as unknown as Mod;
    const { calls, acts } = activities(m);
    await withLocalWorker(module, acts, async (client) => {
      const handle = await client.start(m.billing, []);
      expect(await handle.result({ timeoutMs: 30_000 })).toEqual(EXPECTED_OUTCOMES);
      expect(calls).toEqual(EXPECTED_CALLS);
    });
  }, 120_000);
});
