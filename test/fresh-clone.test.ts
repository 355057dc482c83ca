/**
 * The README's two set-up commands, run as written in a fresh clone of this
 * repository (its committed HEAD): the first installs and runs the demo on
 * the embedded backend, the second runs the test suite there. The inner
 * suite runs this file too; REAWAIT_INNER_CLONE keeps it from cloning again.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from './support/fixture-corpus.js';
import { setupCommands } from './support/readme.js';

const inner = process.env.REAWAIT_INNER_CLONE === '1';

describe('README set-up', () => {
  describe.skipIf(inner)('on a fresh clone', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'reawait-clone-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('the demo runs without Redis and the test suite passes', () => {
      execFileSync('git', ['clone', '-q', ROOT, dir]);
      const [demo, tests] = setupCommands(readFileSync(path.join(dir, 'README.md'), 'utf8'));
      // As on a fresh machine: no REDIS_URL (the demo needs no Redis; the tests start their own).
      const { REDIS_URL: _unused, ...rest } = process.env;
      const env = { ...rest, REAWAIT_INNER_CLONE: '1', CI: 'true' };
      // npm install compiles better-sqlite3 from source where no prebuilt binary can be fetched: minutes on a busy machine.
      const d = spawnSync('bash', ['-c', demo!], { cwd: dir, env, encoding: 'utf8', timeout: 900_000 });
      expect(d.status, `'${demo}' failed:\n${d.stdout}\n${d.stderr}`).toBe(0);
      expect(d.stdout).toMatch(/"count":\s*\d+/);
      // Generous: the inner suite is the whole suite again, on a machine that may be busy.
      const t = spawnSync('bash', ['-c', tests!], { cwd: dir, env, encoding: 'utf8', timeout: 1_200_000 });
      const how = t.signal ? `was killed by ${t.signal} (timed out after 20 min?)` : 'failed';
      expect(t.status, `'${tests}' ${how}:\n${t.stdout.slice(-4000)}\n${t.stderr.slice(-4000)}`).toBe(0);
      expect(t.stdout).toMatch(/Tests\s+.*\d+ passed/);
    }, 2_160_000);
  });
});
