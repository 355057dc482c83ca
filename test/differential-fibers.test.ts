/**
 * The differential suite of issue 11 (promises as durable values): programs
 * of fixtures/fibers run natively and compiled (runWorkflow, the state
 * round-tripped through JSON at every suspension) must end the same way and
 * make the same multiset of activity calls (support/fiber-compare.ts).
 *
 * Every program in fixtures/fibers runs here (all of them pass since the
 * compiler's closure conversion landed; the list that grew towards them is
 * gone).
 */
import { describe, expect, it } from 'vitest';
import { FIBERS_DIR, PROGRAMS_DIR, programStems } from './support/fixture-corpus.js';
import { callMultisetDiff, compareProgram, runDiff, type ProgramRun } from './support/fiber-compare.js';

/** Every program of fixtures/fibers: a new one runs here as soon as it is added. */
const selected = programStems(FIBERS_DIR);

describe('fixtures/fibers: native vs compiled (roundTrip at every suspension)', () => {
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
