/**
 * Build dist/ once for the tests that run child processes (`reawait worker`
 * and the CLI run the built package; compiled workflows import
 * `reawait/workflow`, which resolves by package self-reference to dist).
 * Usable as a vitest globalSetup, or called from beforeAll via ensureDist()
 * (a lock directory keeps parallel test files from building at once).
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
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

/** What dist/ is built from: every file tsc and the Lua copy read, by path and content. */
function sourcesHash(): string {
  const h = createHash('sha1');
  const walk = (dir: string): void => {
    for (const e of readdirSync(path.join(ROOT, dir), { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const rel = path.join(dir, e.name);
      if (e.isDirectory()) walk(rel);
      else h.update(rel).update('\0').update(readFileSync(path.join(ROOT, rel))).update('\0');
    }
  };
  for (const d of ['compiler', 'runtime', 'bin']) walk(d);
  for (const f of ['tsconfig.json', 'tsconfig.build.json', 'package.json']) h.update(f).update(readFileSync(path.join(ROOT, f)));
  return h.digest('hex');
}

const STAMP = path.join(ROOT, 'dist/.test-build');

/**
 * Build dist/ unless it was built from these very sources (a stamp written
 * last): test files run in parallel, and one that rebuilt dist/ while
 * another's worker processes loaded it made them read a file tsc or the Lua
 * copy had just truncated (a crash at start, or an empty store script).
 * Type errors elsewhere do not stop the emit.
 */
export function ensureDist(): Promise<void> {
  built ??= lock(path.join(tmpdir(), `reawait-build-lock-${createHash('sha1').update(ROOT).digest('hex').slice(0, 12)}`), () => {
    const hash = sourcesHash();
    const needed = ['dist/runtime/redis/lua/lib.lua', 'dist/bin/reawait.js', 'dist/runtime/index.js', 'dist/runtime/workflow.js', 'dist/runtime/cli/worker.js'];
    if (existsSync(STAMP) && readFileSync(STAMP, 'utf8') === hash && needed.every((f) => existsSync(path.join(ROOT, f)))) return;
    rmSync(STAMP, { force: true });
    try {
      execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'pipe' });
    } catch {
      // tsc exits non-zero on type errors but still emits; check what we need below
    }
    // tsc does not copy the store's Lua scripts; the package build must (see runtime/redis/scripts.ts)
    cpSync(path.join(ROOT, 'runtime/redis/lua'), path.join(ROOT, 'dist/runtime/redis/lua'), { recursive: true });
    for (const f of needed) if (!existsSync(path.join(ROOT, f))) throw new Error(`building dist/ did not produce ${f}; run 'npx tsc -p tsconfig.build.json' to see why`);
    writeFileSync(STAMP, hash);
  });
  return built;
}

export default async function setup(): Promise<void> {
  await ensureDist();
}
