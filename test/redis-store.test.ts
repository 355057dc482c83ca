/**
 * The Lua transitions of RedisStore: revision guards, outstanding ops and
 * their settlements, watches (exactly-once ready), buffered signals, the
 * outbox, detached ops after the end.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeValue } from '../runtime/codec.js';
import { RedisStore } from '../runtime/redis/redis-store.js';
import { startRedis, type RedisServer } from './support/redis-server.js';
import { ev, ops, STATE, storeContract, suspension, watch, type Step } from './support/store-contract.js';

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

storeContract('RedisStore', () => store);

/** A new execution committed at rev 0 → 1 with the given step. */
async function waiting(step: Step): Promise<string> {
  const id = `e${++n}`;
  await store.create({ id, workflow: 'wf', version: 'v1', args: encodeValue([]) });
  expect(await store.commitSuspension(id, 0, suspension(step), ev('suspended'))).toBe('waiting');
  return id;
}

describe('RedisStore', () => {
  it('creates idempotently by id, with all keys under the {id} hash tag', async () => {
    const a = await store.create({ id: 'same', workflow: 'wf', version: 'v1', args: encodeValue([1]) });
    const b = await store.create({ id: 'same', workflow: 'other', version: 'v2', args: encodeValue([2]) });
    expect(a.created).toBe(true);
    expect(b.created).toBe(false);
    expect(b.record).toMatchObject({ workflow: 'wf', status: 'ready', rev: 0, progress: { started: 0, settled: 0 } });
    expect((await redis.keys('st:{same}:*')).sort()).toEqual(['st:{same}:h', 'st:{same}:v', 'st:{same}:x']);
  });

  it('keeps an idle execution small: the state without the workflow and version x holds, no watch key for a lone op', async () => {
    const id = await waiting({ started: ops(1), tokens: [[1, '*']], outbox: '{"activities":[]}', lone: 1 });
    expect(await redis.get(`st:{${id}}:v`)).toBe('{"v":2,"fibers":[{"pc":1}],"data":[[1],{}]}');
    expect(await redis.exists(`st:{${id}}:w`)).toBe(0);
    expect(await redis.hget(`st:{${id}}:x`, 'o:1')).toBe('*');
    expect(await store.load(id)).toMatchObject({ state: STATE, version: 'v1', progress: { started: 1, settled: 0 }, dispatchPending: 1 });
    // A state whose header is not the record's is kept whole.
    const other = STATE.replace('"workflow":"wf"', '"workflow":"child"');
    const id2 = `e${++n}`;
    await store.create({ id: id2, workflow: 'wf', version: 'v1', args: encodeValue([]) });
    await store.commitSuspension(id2, 0, suspension({ state: other }), ev('suspended'));
    expect(await redis.get(`st:{${id2}}:v`)).toBe(other);
  });

  it("counts the resume's try in settle.lua from begin.runs (the workflows the caller runs), never from the predicate alone", async () => {
    // the caller's workflow among several: counted
    const runs = new Map([['other', 'v1'], ['wf', 'v1'], ['third', 'v9']]);
    const id = await waiting({ started: ops(1), tokens: [[1, '*']] });
    const begin = Object.assign(() => false, { runs }); // settle.lua reads runs; the function is for a store that can call it
    expect((await store.settleAndLoad(id, 1, true, encodeValue(1), ev('c'), begin)).loaded?.attempt).toBe(1);
    expect(await redis.hget(`st:{${id}}:x`, 'tries')).toBe('1');
    // a predicate without runs, or a name whose version differs: nothing counted (the caller's beginStep counts)
    for (const b of [() => true, Object.assign(() => true, { runs: new Map([['wf', 'v2']]) }), Object.assign(() => true, { runs: new Map([['wf1', 'v1']]) })]) {
      const other = await waiting({ started: ops(1), tokens: [[1, '*']] });
      const r = await store.settleAndLoad(other, 1, true, encodeValue(1), ev('c'), b);
      expect(r.outcome).toBe('ready');
      expect(r.loaded?.attempt).toBeUndefined();
      expect(await redis.hexists(`st:{${other}}:x`, 'tries')).toBe(0);
      expect(await store.beginStep(other, 1)).toBe(1);
    }
  });











  it('says what to do when the `all` index is a sorted set left by an earlier build', async () => {
    const old = new RedisStore(redis, { prefix: 'old', ownsClient: false });
    await redis.zadd('old:all', 1, 'x');
    const err = (await old.create({ id: 'o1', workflow: 'wf', version: '', args: encodeValue([]) }).catch((e: unknown) => e)) as Error;
    expect(err.message).toMatch(/Redis key 'old:all' is not the list of execution ids .* delete that key \(DEL old:all\) or use another prefix/);
    await expect(old.list({})).rejects.toThrow(/Redis key 'old:all'/);
    expect(await redis.keys('old:{o1}:*')).toEqual([]); // nothing half-created
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
