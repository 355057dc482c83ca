import { describe, expect, it } from 'vitest';
import type { Group, Settlement } from '../runtime/contract.js';
import { classifyAwait, initialSettlements, readyRule, settleGroup } from '../runtime/group.js';
import { call, defineWorkflow, group, proxyActivities, signal, sleep, startChild } from '../runtime/workflow.js';

const acts = proxyActivities<{ f(n: number): Promise<number> }>();
const call3 = (mode: Group['mode']): Group => ({
  mode,
  items: [0, 1, 2].map((n) => ({ kind: 'call' as const, activity: 'f', args: [n], options: {} })),
});
const ok = (index: number, value: unknown): Settlement => ({ index, ok: true, value });
const no = (index: number, error: unknown): Settlement => ({ index, ok: false, error });

describe('classifyAwait', () => {
  it('normalises a single command to a group of one, as plain data', () => {
    for (const [cmd, item] of [
      [acts.f(1), { kind: 'call', activity: 'f', args: [1], options: {} }],
      [sleep('2s'), { kind: 'sleep', ms: 2000 }],
      [signal('go', { timeout: 5 }), { kind: 'signal', name: 'go', timeoutMs: 5 }],
      [startChild('other', [1] as never), { kind: 'child', workflow: 'other', args: [1] }],
    ] as const) {
      const c = classifyAwait(cmd);
      expect(c).toEqual({ kind: 'group', group: { mode: 'single', items: [item] } });
      if (c.kind === 'group') expect(Object.getOwnPropertySymbols(c.group.items[0]!)).toEqual([]);
    }
  });

  it('keeps a group command mode and items, values included', () => {
    expect(classifyAwait(group('any', [acts.f(1), 5]))).toEqual({
      kind: 'group',
      group: { mode: 'any', items: [{ kind: 'call', activity: 'f', args: [1], options: {} }, { kind: 'value', value: 5 }] },
    });
  });

  it('tells frames, foreign thenables and plain values apart', () => {
    const wf = (...args: unknown[]) => call(wf as never, args);
    defineWorkflow(wf as never, { name: 'g_wf', version: '1', file: 'x.ts', params: [], line: 1, column: 0, suspensions: [] }, () => ({ done: true, value: 0 }));
    expect(classifyAwait(wf(1, 2))).toEqual({ kind: 'frame', call: { kind: 'frame', fn: 'g_wf', args: [1, 2] } });
    const p = Promise.resolve(1);
    expect(classifyAwait(p)).toEqual({ kind: 'memory', promise: p });
    const thenable = { then: () => undefined };
    expect(classifyAwait(thenable).kind).toBe('memory');
    expect(classifyAwait(7)).toEqual({ kind: 'value', value: 7 });
    expect(classifyAwait(undefined)).toEqual({ kind: 'value', value: undefined });
  });
});

describe('settleGroup', () => {
  it('single: the one outcome', () => {
    const g: Group = { mode: 'single', items: [{ kind: 'sleep', ms: 1 }] };
    expect(settleGroup(g, [])).toBeUndefined();
    expect(settleGroup(g, [ok(0, undefined)])).toEqual({ ok: true, value: undefined });
    expect(settleGroup(g, [no(0, 'x')])).toEqual({ ok: false, error: 'x' });
  });

  it('all: values in item order whatever the completion order; first rejection in completion order', () => {
    const g = call3('all');
    expect(settleGroup(g, [ok(2, 'c'), ok(0, 'a')])).toBeUndefined();
    expect(settleGroup(g, [ok(2, 'c'), ok(0, 'a'), ok(1, 'b')])).toEqual({ ok: true, value: ['a', 'b', 'c'] });
    expect(settleGroup(g, [ok(0, 'a'), no(2, 'e2')])).toEqual({ ok: false, error: 'e2' });
    expect(settleGroup(g, [no(2, 'e2'), no(0, 'e0')])).toEqual({ ok: false, error: 'e2' });
    expect(settleGroup({ mode: 'all', items: [] }, [])).toEqual({ ok: true, value: [] });
  });

  it('allSettled: every outcome in item order once all settled', () => {
    const g = call3('allSettled');
    expect(settleGroup(g, [no(1, 'e'), ok(0, 'a')])).toBeUndefined();
    expect(settleGroup(g, [no(1, 'e'), ok(2, 'c'), ok(0, 'a')])).toEqual({
      ok: true,
      value: [
        { status: 'fulfilled', value: 'a' },
        { status: 'rejected', reason: 'e' },
        { status: 'fulfilled', value: 'c' },
      ],
    });
  });

  it('race: the first settlement, fulfilled or not', () => {
    const g = call3('race');
    expect(settleGroup(g, [])).toBeUndefined();
    expect(settleGroup(g, [ok(1, 'b'), no(0, 'e')])).toEqual({ ok: true, value: 'b' });
    expect(settleGroup(g, [no(2, 'e'), ok(0, 'a')])).toEqual({ ok: false, error: 'e' });
    expect(settleGroup({ mode: 'race', items: [] }, [])).toBeUndefined(); // like Promise.race([]): never
  });

  it('any: the first fulfilment, or an AggregateError with errors in item order', () => {
    const g = call3('any');
    expect(settleGroup(g, [no(0, 'e0'), no(2, 'e2')])).toBeUndefined();
    expect(settleGroup(g, [no(0, 'e0'), ok(2, 'c'), ok(1, 'b')])).toEqual({ ok: true, value: 'c' });
    const r = settleGroup(g, [no(2, 'e2'), no(0, 'e0'), no(1, 'e1')]);
    expect(r?.ok).toBe(false);
    const err = r && !r.ok ? (r.error as AggregateError) : undefined;
    expect(err).toBeInstanceOf(AggregateError);
    expect(err?.message).toBe('All promises were rejected');
    expect(err?.errors).toEqual(['e0', 'e1', 'e2']);
    const empty = settleGroup({ mode: 'any', items: [] }, []);
    expect(empty?.ok === false && empty.error).toBeInstanceOf(AggregateError);
  });

  it('counts a duplicated settlement once (first wins) and rejects out-of-range slots', () => {
    const g = call3('all');
    expect(settleGroup(g, [ok(0, 'a'), ok(0, 'dup'), ok(1, 'b')])).toBeUndefined();
    expect(settleGroup(g, [ok(0, 'a'), ok(0, 'dup'), ok(1, 'b'), ok(2, 'c')])).toEqual({ ok: true, value: ['a', 'b', 'c'] });
    expect(() => settleGroup(g, [ok(3, 'x')])).toThrow(/slot 3 of a group of 3/);
  });

  it('pre-settles plain-value slots, which win a race against pending commands', () => {
    const g: Group = { mode: 'race', items: [{ kind: 'sleep', ms: 10 }, { kind: 'value', value: 'now' }] };
    const init = initialSettlements(g);
    expect(init).toEqual([{ index: 1, ok: true, value: 'now' }]);
    expect(settleGroup(g, init)).toEqual({ ok: true, value: 'now' });
    const all: Group = { mode: 'all', items: [{ kind: 'value', value: 1 }, { kind: 'sleep', ms: 1 }] };
    expect(settleGroup(all, initialSettlements(all))).toBeUndefined();
    expect(settleGroup(all, [...initialSettlements(all), ok(1, undefined)])).toEqual({ ok: true, value: [1, undefined] });
  });

  it('agrees with readyRule for every mode and every sequence of three outcomes', () => {
    for (const mode of ['all', 'allSettled', 'race', 'any'] as const) {
      const g = call3(mode);
      // every completion order of 3 slots, every ok/fail pattern, every prefix
      for (const order of [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]]) {
        for (let pattern = 0; pattern < 8; pattern++) {
          const seq = order.map((i) => ((pattern >> i) & 1 ? ok(i, i) : no(i, `e${i}`)));
          for (let k = 0; k <= 3; k++) {
            const prefix = seq.slice(0, k);
            const fulfilled = prefix.filter((s) => s.ok).length;
            const ready = readyRule(mode)({ n: 3, fulfilled, rejected: k - fulfilled });
            expect(settleGroup(g, prefix) !== undefined).toBe(ready);
          }
        }
      }
    }
  });
});
