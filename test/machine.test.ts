/**
 * The machine on hand-written step functions (the compiler's output shape):
 * fibers started by workflow calls, what a resume reports for the store to
 * commit, in-memory awaits, errors through fibers, version checks.
 */
import { describe, expect, it } from 'vitest';
import { VersionMismatchError, UnknownWorkflowError } from '../runtime/errors.js';
import { advance, initialState, start, type Advance } from '../runtime/machine.js';
import { isDurablePromise } from '../runtime/promises.js';
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

/** calls leaf (a fiber) then awaits a plain value and an in-memory promise. */
const parent = hand('m_parent', (f, r) => {
  switch (f.pc) {
    case 0: {
      const [n] = value(r) as [number];
      return suspend(f, 1, { n }, leaf(n + 1));
    }
    case 1: {
      const res = value(r) as { doubled: number };
      return suspend(f, 2, { res }, 41); // plain value: continues in the same resume
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

function suspended(a: Advance): Extract<Advance, { kind: 'suspended' }> {
  if (a.kind !== 'suspended') throw new Error(`expected a suspension, got ${a.kind}`);
  return a;
}

describe('advance', () => {
  it('a workflow call runs its first segment at once as a fiber; the resume reports the op it started and the watch', async () => {
    const s = suspended(await start(workflowRecord(parent), [1]));
    expect(s.state.fibers.map((f) => [f.id, f.frame.fn, f.frame.pc])).toEqual([
      [0, 'm_parent', 1],
      [1, 'm_leaf', 1],
    ]);
    // the parent waits on the leaf fiber's promise, the leaf on its call
    expect(s.state.fibers[0]!.w).toBe(s.state.fibers[1]!.p);
    expect(s.state.ops.map((p) => [p.id, p.op])).toEqual([[2, { kind: 'call', name: 'double' }]]);
    expect(s.effects.started).toEqual([{ op: 2, cmd: { kind: 'call', activity: 'double', args: [2], options: {} } }]);
    expect(s.watches).toEqual({ tokens: [[2, '*']], set: [], unset: [], empty: false });
    expect(s.at).toMatchObject({ fn: 'm_leaf', pc: 1, file: 'test/m_leaf.ts', line: 11, depth: 2 });

    const done = await advance(s.state, { settlements: [{ op: 2, ok: true, value: 4 }] });
    expect(done).toMatchObject({ kind: 'completed', value: [{ n: 2, doubled: 4 }, 41, 'mem'] });
    expect(done.effects.consumed).toEqual([2]);
  });

  it('feeds a rejected in-memory await back into the fiber', async () => {
    const w = hand('m_memfail', (f, r) => {
      if (f.pc === 0) return suspend(f, 1, {}, Promise.reject(new RangeError('nope')));
      try {
        value(r);
        return { done: true, value: 'no' };
      } catch (e) {
        return { done: true, value: `caught ${(e as Error).name}` };
      }
    });
    expect(await start(workflowRecord(w), [])).toMatchObject({ kind: 'completed', value: 'caught RangeError' });
  });

  it('a fiber that throws rejects its promise; the caller catches and calls again', async () => {
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
    let s = suspended(await start(workflowRecord(catcher), []));
    expect(s.state.fibers).toHaveLength(2);
    const sleep1 = s.state.ops[0]!.id;
    s = suspended(await advance(s.state, { settlements: [{ op: sleep1, ok: true, value: undefined }] }));
    // the catcher caught the first error and called again: a new thrower fiber waits on a new sleep
    expect(s.state.fibers.map((f) => [f.frame.fn, f.frame.pc])).toEqual([
      ['m_catcher', 2],
      ['m_thrower', 1],
    ]);
    expect(s.state.fibers[0]!.frame.locals).toEqual({ msg: 'inner failed' });
    const end = await advance(s.state, { settlements: [{ op: s.state.ops[0]!.id, ok: true, value: undefined }] });
    expect(end).toMatchObject({ kind: 'failed', error: { message: 'inner failed' } });
  });

  it('feeds an awaited rejection into the fiber as an exception', async () => {
    const s = suspended(await start(workflowRecord(leaf), [3]));
    const end = await advance(s.state, { settlements: [{ op: s.state.ops[0]!.id, ok: false, value: new Error('activity broke') }] });
    expect(end).toMatchObject({ kind: 'failed', error: { message: 'activity broke' } });
  });

  it('a combinator of plain values settles in the same resume; un-awaited calls are started and stay outstanding', async () => {
    const w = hand('m_plaingroup', (f, r) => {
      if (f.pc === 0) {
        acts.double(1); // fire and forget
        const p = group('all', [1, 2, 3]);
        expect(isDurablePromise(p)).toBe(true);
        return suspend(f, 1, {}, p);
      }
      return { done: true, value: value(r) };
    });
    const end = await start(workflowRecord(w), []);
    expect(end).toMatchObject({ kind: 'completed', value: [1, 2, 3] });
    expect(end.effects.started.map((s) => s.cmd)).toEqual([{ kind: 'call', activity: 'double', args: [1], options: {} }]);
    expect(end.kind !== 'suspended' && end.outstanding.map((p) => p.id)).toEqual([1]);
  });

  it('a rejection nobody handles is reported with the entry, the error and where it was made; the result does not change', async () => {
    const w = hand('m_unhandled', (f, r) => {
      if (f.pc === 0) {
        acts.double(1); // never awaited
        return suspend(f, 1, {}, sleep(1));
      }
      if (f.pc === 1) {
        value(r);
        return suspend(f, 2, {}, acts.double(2));
      }
      return { done: true, value: value(r) };
    });
    const s = suspended(await start(workflowRecord(w), []));
    const [call, nap] = s.state.ops.map((p) => p.id) as [number, number];
    const next = suspended(await advance(s.state, { settlements: [{ op: call, ok: false, value: new RangeError('nobody listens') }, { op: nap, ok: true, value: undefined }] }));
    expect(next.effects.unhandled).toEqual([{ id: call, what: "call 'double'", error: new RangeError('nobody listens'), site: 'test/m_unhandled.ts:10' }]);
    const end = await advance(next.state, { settlements: [{ op: next.state.ops[0]!.id, ok: true, value: 4 }] });
    expect(end).toMatchObject({ kind: 'completed', value: 4 });
    expect(end.effects.unhandled).toEqual([]);
  });

  it('settlements that arrived one after another are applied one at a time, each followed by the jobs it causes (as JS runs microtasks after every event)', async () => {
    // Promise.all([Promise.all([ok(), fail('nested first')]), fail('outer later')]) and
    // Promise.all([thrower fiber, fail('outer later')]): the earlier rejection reaches the outer
    // combinator through one more job than the later one; both settlements are read by one resume
    // (a resume that started late: a busy worker, a coalesced batch).
    const fa = proxyActivities<{ ok(): Promise<string>; fail(message: string): Promise<never> }>();
    const rethrows = hand('m_rethrows', (f, r) => {
      if (f.pc === 0) return suspend(f, 1, {}, fa.fail('in a fiber'));
      value(r);
      return { done: true, value: 'unreachable' };
    });
    const nested = hand('m_batchorder', (f, r) => {
      if (f.pc === 0) return suspend(f, 1, {}, group('all', [group('all', [fa.ok(), fa.fail('nested first')]), fa.fail('outer later')]));
      if (f.pc === 1) {
        try {
          value(r);
        } catch (e) {
          return suspend(f, 2, { first: (e as Error).message }, group('all', [rethrows(), fa.fail('outer later')]));
        }
      }
      try {
        value(r);
        return { done: true, value: 'unreachable' };
      } catch (e) {
        return { done: true, value: [f.locals.first, (e as Error).message] };
      }
    });
    const reject = (op: number, message: string) => ({ op, ok: false, value: new Error(message) });
    const s = suspended(await start(workflowRecord(nested), []));
    const [okOp, nestedOp, outerOp] = s.state.ops.map((p) => p.id) as [number, number, number];
    const next = suspended(await advance(s.state, { settlements: [{ op: okOp, ok: true, value: 'ok' }, reject(nestedOp, 'nested first'), reject(outerOp, 'outer later')] }));
    const [inFiberOp, laterOp] = next.state.ops.map((p) => p.id) as [number, number];
    const end = await advance(next.state, { settlements: [reject(inFiberOp, 'in a fiber'), reject(laterOp, 'outer later')] });
    expect(end).toMatchObject({ kind: 'completed', value: ['nested first', 'in a fiber'] });
  });

  it('recursion runs on the JS stack as async functions do', async () => {
    // count(n) = n == 0 ? 0 : 1 + await count(n - 1): each call runs at once, as in JS
    const count: (n: number) => Promise<unknown> = hand('m_count', (f, r) => {
      if (f.pc === 0) {
        const [n] = value(r) as [number];
        if (n === 0) return { done: true, value: 0 };
        return suspend(f, 1, {}, count(n - 1));
      }
      return { done: true, value: (value(r) as number) + 1 };
    });
    expect(await start(workflowRecord(count), [1000])).toMatchObject({ kind: 'completed', value: 1000 });
  });

  it('refuses to resume a state written by other code', async () => {
    const st = initialState(workflowRecord(leaf));
    st.version = 'old';
    await expect(advance(st, { start: [1] })).rejects.toThrow(VersionMismatchError);
    await expect(advance(st, { start: [1] })).rejects.toThrow(/suspended by version old but this process has version v-m_leaf/);
  });

  it('names an unknown workflow', async () => {
    const st = { ...initialState(workflowRecord(leaf)), workflow: 'nope' };
    await expect(advance(st, { start: [] })).rejects.toThrow(UnknownWorkflowError);
    await expect(advance(st, { start: [] }, { checkVersion: false })).rejects.toThrow(/unknown workflow 'nope'/);
  });
});
