/**
 * The differential suite: every program in fixtures/programs runs natively
 * (plain async JS, activities called directly) and compiled (through
 * runWorkflow, state encoded and decoded at every suspension). Result or
 * thrown error, and the activity call sequence, must be the same; the
 * compiled run must suspend once per durable await of the native run.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import * as activityModule from '../fixtures/activities.js';
import { entryOf, programStems, PROGRAMS_DIR, type FixtureModule } from './support/fixture-corpus.js';
import { outcomeOf, describeError, type Outcome } from './support/fixture-compare.js';
import { Recorder, windowed, type ActivityFns } from './support/fixture-recorder.js';
import { runNativeRecorded } from './support/fixture-native.js';
import { compileAndImport, COMPILED_DIR } from './support/compile-fixture.js';

const activities = activityModule as unknown as ActivityFns;
const stems = programStems();

interface TestingModule {
  runWorkflow(
    wf: unknown,
    args: unknown[],
    opts: { activities: ActivityFns; signals?: Record<string, unknown>; roundTrip?: boolean },
  ): Promise<{ result: unknown; suspensions: number; maxStateBytes: number }>;
  runNative?(fn: unknown, args: unknown[], opts: { activities: ActivityFns; signals?: Record<string, unknown> }): Promise<{ result: unknown }>;
}

async function loadFixture(stem: string): Promise<FixtureModule> {
  return (await import(path.join(PROGRAMS_DIR, `${stem}.ts`))) as FixtureModule;
}

interface NativeRun {
  outcome: Outcome;
  recorder: Recorder;
}

async function runNatively(stem: string): Promise<NativeRun> {
  const mod = await loadFixture(stem);
  const recorder = new Recorder();
  const outcome = await outcomeOf(() =>
    runNativeRecorded(entryOf(mod, stem), structuredClone(mod.args ?? []), { activities: recorder.wrap(activities), signals: mod.signals, recorder }),
  );
  return { outcome, recorder };
}

/** Every mismatch found, written to test/.compiled/differential-report.json for the humans. */
const mismatches: { program: string; what: string; expected: unknown; actual: unknown }[] = [];
function check(program: string, what: string, actual: unknown, expected: unknown): void {
  if (JSON.stringify(actual) !== JSON.stringify(expected)) mismatches.push({ program, what, expected, actual });
}

/** Per-program figures of the compiled runs (suspensions, largest state), for the same file. */
const figures: Record<string, { suspensions: number; maxStateBytes: number }> = {};

afterAll(() => {
  mkdirSync(COMPILED_DIR, { recursive: true });
  writeFileSync(path.join(COMPILED_DIR, 'differential-report.json'), JSON.stringify({ mismatches, figures }, null, 2));
});

describe('fixture corpus', () => {
  it('has at least 60 programs', () => {
    expect(stems.length).toBeGreaterThanOrEqual(60);
  });

  it.each(stems)('%s runs natively as designed', async (stem) => {
    const mod = await loadFixture(stem);
    const { outcome, recorder } = await runNatively(stem);
    if (mod.throws !== undefined) {
      expect(outcome.ok, `${stem} should throw ${mod.throws}`).toBe(false);
      if (!outcome.ok) expect(outcome.error).toMatch(mod.throws === 'object' ? /^thrown / : new RegExp(`^${mod.throws}: `));
    } else {
      expect(outcome, `${stem} threw natively`).toMatchObject({ ok: true });
    }
    expect(recorder.batchCount, `${stem} makes no durable await`).toBeGreaterThan(0);
  });
});

describe('native vs compiled (roundTrip at every suspension)', () => {
  it.each(stems)('%s', async (stem) => {
    const mod = await loadFixture(stem);
    const native = await runNatively(stem);

    const testing = (await import('reawait/testing')) as TestingModule;
    const relFile = path.posix.join('fixtures', 'programs', `${stem}.ts`);
    let compiled: Awaited<ReturnType<typeof compileAndImport>>;
    try {
      compiled = await compileAndImport(readFileSync(path.join(PROGRAMS_DIR, `${stem}.ts`), 'utf8'), relFile);
    } catch (e) {
      check(stem, 'compile + import', describeError(e).split('\n')[0], 'compiles to importable code');
      throw e;
    }
    const recorder = new Recorder();
    let stats: { suspensions: number; maxStateBytes: number } | undefined;
    const outcome = await outcomeOf(async () => {
      const r = await testing.runWorkflow(entryOf(compiled.module as FixtureModule, stem), structuredClone(mod.args ?? []), {
        activities: recorder.wrap(activities),
        signals: mod.signals ?? {},
        roundTrip: true,
      });
      stats = r;
      figures[stem] = { suspensions: r.suspensions, maxStateBytes: r.maxStateBytes };
      return r.result;
    });

    const sizes = native.recorder.callBatchSizes();
    const expectedCalls = windowed(native.recorder.calls(), sizes);
    const actualCalls = windowed(recorder.calls(), sizes);
    check(stem, 'outcome', outcome, native.outcome);
    check(stem, 'calls', actualCalls, expectedCalls);
    if (stats) check(stem, 'suspensions', stats.suspensions, native.recorder.batchCount);
    if (stats && mod.maxStateBytes !== undefined && stats.maxStateBytes > mod.maxStateBytes)
      check(stem, `maxStateBytes <= ${mod.maxStateBytes}`, stats.maxStateBytes, `<= ${mod.maxStateBytes}`);

    expect(outcome, 'result / thrown error').toEqual(native.outcome);
    expect(actualCalls, 'activity call sequence').toEqual(expectedCalls);
    // (a run that throws out reports no figures)
    if (outcome.ok) {
      expect(stats?.suspensions, 'suspensions = durable awaits of the native run').toBe(native.recorder.batchCount);
      if (mod.maxStateBytes !== undefined) expect(stats?.maxStateBytes).toBeLessThanOrEqual(mod.maxStateBytes);
      expect(stats?.maxStateBytes ?? 0, 'a round-tripped run measures its states').toBeGreaterThan(0);
    }
  });
});

describe('runNative (reawait/testing) agrees with the reference native run', () => {
  it.each(stems)('%s', async (stem) => {
    const mod = await loadFixture(stem);
    const reference = await runNatively(stem);
    const testing = (await import('reawait/testing')) as TestingModule;
    expect(typeof testing.runNative, 'reawait/testing exports runNative').toBe('function');
    const recorder = new Recorder();
    const outcome = await outcomeOf(async () => {
      const r = await testing.runNative!(entryOf(mod, stem), structuredClone(mod.args ?? []), { activities: recorder.wrap(activities), signals: mod.signals ?? {} });
      return r.result;
    });
    check(stem, 'runNative outcome', outcome, reference.outcome);
    expect(outcome).toEqual(reference.outcome);
    const sizes = reference.recorder.callBatchSizes();
    expect(windowed(recorder.calls(), sizes)).toEqual(windowed(reference.recorder.calls(), sizes));
  });
});

