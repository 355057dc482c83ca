/**
 * The Lua transitions of RedisStore: revision guards, outstanding ops and
 * their settlements, watches (exactly-once ready), buffered signals, the
 * outbox, detached ops after the end.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeValue } from '../runtime/codec.js';
import { BeeQueueQueue } from '../runtime/redis/beequeue-queue.js';
import { parseRedisUrl } from '../runtime/redis/connection.js';
import { RedisStore } from '../runtime/redis/redis-store.js';
import type { ActivityJob, TimerJob } from '../runtime/queue.js';
import type { Suspension } from '../runtime/store.js';
import { startRedis, type RedisServer } from './support/redis-server.js';
import { ending, ev, ops, STATE, storeContract, suspension, watch, type Step } from './support/store-contract.js';

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











  it("a worker's store queues a commit's calls and timers in the commit's own script, only when it lands; bee-queue workers take them", async () => {
    const queue = new BeeQueueQueue({ redis: parseRedisUrl(server.url), prefix: 'qj:bq', worker: true, stallInterval: 1000 });
    const jobs = new RedisStore(redis, { prefix: 'qj', ownsClient: false, jobs: queue });
    expect(jobs.queuesJobs).toBe(true);
    expect(store.queuesJobs).toBe(false);
    const got: string[] = [];
    const work = () =>
      queue.process(
        { activity: async (j) => void got.push(`call ${j.op} ${j.args}`), resume: async () => {}, timer: async (j) => void got.push(`${j.kind} ${j.op}`) },
        { concurrency: 2 },
      );
    try {
      await jobs.create({ id: 'q1', workflow: 'wf', version: 'v1', args: encodeValue([]) });
      const call = (op: number): ActivityJob => ({ executionId: 'q1', op, activity: 'a', args: encodeValue([op]), options: { retries: 2 } });
      const sleep = (op: number): TimerJob => ({ executionId: 'q1', op, kind: 'sleep' });
      const first: Suspension = { ...suspension({ started: ops(1, 2, 3), tokens: [[1, 'w'], [2, 'w'], [3, 'w']], set: [watch('w', [1, 2, 3])] }), jobs: { activities: [call(1)], timers: [{ job: sleep(2), at: Date.now() + 300 }, { job: sleep(3), at: Date.now() - 1 }] } };
      expect(await jobs.commitSuspension('q1', 0, first, ev('suspended'))).toBe('waiting');
      // the call waits in bee-queue's list, the timer due later in its delayed set, with bee-queue's own job JSON
      expect(await redis.zscore('qj:bq:timers:delayed', 'q1:2')).not.toBeNull();
      expect(JSON.parse((await redis.hget('qj:bq:activities:jobs', 'q1:1'))!)).toMatchObject({ data: call(1), options: { retries: 2 }, status: 'created' });
      // a stale commit of the same rev queues nothing
      const late: Suspension = { ...suspension({ started: ops(9) }), jobs: { activities: [call(9)], timers: [] } };
      expect(await jobs.commitSuspension('q1', 0, late, ev('suspended'))).toBe('stale');
      expect(await redis.hexists('qj:bq:activities:jobs', 'q1:9')).toBe(0);
      // bee-queue's workers start only now: one that took the call first would have removed its job hash (removeOnSuccess) before it was read
      await work();
      await expect.poll(() => [...got].sort(), { timeout: 10_000 }).toEqual([`call 1 ${encodeValue([1])}`, 'sleep 2', 'sleep 3']);
      // an end queues the calls it started and never awaited (detached), also only when it lands
      expect(await jobs.settle('q1', 1, true, encodeValue(1), ev('c'))).toBe('recorded');
      expect(await jobs.settle('q1', 2, true, encodeValue(undefined), ev('t'))).toBe('recorded');
      expect(await jobs.settle('q1', 3, true, encodeValue(undefined), ev('t'))).toBe('ready');
      const end = (op: number) => ending({ started: ops(op), consumed: [1, 2, 3], detached: [op], jobs: { activities: [call(op)], timers: [] } });
      expect(await jobs.commitEnd('q1', 1, end(4), ev('completed'))).toBe(true);
      expect(await jobs.commitEnd('q1', 1, end(5), ev('completed'))).toBe(false);
      expect(await redis.hexists('qj:bq:activities:jobs', 'q1:5')).toBe(0);
      await expect.poll(() => got.length, { timeout: 10_000 }).toBe(4);
      expect(got[3]).toBe(`call 4 ${encodeValue([4])}`);
    } finally {
      await queue.close(1000);
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
