/**
 * Deploys that strand nothing, as a user deploys (issue 13): `reawait
 * compile` builds v1, executions start and wait on a signal, the worker is
 * killed (kill -9), v2 is compiled into the same folder (v1 is kept in
 * `<out>/.reawait/versions`) and only v2 workers run from then on. On Redis
 * (child `reawait worker` processes) and embedded (`reawait run`):
 *   (a) a change before the wait only  -> completes on v2 (auto-upgrade)
 *   (b) a change after the wait        -> completes on v1's code (pinned)
 *   (c) changed live locals + upgrade() -> completes through the upgrade
 * and a fiber of an async closure whose code changed
 *   (d) after its wait  -> completes on v1's closure code (pinned)
 *   (e) before its wait only -> moves to v2's closure code (auto)
 *   (f) a closure value kept across the wait -> calls v1's closure code
 * Without the kept builds, (b) stays ready with a problem naming the
 * versions and the line, never failed.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { compileDir } from '../compiler/compile-dir.js';
import { Client } from '../runtime/index.js';
import { startChildWorker, type ChildWorker } from './support/child-worker.js';
import { CLI, ensureDist, ROOT } from './support/global-setup.js';
import { startRedis, type RedisServer } from './support/redis-server.js';
import { DEPLOY_RESULTS, DEPLOY_V1, DEPLOY_V2 } from './support/deploy-workflows.js';

const BASE = path.join(ROOT, 'test/.compiled/deploys', String(process.pid));

const CLOSURE = (tag: string) => `export async function closure(x: number) {
  'use workflow';
  const wait = async () => (await signal<string>('go')) + '-${tag}';
  return (await wait()) + '|' + x;
}
export async function closureBefore(x: number) {
  'use workflow';
  const wait = async () => {
    await note('pre-${tag}');
    return (await signal<string>('go')) + '-post';
  };
  return (await wait()) + '|' + x;
}
export async function held(x: number) {
  'use workflow';
  const f = (k: number) => k + '-${tag}';
  const s = await signal<string>('go');
  return f(x) + '|' + s;
}
`;
/** (d), (e) and (f) a closure value kept across the wait, whose code changed: it runs v1's code. The waits are on the same lines in both builds. */
const CLOSURES = { closure: { line: 24, result: 'go-c1|7' }, closureBefore: { line: 31, result: 'go-post|7' }, held: { line: 38, result: '7-c1|go' } } as const;
const CLOSURE_NAMES = Object.keys(CLOSURES) as (keyof typeof CLOSURES)[];
const v1 = DEPLOY_V1 + CLOSURE('c1');
// v2 (the upgrade() import on line 1 keeps every line where it was).
const v2 = (v1Locals: string) => `${DEPLOY_V2.replace("signal } from 'reawait/workflow';", "signal } from 'reawait/workflow'; import { upgrade } from 'reawait';")}${CLOSURE('c2')}upgrade('locals', { version: '${v1Locals}', line: 19 }, (old: Record<string, unknown>) => ({ line: 19, locals: { n: String(old.a).length } }));
`;
const ACTIVITIES = `export async function note(s) { return s; }\n`;

/** A project folder: src/wf.ts compiled to out/ (kept builds under out/.reawait/versions). */
async function project(name: string): Promise<{ src: string; out: string; wf: string; acts: string; v1Locals: string; build(source: string): Promise<void> }> {
  const dir = path.join(BASE, name);
  const src = path.join(dir, 'src');
  const out = path.join(dir, 'out');
  mkdirSync(src, { recursive: true });
  writeFileSync(path.join(dir, 'activities.js'), ACTIVITIES);
  const build = async (source: string) => {
    writeFileSync(path.join(src, 'wf.ts'), source);
    const r = await compileDir(src, out);
    expect(r.errors).toEqual([]);
  };
  await build(v1);
  const kept = path.join(out, '.reawait/versions/wf');
  const json = readdirSync(kept).find((f) => f.endsWith('.json') && f !== 'current.json')!;
  const meta = JSON.parse(readFileSync(path.join(kept, json), 'utf8')) as { workflows: { name: string; version: string }[] };
  const v1Locals = meta.workflows.find((w) => w.name === 'locals')!.version;
  return { src, out, wf: path.join(out, 'wf.js'), acts: path.join(dir, 'activities.js'), v1Locals, build };
}

const NAMES = ['before', 'after', 'locals'] as const;
const EXPECTED = DEPLOY_RESULTS;
const LINES = { before: 7, after: 13, locals: 19 };

beforeAll(async () => {
  await ensureDist();
  rmSync(BASE, { recursive: true, force: true });
});
afterAll(() => rmSync(BASE, { recursive: true, force: true }));

describe('deploys on Redis: child workers, kill -9 between steps', () => {
  let redis: RedisServer;
  const workers: ChildWorker[] = [];
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    for (const w of workers) await w.kill9().catch(() => {});
    await redis?.stop();
  });
  const worker = async (wf: string, acts: string, prefix: string) => {
    const w = await startChildWorker({ redis: redis.url, prefix, workflows: wf, activities: acts });
    workers.push(w);
    return w;
  };

  it('(a) auto-upgrades, (b) stays on v1, (c) migrates through upgrade()', async () => {
    const p = await project('redis');
    const prefix = `deploys-${process.pid}`;
    const client = new Client({ redis: redis.url, prefix });
    onTestFinished(() => client.close());
    const w1 = await worker(p.wf, p.acts, prefix);
    const handles = await Promise.all(NAMES.map((n) => client.start(n, [7])));
    const closures = await Promise.all(CLOSURE_NAMES.map((n) => client.start(n, [7])));
    for (const [i, h] of handles.entries()) await expect.poll(async () => (await h.describe()).waitingAt?.line, { timeout: 60_000, interval: 100 }).toBe(LINES[NAMES[i]!]);
    for (const [i, h] of closures.entries()) await expect.poll(async () => (await h.describe()).waitingAt?.line, { timeout: 60_000, interval: 100 }).toBe(CLOSURES[CLOSURE_NAMES[i]!].line);
    await w1.kill9();

    await p.build(v2(p.v1Locals));
    // reawait versions on Redis: every fiber counts, the closures' by their own builds.
    const versions = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, [CLI, 'versions', p.out, '--redis', redis.url, '--prefix', prefix, '--json'], { cwd: ROOT }, (err, stdout, stderr) => (err ? reject(new Error(stderr)) : resolve(stdout))),
    );
    const report = JSON.parse(versions) as { workflows: { workflow: string; versions: { current: boolean; waiting: { line: number; verdict: string }[] }[] }[] };
    const seen = Object.fromEntries(report.workflows.map((w) => [w.workflow, w.versions.flatMap((v) => v.waiting.map((x) => `${v.current ? 'v2' : 'v1'} line ${x.line}: ${x.verdict}`))]));
    expect(seen).toMatchObject({ 'closure/1': ['v1 line 24: pinned'], 'closureBefore/1': ['v1 line 31: auto'], held: ['v1 line 38: pinned'] });
    const w2 = await worker(p.wf, p.acts, prefix);
    await w2.kill9(); // a v2 worker dies before anything reaches it
    await worker(p.wf, p.acts, prefix);
    for (const h of handles) await h.signal('go', 'go');
    const results = await Promise.all(handles.map((h) => h.result({ timeoutMs: 60_000 })));
    expect(Object.fromEntries(NAMES.map((n, i) => [n, results[i]]))).toEqual(EXPECTED);
    const how = await Promise.all(handles.map(async (h) => (await h.describe()).history.filter((e) => e.type === 'upgraded').map((e) => e.how)));
    expect(how).toEqual([['auto'], [], ['migrate']]);
    for (const h of closures) await h.signal('go', 'go');
    const closed = await Promise.all(closures.map((h) => h.result({ timeoutMs: 60_000 })));
    expect(closed).toEqual(CLOSURE_NAMES.map((n) => CLOSURES[n].result));
    const closureHow = await Promise.all(closures.map(async (h) => (await h.describe()).history.filter((e) => e.type === 'upgraded').map((e) => `${e.fn}:${e.how}`)));
    expect(closureHow).toEqual([[], ['closureBefore/1:auto'], []]);
  }, 240_000);

  it('without the kept builds, a changed point stays ready with a problem naming versions and line', async () => {
    const p = await project('redis-bare');
    const prefix = `deploys-bare-${process.pid}`;
    const client = new Client({ redis: redis.url, prefix });
    onTestFinished(() => client.close());
    const w1 = await worker(p.wf, p.acts, prefix);
    const h = await client.start('after', [7]);
    await expect.poll(async () => (await h.describe()).waitingAt?.line, { timeout: 60_000, interval: 100 }).toBe(13);
    await w1.kill9();
    await p.build(v2(p.v1Locals));
    const aside = path.join(p.out, '..', 'kept-aside');
    renameSync(path.join(p.out, '.reawait'), aside);
    const bare = await worker(p.wf, p.acts, prefix);
    await h.signal('go', 'go');
    await expect.poll(async () => (await h.describe()).problem, { timeout: 60_000, interval: 100 }).toMatch(/workflow 'after' was suspended by version \w+ at line 13 but this process has version \w+/);
    expect((await h.describe()).status).toBe('ready');
    // The kept builds come back: a worker that has them finishes the execution on v1.
    await bare.kill9();
    renameSync(aside, path.join(p.out, '.reawait'));
    await worker(p.wf, p.acts, prefix);
    expect(await h.result({ timeoutMs: 60_000 })).toBe('a7|go|after-v1');
  }, 240_000);
});

describe('deploys embedded: reawait run, kill -9 between steps', () => {
  const run = (args: string[], command = 'run') => {
    const proc = spawn(process.execPath, [CLI, command, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
    onTestFinished(() => void (proc.exitCode === null && proc.kill('SIGKILL')));
    const waitFor = (re: RegExp) =>
      new Promise<void>((resolve, reject) => {
        const check = () => re.test(err) && resolve();
        proc.stderr!.on('data', check);
        void exited.then(() => reject(new Error(`exited before stderr matched ${re}:\n${err}`)));
        check();
      });
    return { proc, exited, waitFor, stdout: () => out, stderr: () => err };
  };

  it('(a) auto-upgrades, (b) stays on v1, (c) migrates through upgrade()', async () => {
    const p = await project('local');
    const dir = path.join(BASE, 'local', 'state');
    const lines: Record<string, number> = { ...LINES, ...Object.fromEntries(CLOSURE_NAMES.map((n) => [n, CLOSURES[n].line])) };
    for (const n of [...NAMES, ...CLOSURE_NAMES]) {
      const r = run([n, '--workflows', p.wf, '--activities', p.acts, '--args', '[7]', '--id', n, '--dir', dir]);
      await r.waitFor(new RegExp(`waiting at .*wf\\.ts:${lines[n]}`));
      r.proc.kill('SIGKILL');
      await r.exited;
    }
    await p.build(v2(p.v1Locals));
    // reawait versions: what a v2 worker will do with each waiting execution.
    type Report = { workflows: { workflow: string; versions: { current: boolean; waiting: { line: number; count: number; verdict: string }[] }[] }[]; pruned?: string[] };
    const versions = async (...extra: string[]): Promise<Report> => {
      const v = run([p.out, '--dir', dir, '--json', ...extra], 'versions');
      expect(await v.exited, v.stderr()).toBe(0);
      return JSON.parse(v.stdout()) as Report;
    };
    const before = await versions();
    const seen = Object.fromEntries(before.workflows.map((w) => [w.workflow, w.versions.flatMap((v) => v.waiting.map((x) => `${v.current ? 'v2' : 'v1'} line ${x.line} x${x.count}: ${x.verdict}`))]));
    // Every fiber counts: the closures' roots stay on v1 (their live x and the closures' code changed), the closures' fibers as their points say.
    expect(seen).toEqual({
      before: ['v1 line 7 x1: auto'],
      after: ['v1 line 13 x1: pinned'],
      locals: ['v1 line 19 x1: pinned'],
      closure: ['v1 line 25 x1: pinned'],
      'closure/1': ['v1 line 24 x1: pinned'],
      closureBefore: ['v1 line 33 x1: pinned'],
      'closureBefore/1': ['v1 line 31 x1: auto'],
      held: ['v1 line 38 x1: pinned'],
    });
    // Executions still need v1: --prune keeps it.
    expect((await versions('--prune')).pruned).toEqual([]);
    const expected: Record<string, string> = { ...EXPECTED, ...Object.fromEntries(CLOSURE_NAMES.map((n) => [n, CLOSURES[n].result])) };
    for (const n of [...NAMES, ...CLOSURE_NAMES]) {
      const r = run([n, '--workflows', p.wf, '--activities', p.acts, '--args', '[7]', '--id', n, '--dir', dir]);
      await r.waitFor(/waiting at/);
      const sig = run([n, 'go', '--data', '"go"', '--dir', dir], 'signal');
      expect(await sig.exited, sig.stderr()).toBe(0);
      expect(await r.exited, r.stderr()).toBe(0);
      expect(JSON.parse(r.stdout())).toBe(expected[n]);
    }
    const upgrades = async (id: string): Promise<string[]> => {
      const status = run([id, '--dir', dir], 'status');
      expect(await status.exited).toBe(0);
      return (JSON.parse(status.stdout()) as { history: { type: string; fn?: string; how?: string }[] }).history.filter((e) => e.type === 'upgraded').map((e) => `${e.fn}:${e.how}`);
    };
    expect(await upgrades('locals')).toEqual(['locals:migrate']);
    expect(await upgrades('closure')).toEqual([]);
    expect(await upgrades('closureBefore')).toEqual(['closureBefore/1:auto']);
    expect(await upgrades('held')).toEqual([]);
    // Nothing waits any more: --prune removes the v1 build and keeps the current one.
    expect((await versions('--prune')).pruned).toHaveLength(1);
    expect(readdirSync(path.join(p.out, '.reawait/versions/wf')).filter((f) => f.endsWith('.js'))).toHaveLength(1);
  }, 240_000);
  it('a closure made by v1 and held by an execution that runs on v2 runs v1 code, and keeps v1 from --prune', async () => {
    const dir = path.join(BASE, 'held-elsewhere');
    const src = path.join(dir, 'src');
    const out = path.join(dir, 'out');
    const state = path.join(dir, 'state');
    mkdirSync(src, { recursive: true });
    writeFileSync(path.join(dir, 'activities.js'), ACTIVITIES);
    // make's closure changes in v2; holder's code does not (v2's holder is v1's), but the closure it holds was made by v1's make.
    const source = (tag: string) => `import { signal } from 'reawait/workflow';
export async function make(tag: string) {
  'use workflow';
  return (k: number) => k + '-' + tag + '-${tag}';
}
export async function holder(x: number) {
  'use workflow';
  const f = await make('m');
  const s = await signal<string>('go');
  return f(x) + '|' + s;
}
`;
    const build = async (tag: string) => {
      writeFileSync(path.join(src, 'wf.ts'), source(tag));
      expect((await compileDir(src, out)).errors).toEqual([]);
    };
    await build('c1');
    const args = ['holder', '--workflows', path.join(out, 'wf.js'), '--activities', path.join(dir, 'activities.js'), '--args', '[7]', '--id', 'holder', '--dir', state];
    const first = run(args);
    await first.waitFor(/waiting at .*wf\.ts:9/);
    first.proc.kill('SIGKILL');
    await first.exited;
    await build('c2');
    const versions = async (...extra: string[]) => {
      const v = run([out, '--dir', state, '--json', ...extra], 'versions');
      expect(await v.exited, v.stderr()).toBe(0);
      return JSON.parse(v.stdout()) as { workflows: { workflow: string; versions: { waiting: { verdict: string }[] }[] }[]; pruned?: string[] };
    };
    const report = await versions('--prune');
    expect(report.workflows.find((w) => w.workflow === 'holder')!.versions.flatMap((v) => v.waiting.map((x) => x.verdict))).toEqual(['current']);
    expect(report.pruned).toEqual([]); // the closure holder keeps was made by v1's make
    const again = run(args);
    await again.waitFor(/waiting at/);
    const sig = run(['holder', 'go', '--data', '"go"', '--dir', state], 'signal');
    expect(await sig.exited, sig.stderr()).toBe(0);
    expect(await again.exited, again.stderr()).toBe(0);
    expect(JSON.parse(again.stdout())).toBe('7-m-c1|go');
    expect((await versions('--prune')).pruned).toHaveLength(1);
  }, 240_000);
});
