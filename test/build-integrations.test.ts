/**
 * The build integrations on a small TypeScript app written as people write
 * them (extensionless imports, a folder import, `./util.js` for util.ts):
 * `node --import reawait/register app.ts` compiles on load and maps stack
 * traces to the source; the Vite plugin compiles workflows under Vitest;
 * `reawait compile` rewrites extensionless and folder imports in its output
 * so that plain Node runs it.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import reawaitEsbuild from '../compiler/esbuild.js';
import { CLI, ensureDist, ROOT } from './support/global-setup.js';

const APP = path.join(ROOT, 'test/.compiled/integrations-app');

const FILES: Record<string, string> = {
  'src/activities.ts': `export async function encodeVideo(file: string): Promise<string> {
  return file.replace(/\\.mov$/, '.mp4');
}
`,
  'src/lib/index.ts': `export const playlistOf = (files: readonly string[]): string => ['#EXTM3U', ...files].join('\\n');
`,
  'src/util.ts': `export function count<T>(xs: readonly T[]): number {
  return xs.length;
}
`,
  'src/workflow.ts': `import { proxyActivities, signal } from 'reawait/workflow';
import type * as activities from './activities';
import { playlistOf } from './lib';
import { count } from './util.js';

const { encodeVideo } = proxyActivities<typeof activities>({ retries: 1, timeout: '1 minute' });

export async function videoPipeline(files: string[]): Promise<{ playlist: string; count: number; approved: boolean | undefined }> {
  'use workflow';
  const encoded: string[] = await Promise.all(files.map((f) => encodeVideo(f)));
  const approved = await signal<boolean>('approve', { timeout: '1 day' });
  return { playlist: playlistOf(encoded), count: count(encoded), approved };
}
`,
  'src/app.ts': `import { Client, Worker } from 'reawait';
import * as activities from './activities';
import { videoPipeline } from './workflow';

const dir = process.argv[2]!;
const worker = new Worker({ store: 'local', dir, workflows: [{ videoPipeline }], activities });
await worker.run();
const client = new Client({ store: 'local', dir });
const handle = await client.start(videoPipeline, [['a.mov', 'b.mov']]);
await handle.signal('approve', true);
const result = await handle.result();
console.log(JSON.stringify(result));
await client.close();
await worker.close();
`,
  'src/boom.ts': `interface Shape {
  kind: 'circle' | 'square';
  size: number;
}
type Alias = Shape;

export function explode(s: Alias): never {
  throw new Error(\`boom: \${s.kind}\`);
}

explode({ kind: 'circle', size: 1 });
`,
  'vite/workflow.test.ts': `import { expect, it } from 'vitest';
import { runWorkflow } from 'reawait/testing';
import * as activities from '../src/activities';
import { videoPipeline } from '../src/workflow';

it('runs the workflow compiled by the Vite plugin', async () => {
  const r = await runWorkflow(videoPipeline, [['x.mov']], { activities, signals: { approve: false } });
  expect(r.result).toEqual({ playlist: '#EXTM3U\\nx.mp4', count: 1, approved: false });
  expect(r.suspensions).toBeGreaterThan(0);
});
`,
  'vite/vitest.config.ts': `import { defineConfig } from 'vitest/config';
import reawait from 'reawait/vite';

export default defineConfig({ plugins: [reawait()], test: { include: ['vite/*.test.ts'] } });
`,
};

const EXPECTED = { playlist: '#EXTM3U\na.mp4\nb.mp4', count: 2, approved: true };

function node(args: string[]) {
  return spawnSync(process.execPath, args, { cwd: APP, encoding: 'utf8', timeout: 120_000, env: { ...process.env, NODE_OPTIONS: '' } });
}

describe('build integrations', () => {
  beforeAll(async () => {
    await ensureDist(); // 'reawait', 'reawait/register' and 'reawait/vite' resolve to the built package (self-reference)
    rmSync(APP, { recursive: true, force: true });
    for (const [file, text] of Object.entries(FILES)) {
      mkdirSync(path.dirname(path.join(APP, file)), { recursive: true });
      writeFileSync(path.join(APP, file), text);
    }
  }, 120_000);

  it('node --import reawait/register runs the TypeScript app: workflows compiled on load, TypeScript-style imports resolved', () => {
    const r = node(['--import', 'reawait/register', 'src/app.ts', path.join(APP, '.state-register')]);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual(EXPECTED);
  }, 180_000);

  it('the loader caches what it compiled (node_modules/.cache/reawait): a second start reads it, a changed source compiles again', () => {
    const cache = path.join(APP, 'node_modules/.cache/reawait');
    rmSync(cache, { recursive: true, force: true });
    const first = node(['--import', 'reawait/register', 'src/app.ts', path.join(APP, '.state-cache-1')]);
    expect(first.stderr).toBe('');
    const entries = readdirSync(cache).filter((f) => f.endsWith('.js'));
    expect(entries.length).toBe(5); // app, activities, workflow, lib/index, util
    const second = node(['--import', 'reawait/register', 'src/app.ts', path.join(APP, '.state-cache-2')]);
    expect(JSON.parse(second.stdout)).toEqual(EXPECTED);
    expect(readdirSync(cache).filter((f) => f.endsWith('.js')).sort()).toEqual(entries.sort()); // nothing compiled again
    const util = path.join(APP, 'src/util.ts');
    const saved = readFileSync(util, 'utf8');
    writeFileSync(util, saved.replace('return xs.length;', 'return xs.length * 10;'));
    try {
      const changed = node(['--import', 'reawait/register', 'src/app.ts', path.join(APP, '.state-cache-3')]);
      expect(JSON.parse(changed.stdout)).toEqual({ ...EXPECTED, count: 20 });
      expect(readdirSync(cache).filter((f) => f.endsWith('.js')).length).toBe(6); // util.ts again
    } finally {
      writeFileSync(util, saved);
    }
  }, 180_000);

  it('under the loader, a stack trace points at the TypeScript source line', () => {
    const r = node(['--import', 'reawait/register', 'src/boom.ts']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('boom: circle');
    expect(r.stderr).toMatch(new RegExp(`at explode \\(.*src/boom\\.ts:8:9\\)`));
  }, 180_000);

  it('the Vite plugin compiles workflows under Vitest', () => {
    const r = node([path.join(ROOT, 'node_modules/vitest/vitest.mjs'), 'run', '--config', 'vite/vitest.config.ts', '--root', APP]);
    expect(`${r.stdout}${r.stderr}`).toMatch(/1 passed/);
    expect(r.status).toBe(0);
  }, 180_000);

  it('the esbuild plugin bundles the app with its workflows compiled (packages left external)', async () => {
    const outfile = path.join(APP, 'bundle/app.mjs');
    const result = await build({ entryPoints: [path.join(APP, 'src/app.ts')], bundle: true, platform: 'node', format: 'esm', packages: 'external', outfile, sourcemap: 'inline', logLevel: 'silent', plugins: [reawaitEsbuild()] });
    expect(result.errors).toEqual([]);
    const code = readFileSync(outfile, 'utf8');
    expect(code).toContain('defineWorkflow');
    const r = node([outfile, path.join(APP, '.state-esbuild')]);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual(EXPECTED);
  }, 180_000);

  it('reawait compile rewrites extensionless and folder imports, so plain node runs the output', () => {
    const c = node([CLI, 'compile', 'src', '--out', 'build']);
    expect(c.stderr).toBe('');
    expect(c.status).toBe(0);
    const wf = readFileSync(path.join(APP, 'build/workflow.js'), 'utf8');
    expect(wf).toMatch(/from ["']\.\/lib\/index\.js["']/);
    expect(wf).toMatch(/from ["']\.\/util\.js["']/);
    const app = readFileSync(path.join(APP, 'build/app.js'), 'utf8');
    expect(app).toMatch(/from ["']\.\/activities\.js["']/);
    expect(app).toMatch(/from ["']\.\/workflow\.js["']/);
    const r = node(['build/app.js', path.join(APP, '.state-compiled')]);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual(EXPECTED);
  }, 180_000);
});
