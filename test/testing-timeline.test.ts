/**
 * runWorkflow's timeline and virtual clock: signals delivered at virtual
 * times (buffered until waited for, as the stores do), a cancel at a
 * virtual time, `Date.now()`/`new Date()` reading the virtual clock inside
 * the workflow, and a signal wait that loses a race is not an error.
 */
import { describe, expect, it } from 'vitest';
import { runNative, runWorkflow } from '../runtime/testing.js';
import { CancelledError, signal, sleep } from '../runtime/workflow.js';
import { compileAndImport } from './support/compile-fixture.js';

const RealDate = Date;
const H = 3_600_000;
const START = Date.UTC(2026, 0, 1);

const SOURCE = `import { signal, sleep } from 'reawait/workflow';

export async function approvals() {
  'use workflow';
  const t0 = Date.now();
  const first = await signal<string>('approve');
  const t1 = Date.now() - t0;
  const note = await signal<string>('note');
  const late = await signal<string>('approve', { timeout: '1h' });
  const t2 = Date.now() - t0;
  const second = await signal<string>('approve');
  return { first, t1, note, late, t2, second, t3: Date.now() - t0, at: new Date().toISOString() };
}

export async function cancellable() {
  'use workflow';
  const t0 = Date.now();
  try {
    await sleep('1 day');
    return 'slept';
  } catch (e) {
    return \`\${(e as Error).name}: \${(e as Error).message} after \${(Date.now() - t0) / 3600000}h\`;
  }
}

export async function uncaught() {
  'use workflow';
  await signal('never');
  return 'done';
}

export async function raced() {
  'use workflow';
  const r = await Promise.race([signal<string>('approve'), sleep('1h')]);
  return r === undefined ? 'timer' : r;
}

export async function stuck() {
  'use workflow';
  await sleep('1h');
  return await signal<string>('approve');
}
`;

const load = async () => (await compileAndImport(SOURCE, 'test/timeline/workflows.ts')).module as Record<string, () => Promise<unknown>>;

describe('runWorkflow timeline', () => {
  it('delivers signals at their virtual times; one sent before the wait is buffered; a timeout passes first; Date reads the virtual clock', async () => {
    const { approvals } = await load();
    const r = await runWorkflow(approvals!, [], {
      activities: {},
      startTime: START,
      timeline: [
        { at: '2h', signal: 'approve', payload: 'first' },
        { at: '30m', signal: 'note', payload: 'early' },
        { at: '5h', signal: 'approve', payload: 'second' },
      ],
    });
    expect(r.result).toEqual({ first: 'first', t1: 2 * H, note: 'early', late: undefined, t2: 3 * H, second: 'second', t3: 5 * H, at: '2026-01-01T05:00:00.000Z' });
    expect(r.virtualMs).toBe(5 * H);
  }, 120_000);

  it('a cancel at a virtual time rejects the current await with CancelledError(reason); the workflow may handle it', async () => {
    const { cancellable, uncaught } = await load();
    const r = await runWorkflow(cancellable!, [], { activities: {}, timeline: [{ at: '3h', cancel: 'customer left' }] });
    expect(r.result).toBe('CancelledError: customer left after 3h');
    const u = runWorkflow(uncaught!, [], { activities: {}, timeline: [{ at: '10m', cancel: 'stop' }] });
    await expect(u).rejects.toBeInstanceOf(CancelledError);
    await expect(u).rejects.toThrow('stop');
  }, 120_000);

  it('a signal wait that loses a race is not an error; one that can never be served still fails, naming it', async () => {
    const { raced, stuck } = await load();
    expect((await runWorkflow(raced!, [], { activities: {} })).result).toBe('timer');
    expect((await runWorkflow(raced!, [], { activities: {}, timeline: [{ at: '10m', signal: 'approve', payload: 'yes' }] })).result).toBe('yes');
    await expect(runWorkflow(stuck!, [], { activities: {} })).rejects.toThrow(
      "workflow waits for signal 'approve' which runWorkflow was not given (no signals were given); pass it in options.signals or options.timeline, or give the signal a timeout",
    );
  }, 120_000);

  it('runNative reads the same virtual clock and timeline signals; a cancel is runWorkflow only', async () => {
    const native = async () => {
      const t0 = Date.now();
      const got = await signal<string>('go');
      await sleep('1h');
      return { t0, got, after: Date.now() - t0 };
    };
    const r = await runNative(native, [], { activities: {}, startTime: new Date(START), timeline: [{ at: '2h', signal: 'go', payload: 'now' }] });
    expect(r.result).toEqual({ t0: START, got: 'now', after: 3 * H });
    expect(globalThis.Date).toBe(RealDate); // the real clock is back after the run
    await expect(runNative(async () => sleep('1 day'), [], { activities: {}, timeline: [{ at: '1h', cancel: 'x' }] })).rejects.toThrow(
      'options.timeline: a cancel is delivered by runWorkflow only',
    );
  }, 120_000);
});
