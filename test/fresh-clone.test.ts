/**
 * The README's two set-up commands on a fresh clone of this repository (its
 * committed HEAD). The first (install, then the demo on the embedded backend,
 * no Redis) runs as written. The second is `npm test`, which is what CI runs
 * on a clean clone through .ci/run: so this test checks that .ci/run runs the
 * README's test command and that the clone's test set-up works (vitest starts
 * its own redis-server there), instead of running the whole suite a second
 * time inside itself (that doubled CI's time).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from './support/fixture-corpus.js';
import { setupCommands } from './support/readme.js';

describe('README set-up on a fresh clone', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'reawait-clone-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true, maxRetries: 5 }));
  // As on a fresh machine: no REDIS_URL (the demo needs no Redis; the tests start their own).
  const { REDIS_URL: _unused, ...rest } = process.env;
  const env = { ...rest, CI: 'true' };
  let commands: string[] = [];

  it('the first command installs and runs the demo without Redis', () => {
    execFileSync('git', ['clone', '-q', ROOT, dir]);
    commands = setupCommands(readFileSync(path.join(dir, 'README.md'), 'utf8'));
    // `timeout` kills the whole process group (a compiler that npm install started too), not only bash.
    const d = spawnSync('timeout', ['-k', '10', '900', 'bash', '-c', commands[0]!], { cwd: dir, env, encoding: 'utf8' });
    const how = d.status === 124 ? 'timed out after 15 min' : 'failed';
    expect(d.status, `'${commands[0]}' ${how}:\n${d.stdout}\n${d.stderr}`).toBe(0);
    expect(d.stdout).toMatch(/"count":\s*\d+/);
  }, 960_000);

  it('the second command is what CI runs on a clean clone, and the test set-up works there', () => {
    expect(commands[1]).toBe('npm test');
    const ci = readFileSync(path.join(dir, '.ci/run'), 'utf8').split('\n').map((l) => l.trim());
    expect(ci, '.ci/run runs the README test command').toContain(commands[1]);
    // One suite file that spawns its own redis-server, and one that compiles and runs fixtures.
    const t = spawnSync('npx', ['vitest', 'run', 'test/redis-store.test.ts', 'test/workflow-api.test.ts'], { cwd: dir, env, encoding: 'utf8', timeout: 600_000 });
    expect(t.status, `vitest in the clone failed:\n${t.stdout.slice(-4000)}\n${t.stderr.slice(-4000)}`).toBe(0);
    expect(t.stdout).toMatch(/Tests\s+.*\d+ passed/);
  }, 660_000);
});
