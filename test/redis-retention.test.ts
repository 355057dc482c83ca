/**
 * Retention on Redis: an ended execution's keys expire after `retention`,
 * workers drop its index entries, and prune (Client and CLI) removes ended
 * executions now, so Redis holds live executions only (plus the retention's
 * worth of ended ones).
 */
import { execFile } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { CLI, ensureDist, ROOT } from './support/global-setup.js';
import { useRedisRuntime, workflowModule } from './support/runtime-harness.js';

const SOURCE = `
import { proxyActivities, signal } from 'reawait/workflow';
const acts = proxyActivities<Record<string, (...a: any[]) => Promise<any>>>({});

export async function work(x: number) {
  'use workflow';
  const a = await Promise.all([acts.double(x), acts.double(x + 1)]);
  const go = await signal<number>('go');
  return a[0] + a[1] + go;
}

export async function waits() {
  'use workflow';
  return await signal('never');
}

export async function fails() {
  'use workflow';
  await acts.double(1);
  throw new Error('no');
}
`;
const activities = { double: async (x: number) => x * 2 };

const h = useRedisRuntime();

/** Every key under `prefix` but the queue's. */
async function storeKeys(prefix: string): Promise<string[]> {
  return (await h.redis.keys(`${prefix}:*`)).filter((k) => !k.startsWith(`${prefix}:bq:`)).sort();
}

describe('retention and prune on Redis', () => {
  it('after prune, no key of an ended execution remains (signals left buffered included)', async () => {
    const mod = await workflowModule(SOURCE, 'retention');
    const prefix = h.prefix();
    await h.worker({ prefix, workflows: mod, activities, retention: Infinity });
    const client = h.client(prefix);
    const live = await client.start('waits', [], { id: 'live' });
    const ended = [];
    for (let i = 0; i < 5; i++) {
      const handle = await client.start('work', [i], { id: `done-${i}` });
      await expect.poll(async () => (await handle.describe()).status, { timeout: 10_000 }).toBe('waiting');
      await handle.signal('go', 100);
      await handle.signal('go', 200); // never consumed: buffered when it ends
      await handle.signal('unheard', 1);
      ended.push(handle);
    }
    const failing = await client.start('fails', [], { id: 'failed' });
    for (const e of ended) await e.result({ timeoutMs: 10_000 });
    await expect(failing.result({ timeoutMs: 10_000 })).rejects.toThrow('no');
    expect((await storeKeys(prefix)).filter((k) => k.includes('{done-')).length).toBeGreaterThan(0);

    expect(await client.prune()).toBe(6);
    const keys = await storeKeys(prefix);
    expect(keys.filter((k) => k.includes('{done-') || k.includes('{failed}'))).toEqual([]);
    expect(await h.redis.lrange(`${prefix}:all`, 0, -1)).toEqual(['live']);
    expect(await h.redis.zcard(`${prefix}:ended`)).toBe(0);
    expect((await client.list()).items.map((e) => e.id)).toEqual(['live']);
    expect((await live.describe()).status).toBe('waiting');
    expect(await client.prune()).toBe(0);
  });

  it('an ended execution expires after the retention, and workers drop its index entries', async () => {
    const mod = await workflowModule(SOURCE, 'retention');
    const prefix = h.prefix();
    await h.worker({ prefix, workflows: mod, activities, retention: '2s' });
    const client = h.client(prefix);
    await client.start('waits', [], { id: 'stays' });
    const handle = await client.start('fails', [], { id: 'goes' });
    await expect(handle.result({ timeoutMs: 10_000 })).rejects.toThrow('no');
    const ttl = await h.redis.pttl(`${prefix}:{goes}:x`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(2000);
    expect(await h.redis.pttl(`${prefix}:{stays}:x`)).toBe(-1);
    await expect.poll(() => storeKeys(prefix), { timeout: 20_000, interval: 200 }).toEqual(
      [`${prefix}:all`, `${prefix}:{stays}:h`, `${prefix}:{stays}:v`, `${prefix}:{stays}:x`].sort(),
    );
    expect(await h.redis.lrange(`${prefix}:all`, 0, -1)).toEqual(['stays']);
    expect(await client.get('goes')).toBeUndefined();
  });

  it('reawait prune --older-than removes only what ended longer ago', async () => {
    await ensureDist();
    const mod = await workflowModule(SOURCE, 'retention');
    const prefix = h.prefix();
    await h.worker({ prefix, workflows: mod, activities });
    const client = h.client(prefix);
    await expect((await client.start('fails', [], { id: 'p1' })).result({ timeoutMs: 10_000 })).rejects.toThrow('no');
    const run = (args: string[]) =>
      new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
        execFile(process.execPath, [CLI, 'prune', ...args, '--prefix', prefix, '--redis', h.url], { cwd: ROOT }, (err, stdout, stderr) => resolve({ code: err ? 1 : 0, stdout, stderr })),
      );
    const kept = await run(['--older-than', '1 hour']);
    expect(kept.code).toBe(0);
    expect(kept.stdout).toBe('0\n');
    expect(await client.get('p1')).toBeDefined();
    const pruned = await run([]);
    expect(pruned.stdout).toBe('1\n');
    expect(pruned.stderr).toMatch(/^pruned 1 execution that ended before /);
    expect(await client.get('p1')).toBeUndefined();
    const bad = await run(['--older-than', 'a while']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("--older-than: invalid duration 'a while'");
  });
});
