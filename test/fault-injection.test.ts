/**
 * Issue 15: fault injection. Executions of four shapes — fan-out, sequential
 * steps, timers, signals — run on three worker processes while a seeded
 * schedule kills a random worker with kill -9 every ~1.5 s (and starts a new
 * one), and Redis itself (AOF, fsync always) is killed and restarted twice.
 * At the end each run is counted: lost (not completed with the right
 * result), duplicated (an activity's effect applied twice for one
 * idempotency key) and resumed twice (two committed steps from one
 * revision). All three must be 0; redelivered calls (at least once) are
 * counted and reported, not failed.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, type ExecutionHandle } from '../runtime/index.js';
import { startChildWorker, writeModule, writeWorkflowModule, type ChildWorker } from './support/child-worker.js';
import { ensureDist } from './support/global-setup.js';
import { startRedis, type RedisServer } from './support/redis-server.js';

const WORKFLOWS = `
import { proxyActivities, signal, sleep } from 'reawait/workflow';
const acts = proxyActivities<{ effect(x: number, ms: number): Promise<number> }>({});

export async function fanout(n: number) {
  'use workflow';
  const xs: number[] = [];
  for (let i = 0; i < n; i++) xs.push(i);
  let sum = 0;
  for (let wave = 0; wave < 3; wave++) {
    const ys = await Promise.all(xs.map((x) => acts.effect(x, 400)));
    sum += ys.reduce((a, b) => a + b, 0);
  }
  return sum;
}

export async function sequential(n: number) {
  'use workflow';
  let sum = 0;
  for (let i = 0; i < n; i++) sum += await acts.effect(i, 250);
  return sum;
}

export async function timers(n: number) {
  'use workflow';
  let sum = 0;
  for (let i = 0; i < n; i++) {
    await sleep(300);
    sum += await acts.effect(i, 50);
  }
  return sum;
}

export async function signals(n: number) {
  'use workflow';
  let sum = 0;
  for (let i = 0; i < n; i++) sum += await acts.effect(await signal<number>('next'), 50);
  return sum;
}
`;

const ACTIVITIES = `
import { Redis } from 'ioredis';
import { activityContext } from 'reawait';
const redis = new Redis(process.env.REDIS_URL, { maxRetriesPerRequest: null });
redis.on('error', () => {});
export async function effect(x, ms) {
  const { idempotencyKey } = activityContext();
  await redis.hincrby('fi:runs', idempotencyKey, 1);
  await new Promise((r) => setTimeout(r, ms));
  // the effect, made idempotent by its key (one atomic script): applied once however often the call runs
  await redis.eval("if redis.call('SET', KEYS[1], '1', 'NX') then redis.call('HINCRBY', KEYS[2], ARGV[1], 1) end", 2, 'fi:done:' + idempotencyKey, 'fi:effects', idempotencyKey);
  return x * 2;
}
`;

/** A small seeded PRNG (mulberry32): the same kill schedule every run. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PREFIX = 'fi';
let server: RedisServer;
let redis: Redis;
let client: Client;
let wf: string;
let acts: string;
const workers: ChildWorker[] = [];

beforeAll(async () => {
  await ensureDist();
  server = await startRedis({ appendonly: true });
  redis = new Redis(server.url, { maxRetriesPerRequest: null });
  redis.on('error', () => {});
  client = new Client({ redis: server.url, prefix: PREFIX, connectTimeoutMs: 20_000 });
  wf = writeWorkflowModule('fault-wf', WORKFLOWS);
  acts = writeModule('fault-acts', ACTIVITIES);
});

afterAll(async () => {
  for (const w of workers) await w.kill9().catch(() => {});
  await client?.close();
  redis?.disconnect();
  await server?.stop();
});

const spawnWorker = () => startChildWorker({ redis: server.url, prefix: PREFIX, workflows: wf, activities: acts, concurrency: 4 });

/** Retry a client call across a Redis restart. */
async function retrying<T>(call: () => Promise<T>): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await call();
    } catch (e) {
      if (i > 50) throw e;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

describe('fault injection: kill -9 of workers and Redis restarts', () => {
  it('loses nothing, duplicates no effect and commits no step twice', async () => {
    for (let i = 0; i < 3; i++) workers.push(await spawnWorker());
    const expected = new Map<string, number>();
    const handles: ExecutionHandle[] = [];
    const sumDoubled = (xs: number[]) => xs.reduce((a, x) => a + 2 * x, 0);
    const range = (n: number) => [...Array(n).keys()];
    const start = async (wfName: string, n: number, id: string, result: number) => {
      handles.push(await client.start(wfName, [n], { id }));
      expected.set(id, result);
    };
    for (let k = 0; k < 3; k++) await start('fanout', 8, `fan-${k}`, 3 * sumDoubled(range(8)));
    for (let k = 0; k < 3; k++) await start('sequential', 40, `seq-${k}`, sumDoubled(range(40)));
    for (let k = 0; k < 2; k++) await start('timers', 10, `tim-${k}`, sumDoubled(range(10)));
    for (let k = 0; k < 2; k++) await start('signals', 5, `sig-${k}`, sumDoubled([10, 11, 12, 13, 14]));

    const random = rng(15);
    // Faults only count while some execution is still running.
    let kills = 0;
    let redisRestarts = 0;
    const signalsSent = new Map<string, number>();
    const deadline = Date.now() + 150_000;
    let round = 0;
    for (;;) {
      const done = await retrying(() => Promise.all(handles.map(async (h) => (await h.describe()).status)));
      if (done.every((s) => s === 'completed' || s === 'failed' || s === 'cancelled')) break;
      if (Date.now() > deadline) throw new Error(`not done after 150 s: ${done.join(', ')}`);
      round++;
      // The faults: the first 8 rounds kill a random worker; rounds 2 and 4 also kill Redis.
      if (round <= 8) {
        const victim = Math.floor(random() * workers.length);
        await workers[victim]!.kill9();
        kills++;
        if (round === 2 || round === 4) {
          await server.kill();
          await new Promise((r) => setTimeout(r, 300));
          await server.restart();
          redisRestarts++;
        }
        workers[victim] = await spawnWorker();
      }
      // Signals: each signal execution gets its next value once it waits for it.
      for (const h of handles.filter((x) => x.id.startsWith('sig-'))) {
        const d = await retrying(() => h.describe());
        const sent = signalsSent.get(h.id) ?? 0;
        const consumed = d.history.filter((e) => e.type === 'signal').length;
        if (d.status === 'waiting' && sent === consumed && sent < 5) {
          await retrying(() => h.signal('next', 10 + sent));
          signalsSent.set(h.id, sent + 1);
        }
      }
      await new Promise((r) => setTimeout(r, 700));
    }

    let lost = 0;
    let resumedTwice = 0;
    for (const h of handles) {
      const d = await h.describe();
      if (d.status !== 'completed' || d.result !== expected.get(h.id)) lost++;
      const revs = d.history.filter((e) => e.type === 'resumed').map((e) => e.rev);
      resumedTwice += revs.length - new Set(revs).size;
    }
    const effects = Object.values(await redis.hgetall(`fi:effects`)).map(Number);
    const runs = Object.values(await redis.hgetall(`fi:runs`)).map(Number);
    const duplicated = effects.filter((n) => n > 1).length;
    const redelivered = runs.reduce((a, n) => a + n - 1, 0);
    const calls = 3 * 3 * 8 + 3 * 40 + 2 * 10 + 2 * 5;
    // eslint-disable-next-line no-console
    console.log(`fault injection: ${handles.length} executions, ${calls} calls, ${kills} worker kill -9s, ${redisRestarts} Redis restarts: lost ${lost}, duplicated ${duplicated}, resumed twice ${resumedTwice}; ${redelivered} call runs redelivered`);
    expect({ lost, duplicated, resumedTwice }).toEqual({ lost: 0, duplicated: 0, resumedTwice: 0 });
    expect(effects.length).toBe(calls);
    // Every fault hit running executions (the loop stops once all have ended).
    expect(kills).toBeGreaterThanOrEqual(4);
    expect(redisRestarts).toBe(2);
  }, 240_000);
});
