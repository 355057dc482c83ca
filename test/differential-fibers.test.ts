/**
 * The differential suite of issue 11 (promises as durable values): programs
 * of fixtures/fibers run natively and compiled (runWorkflow, the state
 * round-tripped through JSON at every suspension) must end the same way and
 * make the same multiset of activity calls (support/fiber-compare.ts).
 *
 * Only the programs listed in PASSING run here, so that the suite is green
 * while the fiber runtime is being built. EVERY program in fixtures/fibers
 * must move into PASSING: add a program's name once it passes, never take
 * one out. To see where all of them stand:
 *
 *   REAWAIT_FIBERS=all npx vitest run test/differential-fibers.test.ts
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIBERS_DIR, PROGRAMS_DIR, programStems } from './support/fixture-corpus.js';
import { callMultisetDiff, compareProgram, runDiff, type ProgramRun } from './support/fiber-compare.js';

/** The fibers programs that run compiled exactly as natively today. Grow it to all of fixtures/fibers. */
const PASSING: string[] = [
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

const selected = process.env.REAWAIT_FIBERS === 'all' ? programStems(FIBERS_DIR) : PASSING;

describe('fixtures/fibers: native vs compiled (roundTrip at every suspension)', () => {
  it('lists only programs that exist, once each', () => {
    const missing = PASSING.filter((stem) => !existsSync(path.join(FIBERS_DIR, `${stem}.ts`)));
    expect(missing, 'PASSING names programs that are not in fixtures/fibers').toEqual([]);
    expect(new Set(PASSING).size, 'PASSING lists a program twice').toBe(PASSING.length);
  });

  it.each(selected)('%s', async (stem) => {
    const { diff } = await compareProgram({ dir: FIBERS_DIR, stem });
    expect(diff, diff).toBe('');
  });
});

describe('the fiber comparison itself', () => {
  it.each(['promise-all-map', 'workflow-call', 'try-catch-activity-error', 'uncaught-custom-error'])(
    'agrees on %s (fixtures/programs, which runs compiled today)',
    async (stem) => {
      const { native, compiled, diff } = await compareProgram({ dir: PROGRAMS_DIR, stem });
      expect(diff, diff).toBe('');
      expect(native.calls.length).toBeGreaterThan(0);
      expect(compiled.maxStateBytes ?? 1).toBeGreaterThan(0);
    },
  );

  it('compares calls as multisets: order does not matter, counts do', () => {
    expect(callMultisetDiff(['add(1, 2)', 'echo(3)', 'add(1, 2)'], ['echo(3)', 'add(1, 2)', 'add(1, 2)'])).toEqual([]);
    expect(callMultisetDiff(['add(1, 2)', 'add(1, 2)', 'echo(3)'], ['add(1, 2)', 'record("x")'])).toEqual([
      '- add(1, 2)  ×2 expected, ×1 actual',
      '- echo(3)  ×1 expected, ×0 actual',
      '+ record("x")  ×0 expected, ×1 actual',
    ]);
  });

  it('shows both outcomes and the differing calls', () => {
    const native: ProgramRun = { outcome: { ok: true, value: '7' }, calls: ['record("loser")'] };
    const compiled: ProgramRun = { outcome: { ok: false, error: 'TypeError: boom' }, calls: [] };
    expect(runDiff(native, compiled)).toBe(
      [
        'outcome differs:',
        '  native    returned 7',
        '  compiled  threw TypeError: boom',
        'activity calls differ (- made by native only, + by compiled only):',
        '  - record("loser")  ×1 expected, ×0 actual',
      ].join('\n'),
    );
    expect(runDiff(native, { ...native, calls: [...native.calls] })).toBe('');
  });
});
