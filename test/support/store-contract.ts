/**
 * The behaviour every Store keeps (runtime/store.ts), as one suite each
 * backend's test file runs on its own store: revision guards, outstanding
 * ops and their settlements, watches (exactly-once ready), buffered signals,
 * the outbox, detached ops after the end, listing.
 */
import { describe, expect, it } from 'vitest';
import { encodeValue } from '../../runtime/codec.js';
import type { BeginStep, Ending, ExecutionRecord, Store, Suspension } from '../../runtime/store.js';
import type { WatchDef } from '../../runtime/watches.js';

export const ev = (type: string) => ({ t: Date.now(), type });
export const AT = { fn: 'wf', version: 'v1', pc: 1, file: 'wf.ts', line: 3, column: 2, depth: 1 };
export const STATE = '{"v":2,"workflow":"wf","version":"v1","fibers":[{"pc":1}],"data":[[1],{}]}';

export interface Step {
  started?: { op: number; signal?: string }[];
  consumed?: number[];
  dropped?: number[];
  tokens?: [number, string][];
  set?: WatchDef[];
  unset?: string[];
  outbox?: string;
  lone?: number;
  state?: string;
  workflow?: string;
}

export function suspension(s: Step = {}): Suspension {
  return {
    workflow: s.workflow ?? 'wf',
    state: s.state ?? STATE,
    version: 'v1',
    at: AT,
    started: s.started ?? [],
    consumed: s.consumed ?? [],
    dropped: s.dropped ?? [],
    outbox: s.outbox ?? '',
    ...(s.lone !== undefined ? { lone: s.lone } : {}),
    watches: { tokens: s.tokens ?? [], set: s.set ?? [], unset: s.unset ?? [], empty: false },
    cancelDelivered: false,
  };
}

export function ending(e: Partial<Ending> = {}): Ending {
  return { status: 'completed', payload: encodeValue(1), cancelDelivered: false, started: [], consumed: [], dropped: [], detached: [], outbox: '', ...e };
}

/** A multi-op watch over `ops` with `f`/`r` items settled before the commit. */
export const watch = (key: string, ops: number[], mode: WatchDef['mode'] = 'all', f = 0, r = 0, total = ops.length + f + r): WatchDef => ({ key, mode, n: total, f, r, ops });
export const ops = (...list: number[]) => list.map((op) => ({ op }));

/** A minimal outbox text (the store keeps it opaque, except the embedded one, which reads its jobs). */
export const outboxOf = (...activityOps: number[]): string =>
  JSON.stringify({ activities: activityOps.map((op) => ({ executionId: 'x', op, activity: 'a', args: encodeValue([]), options: {} })), timers: [], children: [] });

/** settleAndLoad's begin of a worker that runs only `workflow` at `version`: the predicate and the same as data (runs). */
export const beginFor = (workflow: string, version: string): BeginStep =>
  Object.assign((rec: ExecutionRecord) => rec.workflow === workflow && rec.version === version, { runs: new Map([[workflow, version]]) });

export function storeContract(name: string, getStore: () => Store): void {
  let n = 0;
  /** A new execution committed at rev 0 → 1 with the given step. */
  async function waiting(step: Step): Promise<string> {
    const store = getStore();
    const id = `${name.toLowerCase()}-c${++n}`;
    await store.create({ id, workflow: 'wf', version: 'v1', args: encodeValue([]) });
    expect(await store.commitSuspension(id, 0, suspension(step), ev('suspended'))).toBe('waiting');
    return id;
  }

  describe(`${name}: the Store contract`, () => {
    it('creates idempotently by id', async () => {
      const store = getStore();
      const id = `${name.toLowerCase()}-same`;
      const a = await store.create({ id, workflow: 'wf', version: 'v1', args: encodeValue([1]) });
      const b = await store.create({ id, workflow: 'other', version: 'v2', args: encodeValue([2]) });
      expect(a.created).toBe(true);
      expect(b.created).toBe(false);
      expect(b.record).toMatchObject({ workflow: 'wf', status: 'ready', rev: 0, args: encodeValue([1]), progress: { started: 0, settled: 0 } });
    });

    it('an op watched alone makes the execution ready on its settlement, once; settleAndLoad returns what the resume reads', async () => {
      const store = getStore();
      const id = await waiting({ started: ops(1, 2), tokens: [[1, '*']] });
      expect(await store.load(id)).toMatchObject({ status: 'waiting', rev: 1, state: STATE, at: AT, progress: { started: 2, settled: 0 } });
      expect(await store.settle(id, 9, true, encodeValue(0), ev('c'))).toBe('stale'); // not an outstanding op
      expect(await store.settle(id, 2, true, encodeValue('b'), ev('c'))).toBe('recorded'); // nobody waits on op 2
      const r = await store.settleAndLoad(id, 1, false, encodeValue(new Error('x')), ev('c'));
      expect(r.outcome).toBe('ready');
      expect(r.loaded).toEqual(await store.loadForStep(id));
      expect(r.loaded!.record).toMatchObject({ id, status: 'ready', rev: 1, progress: { started: 2, settled: 2 } });
      expect(r.loaded!.settlements.map((x) => [x.op, x.ok])).toEqual([
        [2, true],
        [1, false],
      ]);
      expect(await store.settle(id, 1, true, encodeValue('late'), ev('c'))).toBe('duplicate');
      expect((await store.pending()).ready).toContain(id);
    });

    it('a multi-op watch is ready exactly once, on the settlement that completes its rule; concurrent settlements agree', async () => {
      const store = getStore();
      const id = await waiting({ started: ops(1, 2, 3), tokens: [[1, 'w9'], [2, 'w9'], [3, 'w9']], set: [watch('w9', [1, 2, 3])] });
      expect(await store.settle(id, 1, true, encodeValue('a'), ev('c'))).toBe('recorded');
      expect(await store.settle(id, 1, true, encodeValue('a'), ev('c'))).toBe('duplicate');
      expect(await store.settle(id, 3, true, encodeValue('c'), ev('c'))).toBe('recorded');
      const outcomes = await Promise.all([1, 1, 1].map(() => store.settle(id, 2, true, encodeValue('b'), ev('c'))));
      expect(outcomes.sort()).toEqual(['duplicate', 'duplicate', 'ready']);
      expect((await store.loadForStep(id))!.settlements.map((s) => s.op)).toEqual([1, 3, 2]);
      // a second commit of the same rev loses
      expect(await store.commitEnd(id, 1, ending({ consumed: [1, 2, 3] }), ev('completed'))).toBe(true);
      expect(await store.commitEnd(id, 1, ending({ payload: encodeValue(2) }), ev('completed'))).toBe(false);
      expect(await store.commitSuspension(id, 1, suspension(), ev('s'))).toBe('stale');
      expect((await store.load(id))!.result).toBe(encodeValue(1));
    });

    it('applies race/any/allSettled/all rules by counts, with items settled before the commit counted', async () => {
      const store = getStore();
      const race = await waiting({ started: ops(1, 2), tokens: [[1, 'w'], [2, 'w']], set: [watch('w', [1, 2], 'race')] });
      expect(await store.settle(race, 2, false, encodeValue('e'), ev('c'))).toBe('ready');
      const any = await waiting({ started: ops(1, 2), tokens: [[1, 'w'], [2, 'w']], set: [watch('w', [1, 2], 'any')] });
      expect(await store.settle(any, 1, false, encodeValue('e'), ev('c'))).toBe('recorded');
      expect(await store.settle(any, 2, false, encodeValue('e'), ev('c'))).toBe('ready');
      const first = await waiting({ started: ops(1, 2), tokens: [[1, 'w'], [2, 'w']], set: [watch('w', [1, 2], 'all', 3)] });
      expect(await store.settle(first, 2, false, encodeValue('e'), ev('c'))).toBe('ready'); // all: the first rejection
      const settled = await waiting({ started: ops(1), tokens: [[1, 'w']], set: [watch('w', [1], 'allSettled', 1, 1)] });
      expect(await store.settle(settled, 1, true, encodeValue(1), ev('c'))).toBe('ready');
    });

    it('keeps settlements that arrive while a resume runs; the commit is ready at once if they fire its new watches', async () => {
      const store = getStore();
      const id = await waiting({ started: ops(1, 2, 3), tokens: [[1, '*']] });
      expect(await store.settle(id, 1, true, encodeValue(1), ev('c'))).toBe('ready');
      // the resume has loaded op 1's settlement; meanwhile op 2 settles (nobody waited on it yet)
      expect(await store.settle(id, 2, true, encodeValue(2), ev('c'))).toBe('recorded');
      // the resume consumed op 1 and now waits on op 2: ready at once
      expect(await store.commitSuspension(id, 1, suspension({ consumed: [1], tokens: [[2, '*']] }), ev('s'))).toBe('ready');
      expect((await store.loadForStep(id))!.settlements.map((s) => s.op)).toEqual([2]);
      // a new multi-op watch counts an unconsumed settlement of its members
      expect(await store.commitSuspension(id, 2, suspension({ consumed: [2], started: ops(4), tokens: [[3, 'w'], [4, 'w']], set: [watch('w', [3, 4])] }), ev('s'))).toBe('waiting');
      expect(await store.settle(id, 3, true, encodeValue(3), ev('c'))).toBe('recorded');
      expect(await store.settle(id, 4, true, encodeValue(4), ev('c'))).toBe('ready');
      expect(await store.commitSuspension(id, 3, suspension({ consumed: [3, 4], unset: ['w'] }), ev('s'))).toBe('waiting');
      expect((await store.loadForStep(id))!.settlements).toEqual([]);
      expect(await store.isLive(id, 3)).toBe(false);
    });

    it('writes several history events of one transition in order (resumed + suspended)', async () => {
      const store = getStore();
      const id = await waiting({ started: ops(1), tokens: [[1, '*']] });
      await store.settle(id, 1, true, encodeValue(1), ev('call completed'));
      expect(await store.commitSuspension(id, 1, suspension({ consumed: [1] }), [ev('resumed'), ev('suspended'), ev('dispatched')])).toBe('waiting');
      expect((await store.history(id)).map((e) => e.type).slice(-5)).toEqual(['suspended', 'call completed', 'resumed', 'suspended', 'dispatched']);
    });

    it('buffers signals until a wait of that name, in order; the oldest outstanding wait takes the next one', async () => {
      const store = getStore();
      const id = `${name.toLowerCase()}-sig${++n}`;
      await store.create({ id, workflow: 'wf', version: 'v1', args: encodeValue([]) });
      expect(await store.signal(id, 'go', encodeValue(1), ev('signal'))).toBe('buffered');
      expect(await store.signal(id, 'go', encodeValue(2), ev('signal'))).toBe('buffered');
      expect(await store.commitSuspension(id, 0, suspension({ started: [{ op: 1, signal: 'go' }], tokens: [[1, '*']] }), ev('s'))).toBe('ready');
      expect((await store.loadForStep(id))!.settlements.map((s) => [s.op, s.payload])).toEqual([[1, encodeValue(1)]]);
      expect(await store.commitSuspension(id, 1, suspension({ consumed: [1], started: [{ op: 2, signal: 'go' }, { op: 3, signal: 'go' }], tokens: [[3, '*']] }), ev('s'))).toBe('waiting');
      // op 2 (unwatched) took the buffered 2; op 3 waits
      expect((await store.loadForStep(id))!.settlements.map((s) => [s.op, s.payload])).toEqual([[2, encodeValue(2)]]);
      expect(await store.signal(id, 'go', encodeValue(3), ev('signal'))).toBe('ready');
      expect(await store.signal(id, 'go', encodeValue(4), ev('signal'))).toBe('buffered');
      await expect(store.signal('nobody-here', 'go', encodeValue(0), ev('signal'))).rejects.toThrow(/no execution with id 'nobody-here'/);
    });

    it('cancel makes a waiting execution ready once; its ops stop being live when the end drops them', async () => {
      const store = getStore();
      const id = await waiting({ started: ops(1, 2), tokens: [[1, 'w'], [2, 'w']], set: [watch('w', [1, 2])] });
      expect(await store.isLive(id, 1)).toBe(true);
      expect(await store.requestCancel(id, encodeValue('r'), ev('cancel'))).toBe('ready');
      expect(await store.requestCancel(id, encodeValue('r'), ev('cancel'))).toBe('noop');
      expect((await store.load(id))!.cancel).toEqual({ reason: encodeValue('r'), delivered: false });
      expect(await store.commitEnd(id, 1, ending({ status: 'cancelled', dropped: [1, 2], cancelDelivered: true }), ev('cancelled'))).toBe(true);
      expect(await store.isLive(id, 1)).toBe(false);
      expect(await store.settle(id, 2, true, encodeValue(0), ev('c'))).toBe('stale');
      await expect(store.signal(id, 'go', encodeValue(0), ev('signal'))).rejects.toThrow(/already ended/);
    });

    it('keeps the outbox and its flag until clearDispatch of the same rev', async () => {
      const store = getStore();
      const box = outboxOf(1, 2);
      const id = await waiting({ started: ops(1, 2), outbox: box });
      expect((await store.pending()).dispatch).toContain(id);
      expect(await store.load(id)).toMatchObject({ dispatchPending: 1 });
      expect(await store.outbox(id, 1)).toBe(box);
      expect(await store.outbox(id, 0)).toBeUndefined();
      await store.clearDispatch(id, 0);
      expect((await store.pending()).dispatch).toContain(id);
      await store.clearDispatch(id, 1);
      expect((await store.pending()).dispatch).not.toContain(id);
      expect(await store.outbox(id, 1)).toBeUndefined();
    });

    it("a lone call's delivery (isLive) clears its outbox; a call of a bigger outbox does not", async () => {
      const store = getStore();
      const lone = await waiting({ started: ops(1), tokens: [[1, '*']], outbox: outboxOf(1), lone: 1 });
      const pair = await waiting({ started: ops(1, 2), outbox: outboxOf(1, 2) });
      expect((await store.pending()).dispatch).toEqual(expect.arrayContaining([lone, pair]));
      expect(await store.isLive(lone, 1)).toBe(true);
      expect(await store.isLive(pair, 1)).toBe(true);
      const { dispatch } = await store.pending();
      expect(dispatch).not.toContain(lone);
      expect(dispatch).toContain(pair);
      expect(await store.isLive(lone, 7)).toBe(false); // not an op of it
    });

    it('an end keeps detached ops live (they run even if the workflow ended first); their late settlement only goes to the history', async () => {
      const store = getStore();
      const id = await waiting({ started: ops(1, 2), tokens: [[2, '*']] });
      expect(await store.settle(id, 2, true, encodeValue(2), ev('c'))).toBe('ready');
      const late = outboxOf(3);
      // op 3 is started by the ending step itself
      expect(await store.commitEnd(id, 1, ending({ started: ops(3), consumed: [2], detached: [1, 3], outbox: late }), ev('completed'))).toBe(true);
      expect(await store.isLive(id, 1)).toBe(true);
      expect(await store.isLive(id, 3)).toBe(true);
      expect((await store.load(id))!.progress).toEqual({ started: 3, settled: 1 });
      expect(await store.outbox(id, 2)).toBe(late);
      expect(await store.settle(id, 1, true, encodeValue(1), ev('call completed'))).toBe('stale');
      expect(await store.isLive(id, 1)).toBe(false);
      expect((await store.history(id)).map((e) => e.type).slice(-2)).toEqual(['completed', 'call completed']);
      expect(await store.load(id)).toMatchObject({ status: 'completed', result: encodeValue(1) });
    });

    it('the history cap never trims a final call failed event (it carries the job a retry dispatches again)', async () => {
      const store = getStore();
      const id = await waiting({ started: ops(1), tokens: [[1, '*']] });
      const failed = { t: Date.now(), type: 'call failed', op: 1, activity: 'a', error: 'broken', job: { args: encodeValue([1]), options: {} } };
      await store.appendHistory(id, { t: Date.now(), type: 'call failed', op: 1, activity: 'a', error: 'will retry' });
      await store.appendHistory(id, failed);
      for (let i = 0; i < 300; i++) await store.appendHistory(id, { t: Date.now(), type: `e${i}` });
      const history = await store.history(id);
      expect(history.filter((e) => e.type === 'call failed')).toEqual([failed]);
      expect(history[0]).toEqual(failed); // kept in its place, the oldest
      expect(history.at(-1)!.type).toBe('e299');
      expect(history.some((e) => e.type === 'e0')).toBe(false); // the rest was trimmed
    });

    it('retry: a failed execution keeps its last state and the settlements its failing step consumed, and is ready again at rev + 1', async () => {
      const store = getStore();
      const id = await waiting({ started: ops(1), tokens: [[1, '*']] });
      expect(await store.settle(id, 1, true, encodeValue('r1'), ev('c'))).toBe('ready');
      expect(await store.retry(id, ev('retried'))).toBe('not failed');
      expect(await store.commitEnd(id, 1, ending({ status: 'failed', payload: encodeValue(new Error('bug')), consumed: [1] }), ev('failed'))).toBe(true);
      expect(await store.load(id)).toMatchObject({ status: 'failed', rev: 2, state: STATE, at: AT });
      expect(await store.retry(id, ev('retried'))).toBe(3);
      const loaded = await store.loadForStep(id);
      expect(loaded!.record).toMatchObject({ status: 'ready', rev: 3, state: STATE, at: AT });
      expect(loaded!.record.error).toBeUndefined();
      expect(loaded!.settlements.map((x) => [x.op, x.ok, x.payload])).toEqual([[1, true, encodeValue('r1')]]);
      expect((await store.pending()).ready).toContain(id);
      expect((await store.history(id)).map((e) => e.type).slice(-2)).toEqual(['failed', 'retried']);
      expect(await store.retry('nobody-here', ev('retried'))).toBe('missing');
      // Failed in its first step (no suspension yet): nothing to resume.
      const first = `${name.toLowerCase()}-first`;
      await store.create({ id: first, workflow: 'wf', version: 'v1', args: encodeValue([]) });
      expect(await store.commitEnd(first, 0, ending({ status: 'failed', payload: encodeValue(new Error('early')) }), ev('failed'))).toBe(true);
      expect(await store.retry(first, ev('retried'))).toBe('no state');
    });

    it('retry with redispatch: the rejected settlement of a call is dropped, its op stays outstanding and its next settlement makes the execution ready', async () => {
      const store = getStore();
      const id = await waiting({ started: ops(1, 2), tokens: [[1, '*'], [2, '*']] });
      expect(await store.settle(id, 1, true, encodeValue('r1'), ev('c'))).toBe('ready');
      expect(await store.settle(id, 2, false, encodeValue(new Error('exhausted')), ev('call failed'))).toBe('recorded');
      expect(await store.commitEnd(id, 1, ending({ status: 'failed', payload: encodeValue(new Error('exhausted')), consumed: [1, 2] }), ev('failed'))).toBe(true);
      expect(await store.retry(id, ev('retried'), [2])).toBe(3);
      const loaded = await store.loadForStep(id);
      expect(loaded!.settlements.map((x) => [x.op, x.ok])).toEqual([[1, true]]);
      expect(loaded!.record.progress.started).toBe(3);
      expect(await store.isLive(id, 2)).toBe(true);
      expect(await store.settle(id, 2, true, encodeValue('r2'), ev('call completed'))).toBe('recorded');
      expect((await store.loadForStep(id))!.settlements.map((x) => [x.op, x.ok])).toEqual([[1, true], [2, true]]);
    });

    it('retry: a call still running when its execution failed settles into the kept state, and the retry resumes with it', async () => {
      const store = getStore();
      const id = await waiting({ started: ops(1, 2), tokens: [[1, '*'], [2, '*']] });
      expect(await store.settle(id, 2, false, encodeValue(new Error('exhausted')), ev('call failed'))).toBe('ready');
      expect(await store.commitEnd(id, 1, ending({ status: 'failed', payload: encodeValue(new Error('exhausted')), consumed: [2] }), ev('failed'))).toBe(true);
      // op 1 (say the slow branch of a Promise.all) completes after the failure
      expect(await store.settle(id, 1, true, encodeValue('slow'), ev('call completed'))).toBe('stale');
      expect(await store.retry(id, ev('retried'), [2])).toBe(3);
      const loaded = await store.loadForStep(id);
      expect(loaded!.settlements.map((x) => [x.op, x.ok, x.payload])).toEqual([[1, true, encodeValue('slow')]]);
      expect(await store.isLive(id, 2)).toBe(true);
    });

    it('beginStep counts the tries of a resume from the last saved state: only when ready at that rev; a suspension starts again, a failure and retry do not', async () => {
      const store = getStore();
      const id = `${name.toLowerCase()}-tries`;
      await store.create({ id, workflow: 'wf', version: 'v1', args: encodeValue([]) });
      expect(await store.beginStep(id, 0)).toBe(1);
      expect(await store.beginStep(id, 0)).toBe(2); // the same first step again (its worker died)
      expect(await store.beginStep(id, 1)).toBeUndefined(); // not at that rev
      expect(await store.beginStep('nobody-here', 0)).toBeUndefined();
      expect(await store.commitSuspension(id, 0, suspension({ started: ops(1), tokens: [[1, '*']] }), ev('s'))).toBe('waiting');
      expect(await store.beginStep(id, 1)).toBeUndefined(); // waiting, not ready
      expect(await store.settle(id, 1, true, encodeValue('r1'), ev('c'))).toBe('ready');
      expect(await store.beginStep(id, 1)).toBe(1); // a new saved state: counted from 1
      expect(await store.commitEnd(id, 1, ending({ status: 'failed', payload: encodeValue(new Error('bug')), consumed: [1] }), ev('failed'))).toBe(true);
      expect(await store.beginStep(id, 2)).toBeUndefined(); // ended
      expect(await store.retry(id, ev('retried'))).toBe(3);
      expect(await store.beginStep(id, 3)).toBe(2); // the retry resumes the same saved state again
    });

    it("settleAndLoad with begin counts the resume's try in the settlement only when begin says the caller runs it; a later beginStep counts on", async () => {
      const store = getStore();
      for (const [version, runs] of [['v1', true], ['v2', false]] as const) {
        const id = await waiting({ started: ops(1, 2), tokens: [[1, '*'], [2, '*']] });
        const { outcome, loaded } = await store.settleAndLoad(id, 1, true, encodeValue(1), ev('c'), beginFor('wf', version));
        expect(outcome).toBe('ready');
        expect(loaded?.attempt).toBe(runs ? 1 : undefined);
        // a settlement while it is already ready counts nothing
        expect((await store.settleAndLoad(id, 2, true, encodeValue(2), ev('c'), beginFor('wf', version))).outcome).toBe('recorded');
        // a later try of the same resume (its worker died) counts on from there
        expect(await store.beginStep(id, 1)).toBe(runs ? 2 : 1);
        // a suspension starts the count again
        expect(await store.commitSuspension(id, 1, suspension({ started: ops(3), consumed: [1, 2], tokens: [[3, '*']] }), ev('s'))).toBe('waiting');
        expect((await store.settleAndLoad(id, 3, true, encodeValue(3), ev('c'), beginFor('wf', version))).loaded?.attempt).toBe(runs ? 1 : undefined);
      }
    });

    it('notes a problem at the current rev only, once', async () => {
      const store = getStore();
      const id = await waiting({ started: ops(1), tokens: [[1, '*']] });
      await store.noteProblem(id, 0, 'old', ev('problem'));
      expect((await store.load(id))!.problem).toBeUndefined();
      await store.noteProblem(id, 1, 'no worker has version v1', ev('problem'));
      await store.noteProblem(id, 1, 'no worker has version v1', ev('problem'));
      expect((await store.load(id))!.problem).toBe('no worker has version v1');
      expect((await store.history(id)).filter((e) => e.type === 'problem')).toHaveLength(1);
    });

    it('prune(before) removes executions that ended before it, record and history; live ones and ended children not yet reported stay', async () => {
      const store = getStore();
      const pause = () => new Promise((r) => setTimeout(r, 5));
      await store.prune(Date.now() + 1); // what earlier tests ended
      await pause();
      const ended = async (status: Ending['status'], parent?: { id: string; op: number }): Promise<string> => {
        const id = `${name.toLowerCase()}-p${++n}`;
        await store.create({ id, workflow: 'wf', version: 'v1', args: encodeValue([]), ...(parent ? { parent } : {}) });
        expect(await store.commitEnd(id, 0, ending({ status }), ev(status))).toBe(true);
        return id;
      };
      const old = await ended('completed');
      await pause();
      const mid = Date.now();
      await pause();
      const failed = await ended('failed');
      const cancelled = await ended('cancelled');
      const live = await waiting({ started: ops(1), tokens: [[1, '*']] });
      const parent = await waiting({ started: ops(1), tokens: [[1, '*']] });
      const child = await ended('completed', { id: parent, op: 1 });

      expect(await store.prune(mid)).toBe(1);
      expect(await store.load(old)).toBeUndefined();
      expect(await store.history(old)).toEqual([]);
      expect(await store.load(failed)).toMatchObject({ status: 'failed' });

      expect(await store.prune(Date.now() + 1)).toBe(2);
      for (const id of [failed, cancelled]) expect(await store.load(id)).toBeUndefined();
      const listed = (await store.list({ limit: 1000 })).items.map((e) => e.id);
      for (const id of [old, failed, cancelled]) expect(listed).not.toContain(id);
      expect(listed).toEqual(expect.arrayContaining([live, parent, child]));
      // the child's parent is not told yet: it stays until it is
      expect((await store.pending()).notify).toContain(child);
      await store.clearNotify(child);
      expect(await store.prune(Date.now() + 1)).toBe(1);
      expect(await store.load(child)).toBeUndefined();
      expect(await store.load(live)).toMatchObject({ status: 'waiting' });
      // an id is free again
      expect((await store.create({ id: old, workflow: 'wf', version: 'v1', args: encodeValue([]) })).created).toBe(true);
    });
  });
}
