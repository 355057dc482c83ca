/** The Lua transitions of RedisStore: revision guards, exactly-once ready, duplicates, buffering. */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeValue } from '../runtime/codec.js';
import { RedisStore } from '../runtime/redis/redis-store.js';
import type { Suspension } from '../runtime/store.js';
import { startRedis, type RedisServer } from './support/redis-server.js';

let server: RedisServer;
let redis: Redis;
let store: RedisStore;
let n = 0;

beforeAll(async () => {
  server = await startRedis();
  redis = new Redis(server.url);
  store = new RedisStore(redis, { prefix: 'st', historyCap: 5, ownsClient: false });
});
afterAll(async () => {
  redis.disconnect();
  await server.stop();
});

const ev = (type: string) => ({ t: Date.now(), type });
const at = { fn: 'wf', version: 'v1', pc: 1, file: 'wf.ts', line: 3, column: 2, depth: 1 };
function suspension(mode: Suspension['mode'], total: number, extra: Partial<Suspension> = {}): Suspension {
  return { workflow: 'w', state: '{"v":1}', version: 'v1', at, mode, total, settled: [], signals: [], dispatch: true, cancelDelivered: false, ...extra };
}
async function waiting(mode: Suspension['mode'], total: number, extra: Partial<Suspension> = {}): Promise<string> {
  const id = `e${++n}`;
  await store.create({ id, workflow: 'wf', version: 'v1', args: encodeValue([]) });
  expect(await store.commitSuspension(id, 0, suspension(mode, total, extra), ev('suspended'))).toBe(extra.signals?.length ? expect.any(String) : 'waiting');
  return id;
}

describe('RedisStore', () => {
  it('creates idempotently by id, with all keys under the {id} hash tag', async () => {
    const a = await store.create({ id: 'same', workflow: 'wf', version: 'v1', args: encodeValue([1]) });
    const b = await store.create({ id: 'same', workflow: 'other', version: 'v2', args: encodeValue([2]) });
    expect(a.created).toBe(true);
    expect(b.created).toBe(false);
    expect(b.record).toMatchObject({ workflow: 'wf', status: 'ready', rev: 0 });
    expect((await redis.keys('st:{same}:*')).sort()).toEqual(['st:{same}:h', 'st:{same}:v', 'st:{same}:x']);
  });

  it('keeps an idle execution small: the state without the workflow and version x holds, no group defaults in x', async () => {
    const id = `small${++n}`;
    await store.create({ id, workflow: 'wf', version: '', args: encodeValue([]) });
    const state = '{"v":1,"workflow":"wf","version":"v1","frames":[{"pc":1}],"data":[[1],{}]}';
    expect(await store.commitSuspension(id, 0, suspension('single', 1, { workflow: 'wf', state }), ev('suspended'))).toBe('waiting');
    expect(await redis.get(`st:{${id}}:v`)).toBe('{"v":1,"frames":[{"pc":1}],"data":[[1],{}]}');
    expect(Object.keys(await redis.hgetall(`st:{${id}}:x`))).not.toEqual(expect.arrayContaining(['mode']));
    expect(await redis.hmget(`st:{${id}}:x`, 'mode', 'total', 'fulfilled', 'rejected')).toEqual([null, null, null, null]);
    const rec = await store.load(id);
    expect(rec).toMatchObject({ state, version: 'v1', group: { mode: 'single', total: 1, fulfilled: 0, rejected: 0 } });
    expect(await store.isLive(id, 1, 0)).toBe(true);
    const r = await store.settleAndLoad(id, 1, 0, true, encodeValue(7), ev('c'));
    expect(r.outcome).toBe('ready');
    expect(r.loaded!.record).toMatchObject({ state, group: { mode: 'single', total: 1, fulfilled: 1, rejected: 0 } });
    // A state whose header is not the record's is kept whole.
    const id2 = `small${++n}`;
    await store.create({ id: id2, workflow: 'wf', version: 'v1', args: encodeValue([]) });
    const other = '{"v":1,"workflow":"child","version":"v1","frames":[{"pc":1}],"data":[[1],{}]}';
    await store.commitSuspension(id2, 0, suspension('all', 2, { workflow: 'wf', state: other }), ev('suspended'));
    expect(await redis.get(`st:{${id2}}:v`)).toBe(other);
    expect(await store.load(id2)).toMatchObject({ state: other, group: { mode: 'all', total: 2, fulfilled: 0, rejected: 0 } });
  });

  it('says what to do when the `all` index is a sorted set left by an earlier build', async () => {
    const old = new RedisStore(redis, { prefix: 'old', ownsClient: false });
    await redis.zadd('old:all', 1, 'x');
    const err = (await old.create({ id: 'o1', workflow: 'wf', version: '', args: encodeValue([]) }).catch((e: unknown) => e)) as Error;
    expect(err.message).toMatch(/Redis key 'old:all' is not the list of execution ids .* delete that key \(DEL old:all\) or use another prefix/);
    await expect(old.list({})).rejects.toThrow(/Redis key 'old:all'/);
    expect(await redis.keys('old:{o1}:*')).toEqual([]); // nothing half-created
  });

  it('settleAndLoad returns, with the settlement that settles the group, the record and settlements a resume reads', async () => {
    const id = await waiting('all', 2);
    expect(await store.settleAndLoad(id, 1, 1, true, encodeValue('b'), ev('c'))).toEqual({ outcome: 'recorded' });
    const r = await store.settleAndLoad(id, 1, 0, false, encodeValue(new Error('x')), ev('c'));
    expect(r.outcome).toBe('ready');
    expect(r.loaded).toEqual(await store.loadForStep(id));
    expect(r.loaded!.record).toMatchObject({ id, status: 'ready', rev: 1, group: { mode: 'all', total: 2, fulfilled: 1, rejected: 1 } });
    expect(r.loaded!.settlements.map((x) => [x.slot, x.ok])).toEqual([
      [1, true],
      [0, false],
    ]);
    expect(await store.settleAndLoad(id, 1, 0, true, encodeValue('late'), ev('c'))).toEqual({ outcome: 'stale' });
  });

  it('writes several history events of one transition in order (resumed + suspended)', async () => {
    const id = await waiting('single', 1);
    await store.settle(id, 1, 0, true, encodeValue(1), ev('call completed'));
    expect(await store.commitSuspension(id, 1, suspension('single', 1), [ev('resumed'), ev('suspended'), ev('dispatched')])).toBe('waiting');
    expect((await store.history(id)).map((e) => e.type)).toEqual(['suspended', 'call completed', 'resumed', 'suspended', 'dispatched']);
  });

  it('marks an all-group ready exactly once, on its last settlement; duplicates and late ones are no-ops', async () => {
    const id = await waiting('all', 3);
    expect(await store.settle(id, 1, 0, true, encodeValue('a'), ev('c'))).toBe('recorded');
    expect(await store.settle(id, 1, 0, true, encodeValue('a'), ev('c'))).toBe('duplicate');
    expect(await store.settle(id, 1, 2, true, encodeValue('c'), ev('c'))).toBe('recorded');
    expect(await store.settle(id, 0, 1, true, encodeValue('b'), ev('c'))).toBe('stale');
    const outcomes = await Promise.all([1, 1, 1].map(() => store.settle(id, 1, 1, true, encodeValue('b'), ev('c'))));
    expect(outcomes.filter((o) => o === 'ready')).toHaveLength(1);
    const rec = await store.load(id);
    expect(rec).toMatchObject({ status: 'ready', rev: 1, group: { mode: 'all', total: 3, fulfilled: 3, rejected: 0 } });
    expect((await store.settlements(id, 1)).map((s) => s.slot)).toEqual([0, 2, 1]);
    expect(await store.pending()).toMatchObject({ ready: expect.arrayContaining([id]) });
    // a second commit of the same rev loses
    expect(await store.commitEnd(id, 1, { status: 'completed', payload: encodeValue(1), cancelDelivered: false }, ev('completed'))).toBe(true);
    expect(await store.commitEnd(id, 1, { status: 'completed', payload: encodeValue(2), cancelDelivered: false }, ev('completed'))).toBe(false);
    expect((await store.load(id))!.result).toBe(encodeValue(1));
  });

  it('applies race/any/allSettled ready rules by counts', async () => {
    const race = await waiting('race', 3);
    expect(await store.settle(race, 1, 1, false, encodeValue('e'), ev('c'))).toBe('ready');
    const any = await waiting('any', 2);
    expect(await store.settle(any, 1, 0, false, encodeValue('e'), ev('c'))).toBe('recorded');
    expect(await store.settle(any, 1, 1, false, encodeValue('e'), ev('c'))).toBe('ready');
    const all = await waiting('all', 5);
    expect(await store.settle(all, 1, 3, false, encodeValue('e'), ev('c'))).toBe('ready');
    const settled = await waiting('allSettled', 2);
    expect(await store.settle(settled, 1, 0, false, encodeValue('e'), ev('c'))).toBe('recorded');
    expect(await store.settle(settled, 1, 1, true, encodeValue(1), ev('c'))).toBe('ready');
  });

  it('buffers signals until a wait of that name, in order; a waiting slot takes the next one', async () => {
    const id = `e${++n}`;
    await store.create({ id, workflow: 'wf', version: 'v1', args: encodeValue([]) });
    expect(await store.signal(id, 'go', encodeValue(1), ev('signal'))).toBe('buffered');
    expect(await store.signal(id, 'go', encodeValue(2), ev('signal'))).toBe('buffered');
    expect(await store.commitSuspension(id, 0, suspension('single', 1, { signals: [{ slot: 0, name: 'go' }], dispatch: false }), ev('s'))).toBe('ready');
    expect((await store.settlements(id, 1)).map((s) => s.payload)).toEqual([encodeValue(1)]);
    expect(await store.commitSuspension(id, 1, suspension('single', 1, { signals: [{ slot: 0, name: 'go' }], dispatch: false }), ev('s'))).toBe('ready');
    expect((await store.settlements(id, 2)).map((s) => s.payload)).toEqual([encodeValue(2)]);
    expect(await store.commitSuspension(id, 2, suspension('single', 1, { signals: [{ slot: 0, name: 'go' }], dispatch: false }), ev('s'))).toBe('waiting');
    expect(await store.signal(id, 'go', encodeValue(3), ev('signal'))).toBe('ready');
    expect(await store.signal(id, 'go', encodeValue(4), ev('signal'))).toBe('buffered');
  });

  it('cancel makes a waiting execution ready once; calls stop being live', async () => {
    const id = await waiting('all', 2);
    expect(await store.isLive(id, 1, 0)).toBe(true);
    expect(await store.requestCancel(id, encodeValue('r'), ev('cancel'))).toBe('ready');
    expect(await store.requestCancel(id, encodeValue('r'), ev('cancel'))).toBe('noop');
    expect(await store.isLive(id, 1, 0)).toBe(false);
    expect((await store.load(id))!.cancel).toEqual({ reason: encodeValue('r'), delivered: false });
    expect(await store.pending()).toMatchObject({ dispatch: expect.not.arrayContaining([id]) });
  });

  it('keeps the outbox flag until clearDispatch of the same rev; caps history', async () => {
    const id = await waiting('all', 2);
    expect((await store.pending()).dispatch).toContain(id);
    await store.clearDispatch(id, 0);
    expect((await store.pending()).dispatch).toContain(id);
    await store.clearDispatch(id, 1);
    expect((await store.pending()).dispatch).not.toContain(id);
    for (let i = 0; i < 10; i++) await store.appendHistory(id, ev(`e${i}`));
    expect((await store.history(id)).map((e) => e.type)).toEqual(['e5', 'e6', 'e7', 'e8', 'e9']);
  });

  it("a lone call's delivery (isLive) clears its outbox flag; a call of a bigger group does not", async () => {
    const lone = await waiting('single', 1);
    const pair = await waiting('all', 2);
    expect((await store.pending()).dispatch).toEqual(expect.arrayContaining([lone, pair]));
    expect(await store.isLive(lone, 1, 0)).toBe(true);
    expect(await store.isLive(pair, 1, 0)).toBe(true);
    const { dispatch } = await store.pending();
    expect(dispatch).not.toContain(lone);
    expect(dispatch).toContain(pair);
    expect(await store.isLive(lone, 0, 0)).toBe(false); // an old rev: dropped, nothing changed
  });

  it('lists newest first with filters and a cursor', async () => {
    const s2 = new RedisStore(redis, { prefix: 'ls', ownsClient: false });
    for (let i = 0; i < 5; i++) {
      await s2.create({ id: `l${i}`, workflow: i % 2 ? 'odd' : 'even', version: '', args: encodeValue([]) });
      await new Promise((r) => setTimeout(r, 2));
    }
    const p1 = await s2.list({ limit: 2 });
    expect(p1.items.map((i) => i.id)).toEqual(['l4', 'l3']);
    // One started meanwhile does not shift the next page.
    await s2.create({ id: 'l5', workflow: 'odd', version: '', args: encodeValue([]) });
    const p2 = await s2.list({ limit: 2, cursor: p1.cursor! });
    expect(p2.items.map((i) => i.id)).toEqual(['l2', 'l1']);
    const p3 = await s2.list({ limit: 2, cursor: p2.cursor! });
    expect(p3).toEqual({ items: [expect.objectContaining({ id: 'l0', workflow: 'even', status: 'ready' })] });
    expect((await s2.list({})).items.map((i) => i.id)).toEqual(['l5', 'l4', 'l3', 'l2', 'l1', 'l0']);
    await expect(s2.list({ cursor: 'x' })).rejects.toThrow(/invalid cursor 'x'/);
    expect(await new RedisStore(redis, { prefix: 'none', ownsClient: false }).list({})).toEqual({ items: [] });
    expect((await s2.list({ workflow: 'odd' })).items.map((i) => i.id)).toEqual(['l5', 'l3', 'l1']);
    expect((await s2.list({ status: 'completed' })).items).toEqual([]);
  });
});
