/**
 * The comparison the fiber runtime is held to: one fixture program run
 * natively (the uncompiled source through `runNative`, plain async JS) and
 * compiled (`runWorkflow`, the state encoded and decoded at every
 * suspension), in the same simulated environment (virtual clock, signals,
 * codec at the activity boundary). They must agree on the outcome (result or
 * thrown error) and on the **multiset** of activity calls: fibers batch their
 * calls differently from native JS, so windows and suspension counts are not
 * compared, only which calls were made and how often.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as activityModule from '../../fixtures/activities.js';
import { runNative, runWorkflow } from '../../runtime/testing.js';
import { compileAndImport } from './compile-fixture.js';
import { describeValue, outcomeOf, type Outcome } from './fixture-compare.js';
import { entryOf, ROOT, type FixtureModule } from './fixture-corpus.js';
import { Recorder, type ActivityFns } from './fixture-recorder.js';

export const fixtureActivities = activityModule as unknown as ActivityFns;

/** A program of a fixture corpus: `fixtures/<corpus>/<stem>.ts`. */
export interface FixtureProgram {
  /** The corpus folder (FIBERS_DIR, PROGRAMS_DIR). */
  dir: string;
  stem: string;
}

export interface ProgramRun {
  outcome: Outcome;
  /** Every activity call, `name(args…)`, in the order made. */
  calls: string[];
}

export interface CompiledRun extends ProgramRun {
  /** Largest encoded state (bytes); undefined when the run threw out before reporting it. */
  maxStateBytes?: number;
}

export function sourceFile(p: FixtureProgram): string {
  return path.join(p.dir, `${p.stem}.ts`);
}

/** The path compile() is given, relative to the repo root: it names the file in errors and closure sites. */
export function relFile(p: FixtureProgram): string {
  return path.relative(ROOT, sourceFile(p)).split(path.sep).join('/');
}

export async function loadProgram(p: FixtureProgram): Promise<FixtureModule> {
  return (await import(/* @vite-ignore */ sourceFile(p))) as FixtureModule;
}

/** The program compiled with reawait/compiler (written under test/.compiled/) and imported. */
export async function compileProgram(p: FixtureProgram): Promise<FixtureModule> {
  return (await compileAndImport(readFileSync(sourceFile(p), 'utf8'), relFile(p))).module as FixtureModule;
}

type WorkflowFn = (...args: never[]) => Promise<unknown>;

/** Every exported function by name: the workflows `startChild('name', …)` may start natively. */
function exportedFunctions(mod: FixtureModule): Record<string, WorkflowFn> {
  return Object.fromEntries(Object.entries(mod).filter((e): e is [string, WorkflowFn] => typeof e[1] === 'function'));
}

/** Reject after `ms` with a message naming the program and the driver. */
export async function withDeadline<T>(run: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([run, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

export const RUN_TIMEOUT_MS = 10_000;

/**
 * `activities` made to finish a few event-loop turns later, the number drawn
 * from `salt` and the call: the same calls complete in another order. A
 * program whose outcome or calls change under it depends on completion order
 * where JavaScript does not fix it (and the runtime may well order them
 * otherwise).
 */
export function reordered(activities: ActivityFns, salt: number): ActivityFns {
  const out: ActivityFns = {};
  for (const [name, fn] of Object.entries(activities)) {
    out[name] = async (...args: unknown[]) => {
      let h = salt * 2654435761;
      for (const ch of `${name}(${args.map((a) => describeValue(a)).join(',')})`) h = Math.imul(h ^ ch.charCodeAt(0), 16777619) >>> 0;
      try {
        return await fn(...args);
      } finally {
        for (let i = h % 6; i > 0; i--) await new Promise<void>((r) => setImmediate(r));
      }
    };
  }
  return out;
}

export interface NativeRunOptions {
  timeoutMs?: number;
  /** Reorder activity completions (see reordered()). */
  salt?: number;
}

/** The reference: the uncompiled program as plain async JavaScript. */
export async function runProgramNatively(p: FixtureProgram, options: NativeRunOptions = {}): Promise<ProgramRun> {
  const { timeoutMs = RUN_TIMEOUT_MS, salt } = options;
  const mod = await loadProgram(p);
  const recorder = new Recorder();
  const outcome = await outcomeOf(async () => {
    const run = runNative(entryOf(mod, p.stem), structuredClone(mod.args ?? []) as never[], {
      activities: recorder.wrap(salt === undefined ? fixtureActivities : reordered(fixtureActivities, salt)),
      signals: mod.signals ?? {},
      workflows: exportedFunctions(mod),
    });
    return (await withDeadline(run, timeoutMs, `native run of ${p.stem}`)).result;
  });
  return { outcome, calls: recorder.calls() };
}

/** The compiled program through runWorkflow, with a JSON round trip of the state at every suspension. */
export async function runProgramCompiled(p: FixtureProgram, timeoutMs = RUN_TIMEOUT_MS): Promise<CompiledRun> {
  const mod = await loadProgram(p);
  const recorder = new Recorder();
  let maxStateBytes: number | undefined;
  const outcome = await outcomeOf(async () => {
    const compiled = await compileProgram(p);
    const run = runWorkflow(entryOf(compiled, p.stem), structuredClone(mod.args ?? []) as never[], {
      activities: recorder.wrap(fixtureActivities),
      signals: mod.signals ?? {},
      roundTrip: true,
    });
    const r = await withDeadline(run, timeoutMs, `compiled run of ${p.stem}`);
    maxStateBytes = r.maxStateBytes;
    return r.result;
  });
  return { outcome, calls: recorder.calls(), ...(maxStateBytes !== undefined ? { maxStateBytes } : {}) };
}

function showOutcome(o: Outcome): string {
  return o.ok ? `returned ${o.value}` : `threw ${o.error}`;
}

function counts(calls: string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const c of calls) m.set(c, (m.get(c) ?? 0) + 1);
  return m;
}

/**
 * How two call lists differ as multisets, one line per differing call:
 * `- add(1, 2)  ×1 expected, ×0 actual`. Empty when they hold the same calls
 * the same number of times, whatever the order.
 */
export function callMultisetDiff(expected: string[], actual: string[]): string[] {
  const e = counts(expected);
  const a = counts(actual);
  const lines: string[] = [];
  for (const call of [...new Set([...e.keys(), ...a.keys()])].sort()) {
    const ne = e.get(call) ?? 0;
    const na = a.get(call) ?? 0;
    if (ne !== na) lines.push(`${ne > na ? '-' : '+'} ${call}  ×${ne} expected, ×${na} actual`);
  }
  return lines;
}

/**
 * A readable account of how `actual` departs from `expected` (the native
 * run): the outcomes side by side, then the calls missing (-) or extra (+).
 * Empty when they agree.
 */
export function runDiff(expected: ProgramRun, actual: ProgramRun, labels: [string, string] = ['native', 'compiled']): string {
  const lines: string[] = [];
  if (JSON.stringify(expected.outcome) !== JSON.stringify(actual.outcome)) {
    const w = Math.max(labels[0].length, labels[1].length);
    lines.push('outcome differs:', `  ${labels[0].padEnd(w)}  ${showOutcome(expected.outcome)}`, `  ${labels[1].padEnd(w)}  ${showOutcome(actual.outcome)}`);
  }
  const calls = callMultisetDiff(expected.calls, actual.calls);
  if (calls.length) lines.push(`activity calls differ (- made by ${labels[0]} only, + by ${labels[1]} only):`, ...calls.map((l) => `  ${l}`));
  return lines.join('\n');
}

export interface Comparison {
  native: ProgramRun;
  compiled: CompiledRun;
  /** '' when the compiled run agrees with the native one (and respects maxFiberStateBytes). */
  diff: string;
}

/** Run `p` natively and compiled and compare them. */
export async function compareProgram(p: FixtureProgram): Promise<Comparison> {
  const mod = await loadProgram(p);
  const native = await runProgramNatively(p);
  const compiled = await runProgramCompiled(p);
  const lines = [runDiff(native, compiled)].filter(Boolean);
  const bound = mod.maxFiberStateBytes;
  if (bound !== undefined && compiled.maxStateBytes !== undefined && compiled.maxStateBytes > bound)
    lines.push(`largest state ${compiled.maxStateBytes} B exceeds maxFiberStateBytes = ${bound} B`);
  const diff = lines.length ? `${relFile(p)}:\n${lines.join('\n')}` : '';
  return { native, compiled, diff };
}
