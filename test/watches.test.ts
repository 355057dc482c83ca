/**
 * Watches: what the store is told about when to wake an execution, computed
 * from the machine's state, and the JS side of the store's rule (WatchTable).
 */
import { describe, expect, it } from 'vitest';
import { advance, start, type Advance, type MachineState } from '../runtime/machine.js';
import { readyRule } from '../runtime/ready-rules.js';
import { planWatches, WatchTable } from '../runtime/watches.js';
import { group, proxyActivities, workflowRecord } from '../runtime/workflow.js';
import { hand, suspend, value } from './support/hand-workflow.js';

const acts = proxyActivities<{ f(n: number): Promise<number> }>();

function suspended(a: Advance): Extract<Advance, { kind: 'suspended' }> {
  if (a.kind !== 'suspended') throw new Error(`expected a suspension, got ${a.kind}`);
  return a;
}

/** A workflow whose first segment awaits what `make` builds, then returns the awaited value. */
function awaiting(name: string, make: () => unknown) {
  return hand(name, (f, r) => (f.pc === 0 ? suspend(f, 1, {}, make()) : { done: true, value: value(r) }));
}

describe('planWatches', () => {
  it("an awaited op fires alone ('*'); an op nobody awaits has no token", async () => {
    const w = awaiting('w_single', () => {
      acts.f(0); // fire and forget
      return acts.f(1);
    });
    const s = suspended(await start(workflowRecord(w), []));
    expect(s.watches).toEqual({ tokens: [[2, '*']], set: [], unset: [], empty: false });
  });

  it('a combinator over ops and plain values is one exact watch with the values counted as fulfilled', async () => {
    const w = awaiting('w_all', () => group('all', [acts.f(1), 7, acts.f(2)]));
    const s = suspended(await start(workflowRecord(w), []));
    const key = s.watches.set[0]!.key;
    expect(s.watches.set).toEqual([{ key, mode: 'all', n: 3, f: 1, r: 0, ops: [1, 2] }]);
    expect(s.watches.tokens).toEqual([
      [1, key],
      [2, key],
    ]);
  });

  it('nested combinators get a race over every op that can settle them', async () => {
    const w = awaiting('w_nested', () => group('race', [group('all', [acts.f(1), acts.f(2)]), acts.f(3)]));
    const s = suspended(await start(workflowRecord(w), []));
    expect(s.watches.set).toEqual([{ key: expect.any(String), mode: 'race', n: 3, f: 0, r: 0, ops: [1, 2, 4] }]); // entry 3 is the inner Promise.all
  });

  it('sends only what changed since the last commit', async () => {
    const w = awaiting('w_diff', () => group('all', [acts.f(1), acts.f(2)]));
    const s = suspended(await start(workflowRecord(w), []));
    const again = planWatches(s.state as MachineState);
    expect(again).toEqual({ tokens: [], set: [], unset: [], empty: false });
    // one item settled: the counters change, the tokens of the other stay
    const next = suspended(await advance(s.state, { settlements: [{ op: 1, ok: true, value: 1 }] }));
    expect(next.watches.tokens).toEqual([]);
    expect(next.watches.set).toEqual([{ key: s.watches.set[0]!.key, mode: 'all', n: 2, f: 1, r: 0, ops: [2] }]);
  });

  it('the store rule over counts (WatchTable, the Lua scripts) fires exactly when JavaScript settles the combinator', async () => {
    for (const mode of ['all', 'allSettled', 'race', 'any'] as const) {
      const w = awaiting(`w_rule_${mode}`, () => group(mode, [acts.f(0), acts.f(1), acts.f(2)]));
      for (const order of [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]]) {
        for (let pattern = 0; pattern < 8; pattern++) {
          const first = suspended(await start(workflowRecord(w), []));
          const ops = first.state.ops.map((p) => p.id);
          const table = new WatchTable();
          expect(table.apply(first.watches, new Map())).toBe(false);
          let fired = false;
          const given: { op: number; ok: boolean; value: unknown }[] = [];
          for (const i of order) {
            const ok = ((pattern >> i) & 1) === 1;
            given.push({ op: ops[i]!, ok, value: i });
            fired = table.settle(ops[i]!, ok) || fired;
            const f = given.filter((g) => g.ok).length;
            expect(fired, `${mode} ${order} ${pattern}`).toBe(readyRule(mode)({ n: 3, fulfilled: f, rejected: given.length - f }));
            const { state } = suspended(await start(workflowRecord(w), []));
            const next = await advance(state, { settlements: given });
            expect(next.kind !== 'suspended', `${mode} ${order} ${pattern}: JS settles iff the rule fires`).toBe(fired);
            if (fired) break;
          }
        }
      }
    }
  });

  it('WatchTable counts settlements a commit did not consume towards its new watches', async () => {
    const w = awaiting('w_table', () => group('all', [acts.f(1), acts.f(2)]));
    const s = suspended(await start(workflowRecord(w), []));
    const table = new WatchTable();
    expect(table.apply(s.watches, new Map([[1, true]]))).toBe(false);
    expect(table.settle(2, true)).toBe(true);
    const t2 = new WatchTable();
    expect(t2.apply(s.watches, new Map([[1, true], [2, true]]))).toBe(true);
  });
});
