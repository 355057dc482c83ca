/**
 * Durable-runtime behaviour that only Redis + bee-queue can show: the timer
 * as a delayed bee-queue job, duplicate deliveries pushed through bee-queue,
 * and the recovery sweep over a RedisStore. (The shared behaviour is in
 * runtime-durable.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { encodeValue } from '../runtime/codec.js';
import { BeeQueueQueue } from '../runtime/redis/beequeue-queue.js';
import { parseRedisUrl } from '../runtime/redis/connection.js';
import { RedisStore } from '../runtime/redis/redis-store.js';
import { WorkerEngine } from '../runtime/engine/worker-engine.js';
import { loadWorkflows } from '../runtime/engine/registry.js';
import type { Queue } from '../runtime/queue.js';
import { activities, SOURCE } from './support/durable-workflows.js';
import { useRedisRuntime, workflowModule } from './support/runtime-harness.js';

const h = useRedisRuntime();

async function setup() {
  const mod = await workflowModule(SOURCE, 'durable');
  const prefix = h.prefix();
  const worker = await h.worker({ prefix, workflows: mod, activities, concurrency: 10 });
  return { mod, prefix, worker, client: h.client(prefix) };
}

describe('durable timers and recovery on Redis + bee-queue', () => {
  it('keeps a sleep as a timer in Redis that fires after the worker is stopped and restarted', async () => {
    const { mod, prefix, worker, client } = await setup();
    const handle = await client.start(mod.napper, [800]);
    // wait until it suspended at the sleep, then stop the worker
    await expect.poll(async () => (await handle.describe()).status, { timeout: 5000 }).toBe('waiting');
    await worker.close(1000);
    const delayed = await h.redis.zrange(`${prefix}:bq:timers:delayed`, 0, -1, 'WITHSCORES');
    expect(delayed[0]).toBe(`${handle.id}:1`); // execution id and op id
    expect(Number(delayed[1])).toBeGreaterThan(Date.now());
    await new Promise((r) => setTimeout(r, 1000)); // due while no worker runs
    expect((await handle.describe()).status).toBe('waiting');
    await h.worker({ prefix, workflows: mod, activities });
    const slept = (await handle.result({ timeoutMs: 10_000 })) as number;
    expect(slept).toBeGreaterThanOrEqual(800);
    const d = await handle.describe();
    expect(d.history.map((e) => e.type)).toContain('timer fired');
  });

  it('ignores duplicate and late deliveries of every job kind', async () => {
    const mod = await workflowModule(SOURCE, 'durable');
    const prefix = h.prefix();
    let runs = 0;
    await h.worker({ prefix, workflows: mod, activities: { double: async (x: number) => (runs++, x * 2) } });
    const client = h.client(prefix);
    const handle = await client.start(mod.child, [3]);
    expect(await handle.result({ timeoutMs: 5000 })).toBe(6);
    const before = await handle.describe();
    const pusher = new BeeQueueQueue({ redis: parseRedisUrl(h.url), prefix: `${prefix}:bq`, worker: false });
    for (let i = 0; i < 2; i++) {
      await pusher.pushResume({ executionId: handle.id, rev: 0 });
      await pusher.pushResume({ executionId: handle.id, rev: 1 });
      await pusher.pushActivities([{ executionId: handle.id, op: 1, activity: 'double', args: encodeValue([3]), options: {} }]);
      await pusher.pushTimers([{ job: { executionId: handle.id, op: 1, kind: 'sleep' }, at: Date.now() }]);
    }
    await new Promise((r) => setTimeout(r, 500));
    await pusher.close();
    expect(runs).toBe(1);
    const after = await handle.describe();
    expect(after.history).toEqual(before.history);
    expect(after.result).toBe(6);
  });

  it('the recovery sweep re-pushes a resume and an outbox that a crash dropped', async () => {
    const mod = await workflowModule(SOURCE, 'durable');
    const prefix = h.prefix();
    const store = new RedisStore(h.redis, { prefix, ownsClient: false });
    // A worker that crashes right after each commit: every push is lost, and so is the clearing of the outbox.
    const lost: string[] = [];
    const dropping: Queue = {
      pushActivities: async (jobs) => {
        lost.push(...jobs.map((j) => `call ${j.activity}`));
        throw new Error('crashed before the push');
      },
      pushResume: async (j) => void lost.push(`resume ${j.rev}`),
      pushTimers: async () => {},
      process: async () => {},
      close: async () => {},
    };
    const engine = new WorkerEngine({ store, queue: dropping, workflows: await loadWorkflows([mod]), activities: new Map(), concurrency: 1, maxPayloadBytes: 1 << 20, sweepIntervalMs: 0, onError: () => {} });
    await store.create({ id: 'lost-outbox', workflow: 'inspectMe', version: '', args: encodeValue([2]) });
    await expect(engine.resume({ executionId: 'lost-outbox', rev: 0 })).rejects.toThrow('crashed before the push');
    expect(lost).toEqual(['call double', 'call slow', 'call slow']);
    expect(await store.load('lost-outbox')).toMatchObject({ status: 'waiting', rev: 1, dispatchPending: 1 });
    // a created execution whose first resume push was lost
    await store.create({ id: 'lost-resume', workflow: 'child', version: '', args: encodeValue([7]) });
    await h.worker({ prefix, workflows: mod, activities });
    const client = h.client(prefix);
    expect(await (await client.get('lost-outbox'))!.result({ timeoutMs: 5000 })).toEqual({ label: 'batch-2', got: [4, 'x', 'y'] });
    expect(await (await client.get('lost-resume'))!.result({ timeoutMs: 5000 })).toBe(14);
  });

});
