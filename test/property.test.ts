/**
 * Property-based differential test: random workflow programs (see
 * support/gen-program.ts) run natively and compiled (roundTrip at every
 * suspension) must agree on result or thrown error and on the activity call
 * sequence. Runs: REAWAIT_PROP_RUNS (default 150).
 *
 * The generator also writes programs with promises as values (issue 11:
 * async closures, stored and fire-and-forget calls, nested combinators) with
 * `{ fibers: true }`; FIBER_PROGRAMS draws them into the comparison too, as
 * a second property (the first keeps its exact batch and suspension checks).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import path from 'node:path';
import { programArb, programArbitrary, renderProgram, type GeneratedProgram } from './support/gen-program.js';
import { compileAndImport, COMPILED_DIR, loadCompiler, writeSource } from './support/compile-fixture.js';
import { outcomeOf } from './support/fixture-compare.js';
import { Recorder, windowed, type ActivityFns } from './support/fixture-recorder.js';
import { runNativeRecorded } from './support/fixture-native.js';
import { callMultisetDiff, reordered } from './support/fiber-compare.js';

const RUNS = Number(process.env.REAWAIT_PROP_RUNS ?? 150);
/** Time limits grow with the runs asked for (REAWAIT_PROP_RUNS=2000 runs them all). */
const LIMIT_MS = Math.max(60_000, RUNS * 1500);

/**
 * Fiber programs are compared too, their calls as multisets (fibers batch
 * their calls differently from native JS, so windows and suspension counts
 * do not apply).
 */
const FIBER_PROGRAMS = true;

const activities: ActivityFns = {
  add: (x: unknown, y: unknown) => (x as number) + (y as number),
  echo: (x: unknown) => x,
  fail: (name: unknown, message: unknown) => {
    const e = new Error(String(message));
    e.name = String(name);
    throw e;
  },
};

interface TestingModule {
  runWorkflow(wf: unknown, args: unknown[], opts: { activities: ActivityFns; roundTrip?: boolean }): Promise<{ result: unknown; suspensions: number }>;
}

let counter = 0;

async function compareOnce(source: string, name: string, fibers = false): Promise<void> {
  const relFile = `prop/${name}.ts`;
  const compiled = await compileAndImport(source, relFile);
  const native = (await import(/* @vite-ignore */ path.join(COMPILED_DIR, relFile))) as Record<string, unknown>;
  const nativeRec = new Recorder();
  const expected = await outcomeOf(() =>
    runNativeRecorded(native[name] as () => Promise<unknown>, [], { activities: nativeRec.wrap(activities), recorder: nativeRec }),
  );
  const { runWorkflow } = (await import('reawait/testing')) as TestingModule;
  const rec = new Recorder();
  let suspensions = -1;
  const actual = await outcomeOf(async () => {
    const r = await runWorkflow(compiled.module[name], [], { activities: rec.wrap(activities), roundTrip: true });
    suspensions = r.suspensions;
    return r.result;
  });
  if (fibers) {
    expect({ outcome: actual, calls: callMultisetDiff(nativeRec.calls(), rec.calls()) }, `program:\n${source}`).toEqual({ outcome: expected, calls: [] });
    return;
  }
  const sizes = nativeRec.callBatchSizes();
  expect({ outcome: actual, calls: windowed(rec.calls(), sizes) }, `program:\n${source}`).toEqual({
    outcome: expected,
    calls: windowed(nativeRec.calls(), sizes),
  });
  if (actual.ok || suspensions >= 0) expect(suspensions, `suspensions, program:\n${source}`).toBe(nativeRec.batchCount);
}

describe('random programs: native vs compiled', () => {
  it('the compiler and runWorkflow are present', async () => {
    await expect(loadCompiler()).resolves.toHaveProperty('compile');
    await expect(import('reawait/testing')).resolves.toHaveProperty('runWorkflow');
  });

  it('generates terminating programs that run natively', async () => {
    const samples = fc.sample(programArb, { numRuns: 40, seed: 1 });
    const outcomes = { ok: 0, threw: 0, calls: 0 };
    const sources: string[] = [];
    for (const p of samples) {
      const name = `propNative${counter++}`;
      const source = renderProgram(p, name);
      sources.push(source);
      const file = writeSource(source, `prop/${name}.ts`);
      const mod = (await import(/* @vite-ignore */ file)) as Record<string, () => Promise<unknown>>;
      const rec = new Recorder();
      const o = await outcomeOf(() => runNativeRecorded(mod[name]!, [], { activities: rec.wrap(activities), recorder: rec, timeoutMs: 2000 }));
      expect(o.ok || !o.error.startsWith('Error: native run did not finish')).toBe(true);
      outcomes[o.ok ? 'ok' : 'threw']++;
      outcomes.calls += rec.calls().length;
    }
    // the generator produces a mix: most programs finish, some throw, and they do call activities
    expect(outcomes.ok).toBeGreaterThan(10);
    expect(outcomes.threw).toBeGreaterThan(0);
    expect(outcomes.calls).toBeGreaterThan(40);
    // and state that must come through a suspension exactly: an object changed in place, one array in two places, closures
    const having = (re: RegExp) => sources.filter((s) => re.test(s)).length;
    expect(having(/^\s+o\.(k =|arr\.push\()/m), 'an object changed in place').toBeGreaterThan(3);
    expect(having(/^\s+log\.push\(o\.arr\);$/m), 'its array pushed into log').toBeGreaterThan(3);
    expect(having(/\b(get\(\)|bump\()/), 'closures over the locals').toBeGreaterThan(3);
    expect(having(/^\s+if \(.*\) (break|continue) Li\d+;$/m), 'break and continue to a labelled loop').toBeGreaterThan(2);
    expect(having(/^\s+\[a, b\] = \[|^\s+\(\{ x: c, y: o\.k = /m), 'destructuring assignments').toBeGreaterThan(3);
    expect(having(/log\.push\(\.\.\.\[|`\$\{/), 'spread arguments and template literals').toBeGreaterThan(3);
    expect(having(/^\s+m\.set\(/m), 'a Map written across awaits').toBeGreaterThan(3);
  });

  it('generates terminating fiber programs that run natively, alike whatever the completion order', async () => {
    const samples: GeneratedProgram[] = fc.sample(programArbitrary({ fibers: true }), { numRuns: 40, seed: 1 });
    const outcomes = { ok: 0, threw: 0, calls: 0 };
    const sources: string[] = [];
    for (const p of samples) {
      const name = `propFiberNative${counter++}`;
      const source = renderProgram(p, name);
      sources.push(source);
      const file = writeSource(source, `prop/${name}.ts`);
      const mod = (await import(/* @vite-ignore */ file)) as Record<string, () => Promise<unknown>>;
      const runs = [];
      for (const acts of [activities, reordered(activities, 1)]) {
        const rec = new Recorder();
        const outcome = await outcomeOf(() => runNativeRecorded(mod[name]!, [], { activities: rec.wrap(acts), recorder: rec, timeoutMs: 2000 }));
        expect(outcome.ok || !outcome.error.startsWith('Error: native run did not finish'), `terminates:\n${source}`).toBe(true);
        runs.push({ outcome, calls: rec.calls() });
      }
      const [first, second] = runs as [(typeof runs)[0], (typeof runs)[0]];
      expect({ outcome: second.outcome, calls: callMultisetDiff(first.calls, second.calls) }, `completion order shows in:\n${source}`).toEqual({ outcome: first.outcome, calls: [] });
      outcomes[first.outcome.ok ? 'ok' : 'threw']++;
      outcomes.calls += first.calls.length;
    }
    expect(outcomes.ok).toBeGreaterThan(10);
    expect(outcomes.threw).toBeGreaterThan(0);
    expect(outcomes.calls).toBeGreaterThan(40);
    // and they hold what they are for
    const having = (re: RegExp) => sources.filter((s) => re.test(s)).length;
    expect(having(/\.map\(async \(x: any\) =>/), 'Promise.all(xs.map(async …))').toBeGreaterThan(3);
    expect(having(/const f\d+ = async \(x: any\)/), 'async closures kept in a const').toBeGreaterThan(3);
    expect(having(/const p\d+ = /), 'promises stored and awaited later').toBeGreaterThan(3);
    expect(having(/^\s+(add|echo|fail|track)\(.*\);$/m), 'fire-and-forget calls').toBeGreaterThan(3);
    expect(having(/Promise\.(all|allSettled|race|any)\(\[[^\]]*Promise\.(all|allSettled|race|any)\(/), 'nested combinators').toBeGreaterThan(3);
    expect(having(/\)\.then\(\(v: any\) =>/), '.then on a call').toBeGreaterThan(3);
    expect(having(/\.(catch|finally)\(|\.then\(\(v: any\) => v, \(err: any\)/), 'a rejection recovered by .then, .catch or .finally').toBeGreaterThan(3);
  });

  // Found by the fiber property (seed 1069417904): the native run handed echo the workflow's own array and got the same
  // object back, so `a` and the value in `log` were one object natively and two in the compiled run. An activity's
  // arguments and result cross a worker boundary in every durable run: the native reference copies them too.
  it('an object sent to an activity and returned by it is a copy, natively as compiled', async () => {
    const name = 'propEchoIdentity';
    const source = `import { proxyActivities } from 'reawait/workflow';
const { add, echo } = proxyActivities<{ add(x: unknown, y: unknown): number; echo(x: unknown): unknown }>();

export async function ${name}() {
  'use workflow';
  let a: any = 0;
  const log: unknown[] = [];
  const f0 = async (x: any) => { let y: any = await add(x, 1); y = x; return y; };
  a = (await Promise.all([])) || 1;
  log.push(await f0(await Promise.all([echo(a)])));
  const same = (await echo(a)) === a;
  return [a, log, same];
}
`;
    await compareOnce(source, name, true);
    const file = writeSource(source, `prop/${name}-native.ts`);
    const mod = (await import(/* @vite-ignore */ file)) as Record<string, () => Promise<unknown>>;
    const rec = new Recorder();
    expect(await runNativeRecorded(mod[name]!, [], { activities: rec.wrap(activities), recorder: rec })).toEqual([[], [[[]]], false]);
  });

  it(`agree on ${RUNS} random programs`, async () => {
    await fc.assert(
      fc.asyncProperty(programArb, async (p) => {
        const name = `prop${counter++}`;
        await compareOnce(renderProgram(p, name), name);
      }),
      { numRuns: RUNS, endOnFailure: false, interruptAfterTimeLimit: LIMIT_MS },
    );
  }, 2 * LIMIT_MS);

  it.runIf(FIBER_PROGRAMS)(`agree on ${RUNS} random fiber programs (async closures, un-awaited calls, nested combinators, .then/.catch/.finally)`, async () => {
    let ran = 0;
    await fc.assert(
      fc.asyncProperty(programArbitrary({ fibers: true }), async (p) => {
        const name = `propFiber${counter++}`;
        await compareOnce(renderProgram(p, name), name, true);
        ran++;
      }),
      { numRuns: RUNS, endOnFailure: false, interruptAfterTimeLimit: LIMIT_MS },
    );
    // A run cut short by the time limit passes: say how far it got.
    if (ran < RUNS) console.warn(`property: ${ran} of ${RUNS} fiber programs compared before the time limit`);
  }, 2 * LIMIT_MS);
});
