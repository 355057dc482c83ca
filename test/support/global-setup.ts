/**
 * Build dist/ once for the tests that run child processes (`reawait worker`
 * and the CLI run the built package; compiled workflows import
 * `reawait/workflow`, which resolves by package self-reference to dist).
 * Usable as a vitest globalSetup, or called from beforeAll via ensureDist()
 * (a lock directory keeps parallel test files from building at once).
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, rmdirSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const CLI = path.join(ROOT, 'dist/bin/reawait.js');

let built: Promise<void> | undefined;

async function lock<T>(dir: string, body: () => T): Promise<T> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      mkdirSync(dir);
      break;
    } catch {
      // a lock older than a minute is stale (a killed test run)
      if (existsSync(dir) && Date.now() - statSync(dir).mtimeMs > 60_000) rmdirSync(dir);
      if (Date.now() > deadline) throw new Error(`timed out waiting for the build lock ${dir}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  try {
    return body();
  } finally {
    rmdirSync(dir);
  }
}

/** Build dist/ (once per test process); type errors elsewhere do not stop the emit. */
export function ensureDist(): Promise<void> {
  built ??= lock(path.join(tmpdir(), `reawait-build-lock-${createHash('sha1').update(ROOT).digest('hex').slice(0, 12)}`), () => {
    try {
      execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'pipe' });
    } catch {
      // tsc exits non-zero on type errors but still emits; check what we need below
    }
    // tsc does not copy the store's Lua scripts; the package build must (see runtime/redis/scripts.ts)
    cpSync(path.join(ROOT, 'runtime/redis/lua'), path.join(ROOT, 'dist/runtime/redis/lua'), { recursive: true });
    for (const f of ['dist/runtime/redis/lua/lib.lua', 'dist/bin/reawait.js', 'dist/runtime/index.js', 'dist/runtime/workflow.js', 'dist/runtime/cli/worker.js'])
      if (!existsSync(path.join(ROOT, f))) throw new Error(`building dist/ did not produce ${f}; run 'npx tsc -p tsconfig.build.json' to see why`);
  });
  return built;
}

export default async function setup(): Promise<void> {
  await ensureDist();
}
