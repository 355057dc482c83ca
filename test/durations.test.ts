/**
 * Durations as people write them, with one parser: the runtime takes them in
 * sleep(), signal timeouts and activity options; a literal the parser
 * refuses is a compile error at its line; the Duration type takes the same
 * forms (the @ts-expect-error lines are checked by `npm run typecheck`).
 * Unknown activity options are a type error and a run-time error naming
 * the option.
 */
import { describe, expect, it } from 'vitest';
import { compile, CompileError } from '../compiler/index.js';
import { parseDuration, type Duration } from '../runtime/duration.js';
import { runWorkflow } from '../runtime/testing.js';
import { isCommand, proxyActivities, signal, sleep, type ActivityOptions } from '../runtime/workflow.js';
import { compileAndImport } from './support/compile-fixture.js';

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

describe('parseDuration', () => {
  it.each([
    [500, 500],
    ['500', 500],
    ['500ms', 500],
    ['10s', 10 * S],
    ['1.5h', 1.5 * H],
    ['1 minute', M],
    ['5 minutes', 5 * M],
    ['1 day', D],
    ['30 days', 30 * D],
    ['2 weeks', 14 * D],
    ['2h30m', 2 * H + 30 * M],
    ['1d2h3m4s5ms', D + 2 * H + 3 * M + 4 * S + 5],
    ['1 hour 30 minutes', H + 30 * M],
    ['1 hour, 30 mins' as Duration, H + 30 * M],
    [' 10 Seconds ', 10 * S],
    [0, 0],
  ] as [Duration, number][])('%j is %d ms', (d, ms) => {
    expect(parseDuration(d)).toBe(ms);
  });

  it('names what is wrong', () => {
    expect(() => parseDuration('1 fortnight' as Duration)).toThrow(/invalid duration '1 fortnight': unknown unit 'fortnight'; units are ms, s, m, h, d, w/);
    expect(() => parseDuration('1 month' as Duration)).toThrow(/unknown unit 'month' \(months and years vary in length: write days\)/);
    expect(() => parseDuration('soon' as Duration)).toThrow(/invalid duration 'soon': cannot read 'soon'; expected e\.g\. 500/);
    expect(() => parseDuration('' as Duration)).toThrow(/invalid duration ''/);
    expect(() => parseDuration('-5s' as Duration)).toThrow(/cannot be negative/);
    expect(() => parseDuration('5s later' as Duration)).toThrow(/cannot read 'later'/);
    expect(() => parseDuration(-1)).toThrow(/non-negative number of milliseconds/);
    expect(() => parseDuration(Number.NaN)).toThrow(/invalid duration NaN/);
  }, 120_000);

  it('the Duration type takes the written forms and refuses the others', () => {
    const ok: Duration[] = ['1 day', '30 days', '1 minute', '2h30m', '500ms', 1500, '1 hour 30 minutes', '1.5h'];
    // @ts-expect-error an unknown unit
    const fortnight: Duration = '1 fortnight';
    // @ts-expect-error not a duration
    const soon: Duration = 'soon';
    // @ts-expect-error months vary in length
    const month: Duration = '1 month';
    expect(ok.map((d) => parseDuration(d))).toEqual([D, 30 * D, M, 2 * H + 30 * M, 500, 1500, H + 30 * M, 1.5 * H]);
    for (const bad of [fortnight, soon, month]) expect(() => parseDuration(bad)).toThrow(TypeError);
  }, 120_000);
});

describe('durations in the workflow API', () => {
  it('sleep and signal timeouts take the written forms', () => {
    const s = sleep('30 days') as unknown;
    expect(isCommand(s) && s.kind === 'sleep' && s.ms).toBe(30 * D);
    const g = signal('approve', { timeout: '1 minute' }) as unknown;
    expect(isCommand(g) && g.kind === 'signal' && g.timeoutMs).toBe(M);
    expect(() => sleep('1 fortnight' as Duration)).toThrow(/unknown unit 'fortnight'/);
  }, 120_000);

  it("activity options take durations and resolve them to ms in the call's command", () => {
    const { f } = proxyActivities<{ f(): Promise<void> }>({ retries: 2, timeout: '5 minutes', backoff: { type: 'fixed', delay: '2s' } });
    const call = f() as unknown;
    expect(isCommand(call) && call.kind === 'call' && call.options).toEqual({ retries: 2, timeout: 5 * M, backoff: { type: 'fixed', delay: 2 * S } });
    expect(() => proxyActivities({ timeout: '5 lightyears' as Duration })).toThrow("proxyActivities: timeout: invalid duration '5 lightyears': unknown unit 'lightyears'");
    expect(() => proxyActivities({ timeout: 0 })).toThrow('proxyActivities: timeout must be more than 0, got 0');
  }, 120_000);

  it('an unknown activity option is a type error and a run-time error naming it (with what it is called here)', () => {
    // @ts-expect-error Temporal's name for the per-attempt timeout
    expect(() => proxyActivities({ startToCloseTimeout: '1 minute' })).toThrow(
      "proxyActivities: unknown option 'startToCloseTimeout' (reawait calls it timeout); the options are retries, backoff, timeout, nonRetryable",
    );
    const fromConfig = JSON.parse('{"retires": 3}') as ActivityOptions; // not a literal: only the run-time check sees it
    expect(() => proxyActivities(fromConfig)).toThrow("proxyActivities: unknown option 'retires'; the options are retries, backoff, timeout, nonRetryable");
  }, 120_000);

  it("a compiled workflow's sleep('1 day') takes one virtual day", async () => {
    const { module } = await compileAndImport(
      `import { sleep, signal } from 'reawait/workflow';
export async function waitsADay() {
  'use workflow';
  await sleep('1 day');
  const late = await signal('never', { timeout: '2h30m' });
  return late === undefined ? 'timed out' : 'signalled';
}
`,
      'test/durations/waits-a-day.ts',
    );
    const r = await runWorkflow(module.waitsADay as () => Promise<string>, [], { activities: {} });
    expect(r.result).toBe('timed out');
    expect(r.virtualMs).toBe(D + 2 * H + 30 * M);
  }, 120_000);
});

describe('a literal duration that cannot parse is a compile error at its line', () => {
  const errors = (source: string) => {
    try {
      compile(source, { filename: 'src/wf.ts' });
    } catch (e) {
      expect(e).toBeInstanceOf(CompileError);
      return (e as CompileError).errors.map((x) => `${x.line}:${x.column}: ${x.message}`);
    }
    return [];
  };

  it('in sleep(), a signal timeout and activity options, through named and namespace imports', () => {
    const source = `import { proxyActivities, sleep as nap, signal } from 'reawait/workflow';
import * as rw from 'reawait/workflow';
const { f } = proxyActivities<{ f(): Promise<void> }>({ timeout: '5 mins!', backoff: { type: 'fixed', delay: '1 month' } });
export async function wf(ms: number) {
  'use workflow';
  await nap('1 fortnight');
  await signal('go', { timeout: 'soon' });
  await rw.sleep(\`-1s\`);
  await nap(ms);
  await nap('1 day');
  await f();
}
`;
    expect(errors(source)).toEqual([
      "3:66: proxyActivities timeout: invalid duration '5 mins!': cannot read '!'; expected e.g. 500 (ms), '500ms', '10s', '1 minute', '30 days', '2h30m'",
      "3:110: proxyActivities backoff.delay: invalid duration '1 month': unknown unit 'month' (months and years vary in length: write days)",
      "6:13: sleep(…): invalid duration '1 fortnight': unknown unit 'fortnight'; units are ms, s, m, h, d, w (or their names: seconds, minutes, hours, days, weeks)",
      "7:33: signal(…) timeout: invalid duration 'soon': cannot read 'soon'; expected e.g. 500 (ms), '500ms', '10s', '1 minute', '30 days', '2h30m'",
      "8:18: sleep(…): invalid duration '-1s': a duration cannot be negative",
    ]);
  }, 120_000);

  it('the code frame points at the literal', () => {
    try {
      compile(`import { sleep } from 'reawait/workflow';\nexport async function wf() {\n  'use workflow';\n  await sleep('3 fortnights');\n}\n`, { filename: 'src/wf.ts' });
      expect.unreachable();
    } catch (e) {
      expect((e as Error).message).toContain("src/wf.ts:4:15: sleep(…): invalid duration '3 fortnights'");
      expect((e as Error).message).toMatch(/> 4 \|   await sleep\('3 fortnights'\);\n\s+\| {15}\^/);
    }
  }, 120_000);

  it('a function of the same name not imported from reawait/workflow is left alone', () => {
    expect(errors(`const sleep = (x: string) => Promise.resolve(x);\nexport async function wf() {\n  'use workflow';\n  await sleep('whenever');\n}\n`)).toEqual([]);
  }, 120_000);
});
