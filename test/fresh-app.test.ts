/**
 * A new user's app, made as the README's quick start says (`npm init -y &&
 * npm pkg set type=module`) and from the packed tarball: `npm pack` of this
 * package unpacked as the app's node_modules/reawait (its dependencies, and
 * the app's TypeScript, Vitest and @types/node, linked from this checkout's
 * node_modules: no network). The app is ESM with a strict tsconfig; one
 * file starts, signals and awaits a workflow imported from its source with
 * no cast. It must type-check, run through the Node loader, pass a Vitest
 * test that uses the Vite plugin, and run compiled with plain node.
 */
import { execFileSync, execSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDist, ROOT } from './support/global-setup.js';

const HOME = mkdtempSync(path.join(tmpdir(), 'reawait-fresh-app-'));
/** A folder name npm init takes as the package name as it is. */
const APP = path.join(HOME, 'my-app');
const README = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const PKG = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string; dependencies: Record<string, string> };

const FILES: Record<string, string> = {
  'tsconfig.json': JSON.stringify(
    { compilerOptions: { strict: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', noEmit: true, skipLibCheck: true, types: ['node'] }, include: ['src', 'test', 'vitest.config.ts'] },
    null,
    2,
  ),
  'src/activities.ts': `export async function encode(file: string): Promise<string> {
  return file.replace(/\\.mov$/, '.mp4');
}
`,
  'src/workflow.ts': `import { proxyActivities, signal, sleep } from 'reawait/workflow';
import type * as activities from './activities.js';

const { encode } = proxyActivities<typeof activities>({ retries: 2, timeout: '30s' });

export async function publish(files: string[]): Promise<{ published: string[]; approved: boolean }> {
  'use workflow';
  const encoded = await Promise.all(files.map((f) => encode(f)));
  const approved = (await signal<boolean>('approve', { timeout: '1 day' })) ?? false;
  await sleep('10ms');
  return { published: approved ? encoded : [], approved };
}
`,
  'src/app.ts': `import { Client, Worker } from 'reawait';
import * as activities from './activities.js';
import { publish } from './workflow.js';

const backend = { store: 'local', dir: process.argv[2] ?? '.reawait' } as const;
const worker = new Worker({ ...backend, workflows: [{ publish }], activities });
await worker.run();
const client = new Client(backend);
const handle = await client.start(publish, [['a.mov', 'b.mov']], { id: 'fresh-1' });
await handle.signal('approve', true);
const result = await handle.result();
const published: string[] = result.published;
console.log(JSON.stringify({ published, approved: result.approved }));
await client.close();
await worker.close();
`,
  'test/workflow.test.ts': `import { expect, it } from 'vitest';
import { runWorkflow } from 'reawait/testing';
import * as activities from '../src/activities.js';
import { publish } from '../src/workflow.js';

it('publishes when approved, on the virtual clock', async () => {
  const out = await runWorkflow(publish, [['x.mov']], { activities, timeline: [{ at: '2h', signal: 'approve', payload: true }] });
  expect(out.result).toEqual({ published: ['x.mp4'], approved: true });
  expect(out.virtualMs).toBe(2 * 3600_000 + 10);
});
`,
  'vitest.config.ts': `import { defineConfig } from 'vitest/config';
import reawait from 'reawait/vite';

export default defineConfig({ plugins: [reawait()], test: { include: ['test/**/*.test.ts'] } });
`,
};

const EXPECTED = { published: ['a.mp4', 'b.mp4'], approved: true };

function run(args: string[]) {
  const { REDIS_URL: _unused, NODE_OPTIONS: _options, ...env } = process.env;
  return spawnSync(process.execPath, args, { cwd: APP, encoding: 'utf8', timeout: 180_000, env });
}

describe('a fresh app from the packed tarball', () => {
  beforeAll(async () => {
    await ensureDist();
    // the README quick start's first command makes the package.json (the second, npm install, is the tarball below: no network)
    mkdirSync(APP);
    const quickstart = README.slice(README.indexOf('## A new app in five minutes'));
    const init = /```sh\n(.*)\n/.exec(quickstart)![1]!;
    expect(init).toBe('npm init -y && npm pkg set type=module');
    execSync(init, { cwd: APP, stdio: 'pipe' });
    const pkg = JSON.parse(readFileSync(path.join(APP, 'package.json'), 'utf8')) as { name: string; type: string };
    expect(pkg).toMatchObject({ name: 'my-app', type: 'module' });
    const packs = path.join(APP, '.packs');
    mkdirSync(packs);
    execFileSync('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', packs], { cwd: ROOT, stdio: 'pipe' });
    const [tarball] = readdirSync(packs);
    expect(tarball).toBe(`reawait-${PKG.version}.tgz`);
    mkdirSync(path.join(APP, 'node_modules/reawait'), { recursive: true });
    execFileSync('tar', ['-xzf', path.join(packs, tarball!), '-C', path.join(APP, 'node_modules/reawait'), '--strip-components=1']);
    const link = (name: string) => {
      mkdirSync(path.dirname(path.join(APP, 'node_modules', name)), { recursive: true });
      symlinkSync(path.join(ROOT, 'node_modules', name), path.join(APP, 'node_modules', name));
    };
    for (const dep of [...Object.keys(PKG.dependencies), 'typescript', 'vitest', 'vite', '@types/node']) link(dep);
    for (const [file, text] of Object.entries(FILES)) {
      mkdirSync(path.dirname(path.join(APP, file)), { recursive: true });
      writeFileSync(path.join(APP, file), text);
    }
  }, 180_000);
  afterAll(() => rmSync(HOME, { recursive: true, force: true }));

  it('the tarball holds the built package only', () => {
    const top = readdirSync(path.join(APP, 'node_modules/reawait')).sort();
    expect(top).toEqual(['README.md', 'dist', 'package.json']);
  }, 180_000);

  it('type-checks under strict with no cast (app, test and vitest config)', () => {
    const r = run(['node_modules/typescript/bin/tsc', '-p', '.']);
    expect(`${r.stdout}${r.stderr}`).toBe('');
    expect(r.status).toBe(0);
  }, 180_000);

  it('runs through the loader: node --import reawait/register src/app.ts', () => {
    const r = run(['--import', 'reawait/register', 'src/app.ts', path.join(APP, '.state-loader')]);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual(EXPECTED);
  }, 180_000);

  it('passes its Vitest test through the Vite plugin', () => {
    const r = run(['node_modules/vitest/vitest.mjs', 'run']);
    expect(`${r.stdout}${r.stderr}`.replace(/\x1b\[[0-9;]*m/g, '')).toMatch(/Tests\s+1 passed/);
    expect(r.status).toBe(0);
  }, 180_000);

  it("the README's babel.config.js compiles the app's TypeScript workflow with Babel", () => {
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const config = [...readme.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]!).find((b) => b.startsWith('// babel.config.js'));
    expect(config, 'README has a // babel.config.js block').toBeDefined();
    writeFileSync(path.join(APP, 'babel.config.mjs'), config!);
    writeFileSync(
      path.join(APP, 'babel-check.mjs'),
      `import { transformAsync } from '@babel/core';\nimport { readFileSync } from 'node:fs';\nimport config from './babel.config.mjs';\n` +
        `const out = await transformAsync(readFileSync('src/workflow.ts', 'utf8'), { ...config, filename: 'src/workflow.ts', babelrc: false, configFile: false });\nprocess.stdout.write(out.code);\n`,
    );
    const r = run(['babel-check.mjs']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('defineWorkflow');
    expect(r.stdout).not.toContain('files: string[]'); // types stripped
  }, 180_000);

  it('runs compiled: npx reawait compile src --out build, then node build/app.js', () => {
    const bin = 'node_modules/reawait/dist/bin/reawait.js';
    expect(run([bin, '--version']).stdout).toBe(`${PKG.version}\n`);
    const c = run([bin, 'compile', 'src', '--out', 'build']);
    expect(c.stderr).toBe('');
    expect(c.status).toBe(0);
    const r = run(['build/app.js', path.join(APP, '.state-compiled')]);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual(EXPECTED);
  }, 180_000);
});
