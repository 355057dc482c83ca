/** The two examples, compiled with compileDir and run by a `reawait worker` process against Redis. */
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileDir } from '../compiler/compile-dir.js';
import { Client } from '../runtime/index.js';
import { startChildWorker, type ChildWorker } from './support/child-worker.js';
import { CLI, ensureDist, ROOT } from './support/global-setup.js';
import { startRedis, type RedisServer } from './support/redis-server.js';

let server: RedisServer;
const workers: ChildWorker[] = [];

beforeAll(async () => {
  await ensureDist();
  server = await startRedis();
});
afterAll(async () => {
  for (const w of workers) await w.stop().catch(() => {});
  await server?.stop();
});

async function buildExample(name: string): Promise<string> {
  const out = path.join(ROOT, 'test/.compiled/examples', name);
  const { errors } = await compileDir(path.join(ROOT, 'examples', name), out);
  expect(errors).toEqual([]);
  return out;
}

describe('examples against Redis with a worker process', () => {
  it('simple-parallel: add/multiply fan-out, then a sum', async () => {
    const out = await buildExample('simple-parallel');
    const prefix = 'ex-simple';
    workers.push(await startChildWorker({ redis: server.url, prefix, workflows: path.join(out, 'workflow.js'), activities: path.join(out, 'activities.js') }));
    const client = new Client({ redis: server.url, prefix });
    const handle = await client.start('simpleParallel', [
      [
        [1, 2],
        [3, 4],
        [5, 6],
      ],
    ]);
    expect(await handle.result({ timeoutMs: 20_000 })).toEqual({ results: [3, 7, 11, 2, 12, 30], total: 65 });
    const d = await handle.describe();
    expect(d.history.filter((e) => e.type === 'resumed')).toHaveLength(2);
    await client.close();
  });

  it('video-encoding: encodes in parallel, then creates a playlist', async () => {
    const out = await buildExample('video-encoding');
    const prefix = 'ex-video';
    workers.push(
      await startChildWorker({
        redis: server.url,
        prefix,
        workflows: path.join(out, 'workflow.js'),
        activities: path.join(out, 'activities.js'),
        concurrency: 8,
        env: { VIDEO_ENCODE_MS: '300' },
      }),
    );
    const client = new Client({ redis: server.url, prefix });
    const files = ['intro.mov', 'talk.mov', 'demo.mov', 'outro.mov'];
    const handle = await client.start('videoPipeline', [files]);
    await expect.poll(async () => (await handle.describe()).calls, { timeout: 5000, interval: 20 }).toMatchObject({ total: 4 });
    const d = await handle.describe();
    expect(d.waitingAt?.file).toBe('examples/video-encoding/workflow.ts');
    expect(d.waitingAt?.line).toBe(13); // const encoded = await Promise.all(...)
    const r = (await handle.result({ timeoutMs: 20_000 })) as { playlist: string; count: number };
    expect(r.count).toBe(4);
    expect(r.playlist.split('\n').filter((l) => l.endsWith('.720p.mp4') && !l.startsWith('#'))).toEqual(files.map((f) => f.replace('.mov', '.720p.mp4')));
    // parallel: the four 300 ms encodes overlap, so they all finish within one encode of each other
    const done = (await handle.describe()).history.filter((e) => e.type === 'call completed').map((e) => e.t);
    expect(done.length).toBeGreaterThanOrEqual(4);
    const encodes = done.slice(0, 4);
    expect(Math.max(...encodes) - Math.min(...encodes)).toBeLessThan(300);
    await client.close();
  });
});

describe("the README's Redis commands", () => {
  it('run as written: compile the example, a worker in the background, start --wait prints the result', () => {
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const block = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!).find((b) => b.includes('npx reawait worker'));
    expect(block).toBeDefined();
    // inside the repo, as build/ would be: 'reawait' resolves by the package's self-reference, and it is an ES module
    const out = path.join(ROOT, 'test/.compiled/readme-redis');
    try {
      // Only where things are: the built CLI for npx (no network), a folder of the tests' for build/, the private Redis.
      const script = block!
        .replaceAll('npx reawait', `node ${CLI}`)
        .replaceAll('build/video-encoding', out)
        .replace('redis://127.0.0.1:6379', server.url);
      expect(script).toContain(`export REDIS_URL=${server.url}`);
      const r = spawnSync('bash', ['-c', `set -e\ntrap 'kill $(jobs -p) 2>/dev/null' EXIT\n${script}`], { cwd: ROOT, encoding: 'utf8', timeout: 60_000, env: { ...process.env, VIDEO_ENCODE_MS: '50' } });
      expect(r.status, r.stderr).toBe(0);
      const result = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { playlist: string; count: number };
      expect(result).toEqual({ playlist: '#EXTM3U\n#EXTINF:-1,a.720p.mp4\na.720p.mp4\n#EXTINF:-1,b.720p.mp4\nb.720p.mp4', count: 2 });
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 90_000);
});

