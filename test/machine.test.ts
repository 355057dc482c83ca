import { describe, expect, it } from 'vitest';
import { VersionMismatchError, UnknownWorkflowError } from '../runtime/errors.js';
import { advance, initialState, START_INPUT, start } from '../runtime/machine.js';
import { group, proxyActivities, sleep, workflowRecord } from '../runtime/workflow.js';
import { hand as handWorkflow, suspend, value, type Step } from './support/hand-workflow.js';

const hand = <A extends unknown[] = unknown[]>(name: string, step: Step, suspensions = 4) => handWorkflow<A>(name, step, { suspensions });

const acts = proxyActivities<{ double(n: number): Promise<number> }>();

const leaf = hand('m_leaf', (f, r) => {
  switch (f.pc) {
    case 0: {
      const [n] = value(r) as [number];
      return suspend(f, 1, { n }, acts.double(n));
    }
    case 1:
      return { done: true, value: { n: f.locals.n, doubled: value(r) } };
    default:
      throw new Error('bad pc');
  }
});

/** calls leaf (a frame) then adds a plain-value await and an in-memory await. */
const parent = hand('m_parent', (f, r) => {
  switch (f.pc) {
    case 0: {
      const [n] = value(r) as [number];
      return suspend(f, 1, { n }, leaf(n + 1));
    }
    case 1: {
      const res = value(r) as { doubled: number };
      return suspend(f, 2, { res }, 41); // plain value: continues at once
    }
    case 2: {
      const plain = value(r) as number;
      return suspend(f, 3, { res: f.locals.res, plain }, Promise.resolve('mem')); // in memory
    }
    case 3:
      return { done: true, value: [f.locals.res, f.locals.plain, value(r)] };
    default:
      throw new Error('bad pc');
  }
});

describe('advance', () => {
  it('pushes a frame for a workflow call and suspends on its activity call', async () => {
    const s = await start(workflowRecord(parent), [1]);
    expect(s.kind).toBe('suspended');
    if (s.kind !== 'suspended') return;
    expect(s.state.frames.map((f) => [f.fn, f.pc])).toEqual([
      ['m_parent', 1],
      ['m_leaf', 1],
    ]);
    expect(s.state.group).toEqual({ mode: 'single', items: [{ kind: 'call', activity: 'double', args: [2], options: {} }] });
    expect(s.at).toMatchObject({ fn: 'm_leaf', pc: 1, file: 'test/m_leaf.ts', line: 11, depth: 2, version: 'v-m_leaf' });
    // the group is plain data: no brand, no then
    expect(Object.getOwnPropertySymbols(s.state.group.items[0]!)).toEqual([]);
    expect('then' in s.state.group.items[0]!).toBe(false);

    const done = await advance(s.state, { ok: true, value: 4 });
    expect(done).toEqual({ kind: 'completed', value: [{ n: 2, doubled: 4 }, 41, 'mem'] });
  });

  it('feeds a rejected in-memory await back into the frame', async () => {
    const w = hand('m_memfail', (f, r) => {
      if (f.pc === 0) return suspend(f, 1, {}, Promise.reject(new RangeError('nope')));
      try {
        value(r);
        return { done: true, value: 'no' };
      } catch (e) {
        return { done: true, value: `caught ${(e as Error).name}` };
      }
    });
    expect(await start(workflowRecord(w), [])).toEqual({ kind: 'completed', value: 'caught RangeError' });
  });

  it('throws through frames: a thrown step pops its frame and the caller can catch', async () => {
    const thrower = hand('m_thrower', (f, r) => {
      if (f.pc === 0) return suspend(f, 1, {}, sleep(5));
      value(r);
      throw new TypeError('inner failed');
    });
    const catcher = hand('m_catcher', (f, r) => {
      switch (f.pc) {
        case 0:
          return suspend(f, 1, {}, thrower());
        case 1:
          try {
            value(r);
            return { done: true, value: 'unreachable' };
          } catch (e) {
            return suspend(f, 2, { msg: (e as Error).message }, thrower());
          }
        default:
          value(r);
          return { done: true, value: 'unreachable' };
      }
    });
    let s = await start(workflowRecord(catcher), []);
    expect(s.kind === 'suspended' && s.state.frames.length).toBe(2);
    if (s.kind !== 'suspended') return;
    s = await advance(s.state, { ok: true, value: undefined });
    // the catcher caught the first error and called again: suspended in a new thrower frame
    expect(s.kind === 'suspended' && s.state.frames.map((f) => f.pc)).toEqual([2, 1]);
    if (s.kind !== 'suspended') return;
    expect(s.state.frames[0]!.locals).toEqual({ msg: 'inner failed' });
    const end = await advance(s.state, { ok: true, value: undefined });
    expect(end.kind).toBe('failed');
    expect(end.kind === 'failed' && (end.error as Error).message).toBe('inner failed');
  });

  it('feeds an awaited rejection into the frame as an exception', async () => {
    const s = await start(workflowRecord(leaf), [3]);
    if (s.kind !== 'suspended') throw new Error('expected suspension');
    const end = await advance(s.state, { ok: false, error: new Error('activity broke') });
    expect(end).toMatchObject({ kind: 'failed', error: { message: 'activity broke' } });
  });

  it('settles a group of plain values at once, without suspending', async () => {
    const w = hand('m_plaingroup', (f, r) => {
      if (f.pc === 0) return suspend(f, 1, {}, group('all', [1, 2, 3]));
      return { done: true, value: value(r) };
    });
    expect(await start(workflowRecord(w), [])).toEqual({ kind: 'completed', value: [1, 2, 3] });
  });

  it('recurses deeply without growing the JS stack', async () => {
    // count(n) = n == 0 ? 0 : 1 + await count(n - 1)
    const count: (n: number) => Promise<unknown> = hand('m_count', (f, r) => {
      if (f.pc === 0) {
        const [n] = value(r) as [number];
        if (n === 0) return { done: true, value: 0 };
        return suspend(f, 1, {}, count(n - 1));
      }
      return { done: true, value: (value(r) as number) + 1 };
    });
    expect(await start(workflowRecord(count), [50_000])).toEqual({ kind: 'completed', value: 50_000 });
  });

  it('refuses to resume a state written by other code', async () => {
    const st = initialState(workflowRecord(leaf));
    st.version = 'old';
    await expect(advance(st, START_INPUT([1]))).rejects.toThrow(VersionMismatchError);
    await expect(advance(st, START_INPUT([1]))).rejects.toThrow(/suspended by version old but this process has version v-m_leaf/);
  });

  it('names an unknown workflow', async () => {
    const st = { workflow: 'nope', version: 'x', frames: [{ fn: 'nope', pc: 0, locals: {} }] };
    await expect(advance(st, START_INPUT([]))).rejects.toThrow(UnknownWorkflowError);
    await expect(advance(st, START_INPUT([]), { checkVersion: false })).rejects.toThrow(/unknown workflow 'nope'/);
  });
});
