/**
 * The fibers corpus (fixtures/fibers: promises as values, fire-and-forget,
 * then-chains, async closures, combinators, sagas, pools — issue 11) checked
 * on its own, natively: every program runs as designed (its result, or the
 * error it declares), makes activity calls, and is deterministic — a second
 * run, with the activities completing in another order, gives the same
 * outcome and the same multiset of calls. The compiled
 * side is test/differential-fibers.test.ts.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIBERS_DIR, PROGRAMS_DIR, programStems } from './support/fixture-corpus.js';
import { callMultisetDiff, loadProgram, runProgramNatively } from './support/fiber-compare.js';

const stems = programStems(FIBERS_DIR);

/** Names of the `'use workflow'` functions a source declares (the runtime registers workflows by name). */
function workflowNames(file: string): string[] {
  const src = readFileSync(file, 'utf8');
  const declared = /function\s+(\w+)\s*\([^)]*\)[^{]*\{\s*'use workflow'/g;
  const bound = /(\w+)\s*=\s*async\s*(?:function\b[^(]*)?\([^)]*\)[^{]*\{\s*'use workflow'/g;
  return [...src.matchAll(declared), ...src.matchAll(bound)].map((m) => m[1]!);
}

describe('fixtures/fibers', () => {
  it('has at least 70 programs', () => {
    expect(stems.length).toBeGreaterThanOrEqual(70);
  });

  it('names every workflow uniquely across fixtures/programs and fixtures/fibers', () => {
    const seen = new Map<string, string>();
    const clashes: string[] = [];
    for (const dir of [PROGRAMS_DIR, FIBERS_DIR]) {
      for (const stem of programStems(dir)) {
        const file = path.join(dir, `${stem}.ts`);
        const names = workflowNames(file);
        expect(names.length, `${file} declares no 'use workflow' function`).toBeGreaterThan(0);
        for (const n of names) {
          const where = seen.get(n);
          if (where) clashes.push(`${n}: ${where} and ${file}`);
          seen.set(n, file);
        }
      }
    }
    expect(clashes).toEqual([]);
  });

  it.each(stems)('%s runs natively as designed, and alike when calls complete in another order', async (stem) => {
    const p = { dir: FIBERS_DIR, stem };
    const mod = await loadProgram(p);
    const first = await runProgramNatively(p);
    if (mod.throws !== undefined) {
      expect(first.outcome.ok, `${stem} should throw ${mod.throws}`).toBe(false);
      if (!first.outcome.ok) expect(first.outcome.error).toMatch(mod.throws === 'object' ? /^thrown / : new RegExp(`^${mod.throws}: `));
    } else {
      expect(first.outcome, `${stem} threw natively`).toMatchObject({ ok: true });
    }
    expect(first.calls.length, `${stem} makes no activity call`).toBeGreaterThan(0);

    // deterministic even when the activities complete in another order
    const second = await runProgramNatively(p, { salt: 1 });
    expect(second.outcome, 'a run with reordered completions ends the same way').toEqual(first.outcome);
    expect(callMultisetDiff(first.calls, second.calls), 'a run with reordered completions makes the same calls').toEqual([]);
  });
});
