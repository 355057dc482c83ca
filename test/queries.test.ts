/**
 * Queries without a worker: a workflow exposes a read-only view of its
 * state (`expose('progress', () => ({ done, total }))`, a closure over its
 * live locals); `handle.query('progress')` and `npx reawait query` compute
 * it from the saved state while no worker runs, and see the locals as they
 * were last saved.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Client, Worker } from '../runtime/index.js';
import { CLI, ensureDist, ROOT } from './support/global-setup.js';
import { compileAndImport } from './support/compile-fixture.js';

const SOURCE = `import { expose, proxyActivities, signal } from 'reawait/workflow';
const { work } = proxyActivities<{ work(i: number): Promise<void> }>({});

export async function batch(total: number) {
  'use workflow';
  let done = 0;
  let phase = 'working';
  expose('progress', () => ({ done, total, phase }));
  for (let i = 0; i < total; i++) {
    await work(i);
    done++;
  }
  phase = 'waiting for approval';
  await signal('approve');
  return done;
}
`;

describe('queries without a worker', () => {
  beforeAll(() => ensureDist(), 120_000);

  it('handle.query and the CLI read the exposed view from the saved state, with the worker stopped', async () => {
    const { module, jsPath } = await compileAndImport(SOURCE, 'test/queries/batch.ts');
    const batch = module.batch as (total: number) => Promise<number>;
    const dir = mkdtempSync(path.join(tmpdir(), 'reawait-queries-'));
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => (release = r));
    const activities = { work: async (i: number) => (i === 2 ? gate : undefined) };
    let worker = new Worker({ store: 'local', dir, workflows: module, activities });
    await worker.run();
    const client = new Client({ store: 'local', dir });
    try {
      const handle = await client.start(batch, [3], { id: 'batch-1' });
      // the third call started (so the resume that counted the second one committed), and is held: the saved state has done = 2
      await expect.poll(async () => (await handle.describe()).calls, { timeout: 30_000 }).toEqual({ total: 3, done: 2 });
      await worker.close(1000);
      expect(await handle.query('progress')).toEqual({ done: 2, total: 3, phase: 'working' });
      await expect(handle.query('nope')).rejects.toThrow("execution 'batch-1' (workflow 'batch') exposes no query 'nope' (it exposes: progress)");
      const d = await handle.describe();
      expect(Object.keys(d.fibers![0]!.locals)).not.toContain('~exposed');

      release();
      worker = new Worker({ store: 'local', dir, workflows: module, activities });
      await worker.run();
      await expect.poll(async () => (await handle.describe()).waitingFor?.signals, { timeout: 20_000 }).toEqual(['approve']);
      await worker.close(1000);
      expect(await handle.query('progress')).toEqual({ done: 3, total: 3, phase: 'waiting for approval' });

      const cli = spawnSync(process.execPath, [CLI, 'query', 'batch-1', 'progress', '--workflows', jsPath, '--dir', dir], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
      expect(cli.stderr).toBe('');
      expect(JSON.parse(cli.stdout)).toEqual({ done: 3, total: 3, phase: 'waiting for approval' });
    } finally {
      await client.close();
      await worker.close(1000);
    }
  }, 120_000);
});
