/**
 * `npm run demo` (examples/video-encoding/demo.mjs): compiles the example,
 * runs it on the embedded backend, kills it with kill -9 halfway, and resumes
 * it with the same --id to the right result — without Redis.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureDist, ROOT } from './support/global-setup.js';

beforeAll(() => ensureDist());

describe('npm run demo', () => {
  it('shows the fan-out, the kill -9, the resume and the result', () => {
    const env: Record<string, string | undefined> = { ...process.env };
    delete env.REDIS_URL;
    const r = spawnSync(process.execPath, [path.join(ROOT, 'examples/video-encoding/demo.mjs')], { cwd: ROOT, env, encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/waiting at examples\/video-encoding\/workflow\.ts:\d+, \d+\/12 calls/);
    const killed = Number(/Killed it with kill -9 once (\d+) of 12 encodes were done/.exec(r.stderr)?.[1]);
    expect(killed).toBeGreaterThanOrEqual(6);
    // the resumed run starts from what the first one completed (the encodes in flight at the kill run again)
    const resumedAt = Number(/resuming videoPipeline[^\n]*\n\s*waiting at [^\n]*, (\d+)\/12 calls/.exec(r.stderr)?.[1]);
    expect(resumedAt).toBeGreaterThanOrEqual(killed);
    expect(resumedAt).toBeLessThan(12);
    const result = JSON.parse(r.stdout) as { count: number; playlist: string };
    expect(result.count).toBe(12);
    expect(result.playlist.split('\n').filter((l) => l.endsWith('.720p.mp4') && !l.startsWith('#'))).toHaveLength(12);
  });
});
