/**
 * Issue 15 items 6, 9 and 10: a cancel frees the worker slot of an activity
 * that ignores its AbortSignal; cancelling an execution that has ended, or
 * cancelling twice, says so (and the CLI exits 1); a worker warns once when
 * Redis keeps nothing on disk.
 */
import { execFile } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ExecutionEndedError, Worker } from '../runtime/index.js';
import { CLI, ensureDist, ROOT } from './support/global-setup.js';
import { startRedis } from './support/redis-server.js';
import { useRedisRuntime, workflowModule } from './support/runtime-harness.js';

const SOURCE = `
import { proxyActivities } from 'reawait/workflow';
const acts = proxyActivities<Record<string, (...a: any[]) => Promise<any>>>({});

export async function stuck() {
  'use workflow';
  return await acts.stubborn();
}

export async function quick(x: number) {
  'use workflow';
  return await acts.double(x);
}

export async function slowCleanup(cleanupMs: number) {
  'use workflow';
  try {
    return await acts.slow(60_000);
  } finally {
    await acts.slow(cleanupMs);
  }
}
`;

let stubbornRuns = 0;
const activities = {
  /** Ignores its AbortSignal and never settles. */
  stubborn: () => {
    stubbornRuns++;
    return new Promise(() => {});
  },
  double: async (x: number) => x * 2,
  slow: (ms: number) => new Promise((r) => setTimeout(r, ms)),
};

const h = useRedisRuntime();

function reawait(args: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { cwd: ROOT, env: { ...process.env, REDIS_URL: h.url } }, (err, _stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stderr }));
  });
}

describe('cancel', () => {
  it('frees the slot of an activity that ignores its AbortSignal', async () => {
    const mod = await workflowModule(SOURCE, 'cancel');
    const prefix = h.prefix();
    await h.worker({ prefix, workflows: mod, activities, concurrency: 1, liveCheckMs: 100 });
    const client = h.client(prefix);
    const stuck = await client.start('stuck', []);
    await expect.poll(() => stubbornRuns, { timeout: 10_000 }).toBe(1);
    await stuck.cancel('give up');
    await expect.poll(async () => (await stuck.describe()).status, { timeout: 10_000 }).toBe('cancelled');
    // The only slot was the stubborn call's: the next call runs only if the cancel freed it.
    const next = await client.start('quick', [21]);
    expect(await next.result({ timeoutMs: 15_000 })).toBe(42);
  });

  it('of an ended execution is an ExecutionEndedError; a second cancel says it is already requested', async () => {
    const mod = await workflowModule(SOURCE, 'cancel');
    const prefix = h.prefix();
    await h.worker({ prefix, workflows: mod, activities, liveCheckMs: 100 });
    const client = h.client(prefix);
    const done = await client.start('quick', [1]);
    expect(await done.result({ timeoutMs: 10_000 })).toBe(2);
    const e = await done.cancel().catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ExecutionEndedError);
    expect((e as Error).message).toBe(`cannot cancel (it is completed) execution '${done.id}': it has already ended`);

    const slow = await client.start('slowCleanup', [3000]);
    await expect.poll(async () => (await slow.describe()).status, { timeout: 10_000 }).toBe('waiting');
    expect(await slow.cancel()).toBe('requested');
    // Its finally block runs a 3 s call: the cancel is still being carried out.
    expect(await slow.cancel()).toBe('already requested');
    await expect.poll(async () => (await slow.describe()).status, { timeout: 15_000 }).toBe('cancelled');
    await expect(slow.cancel()).rejects.toThrow(/it is cancelled/);
  });

  it('the CLI exits 1 for an ended execution and for a second cancel', async () => {
    await ensureDist();
    const mod = await workflowModule(SOURCE, 'cancel');
    const prefix = h.prefix();
    await h.worker({ prefix, workflows: mod, activities, liveCheckMs: 100 });
    const client = h.client(prefix);
    const done = await client.start('quick', [1], { id: 'cli-done' });
    await done.result({ timeoutMs: 10_000 });
    const ended = await reawait(['cancel', 'cli-done', '--prefix', prefix]);
    expect(ended.code).toBe(1);
    expect(ended.stderr).toContain(`ExecutionEndedError: cannot cancel (it is completed) execution 'cli-done'`);
    expect(ended.stderr).not.toContain('cancel requested');

    // A cleanup that outlasts two CLI runs on a loaded machine.
    const slow = await client.start('slowCleanup', [60_000], { id: 'cli-slow' });
    await expect.poll(async () => (await slow.describe()).status, { timeout: 10_000 }).toBe('waiting');
    const first = await reawait(['cancel', 'cli-slow', '--prefix', prefix]);
    expect(first.code).toBe(0);
    expect(first.stderr).toContain('cancel requested for cli-slow');
    const second = await reawait(['cancel', 'cli-slow', '--prefix', prefix]);
    expect(second.stderr).toContain('a cancel of cli-slow was already requested');
    expect(second.code).toBe(1);
  });
});

describe('persistence', () => {
  async function warningsOf(url: string): Promise<string[]> {
    const seen: string[] = [];
    const w = new Worker({ redis: url, prefix: h.prefix(), workflows: [], activities: {}, onError: (e, where) => seen.push(`${where}: ${(e as Error).message}`) });
    await w.run();
    await w.close(500);
    return seen;
  }

  it('a worker warns once when Redis has neither AOF nor RDB saving', async () => {
    const seen = await warningsOf(h.url); // the test server runs with --save '' and no AOF
    expect(seen.filter((s) => s.startsWith('warning:'))).toEqual([
      `warning: Redis at redis://127.0.0.1:${h.server.port}/0 keeps nothing on disk (appendonly no, save ""): a Redis restart loses every execution. Turn on AOF (CONFIG SET appendonly yes, and in redis.conf); see "Persistence" in reawait's README`,
    ]);
  });

  it('and says nothing when AOF or RDB snapshots are on', async () => {
    const aof = await startRedis({ appendonly: true });
    const rdb = await startRedis({ args: ['--save', '3600 1'] });
    try {
      expect(await warningsOf(aof.url)).toEqual([]);
      expect(await warningsOf(rdb.url)).toEqual([]);
    } finally {
      await aof.stop();
      await rdb.stop();
    }
  });
});
