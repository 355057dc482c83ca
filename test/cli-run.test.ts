/**
 * `reawait run` as a user runs it (the built CLI, a child process): plain
 * progress lines when stderr is not a terminal, the result as JSON on stdout,
 * exit codes, clear errors, two runs sharing one database, other commands
 * reading and writing it while a run works, Ctrl+C with a resume hint, and
 * kill -9 mid-group followed by a resume that re-runs no completed activity.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { openDatabase } from '../runtime/sqlite/database.js';
import { SqliteStore } from '../runtime/sqlite/sqlite-store.js';
import { startChildWorker, writeModule, writeWorkflowModule } from './support/child-worker.js';
import { CLI, ensureDist, ROOT } from './support/global-setup.js';

const WORKFLOWS = `
import { proxyActivities, signal } from 'reawait/workflow';
const acts = proxyActivities<Record<string, (...a: any[]) => Promise<any>>>({});

export async function fanOut(n: number) {
  'use workflow';
  const xs: number[] = [];
  for (let i = 0; i < n; i++) xs.push(i);
  const parts = await Promise.all(xs.map((x) => acts.work(x)));
  const total = await acts.sum(parts);
  return { parts, total };
}

export async function approval(n: number) {
  'use workflow';
  const first = await acts.work(n);
  const answer = await signal<string>('approve', { timeout: '1 day' });
  return { first, answer };
}

export async function fails(msg: string) {
  'use workflow';
  await acts.work(0);
  throw new RangeError(msg);
}

export async function fixable(n: number) {
  'use workflow';
  const first = await acts.work(n);
  const second = await acts.fixable();
  return { first, second };
}

export async function throwsValue(kind: string) {
  'use workflow';
  await acts.work(0);
  throw kind === 'undefined' ? undefined : { code: kind };
}
`;

// Each call appends 'start <key>' and, when done, 'done <key>' to RUNS_FILE:
// its side effect, keyed by the idempotency key. Calls x >= FAST run SLOW_MS.
const ACTIVITIES = `
import { appendFileSync, existsSync } from 'node:fs';
import { activityContext } from 'reawait';
const log = (line) => appendFileSync(process.env.RUNS_FILE, line + '\\n');
export async function work(x) {
  const key = activityContext().idempotencyKey;
  log('start ' + key);
  const ms = x >= Number(process.env.FAST ?? 1e9) ? Number(process.env.SLOW_MS ?? 0) : 20;
  await new Promise((r) => setTimeout(r, ms));
  log('done ' + key);
  return x * 10;
}
// Fails (no retries) until FIX_FILE exists: the fix a retry runs on.
export async function fixable() {
  log('fixable ' + activityContext().idempotencyKey);
  if (!existsSync(process.env.FIX_FILE ?? '')) throw new Error('not fixed yet');
  return 'fixed';
}
export async function sum(xs) {
  return xs.reduce((a, b) => a + b, 0);
}
`;

let wf = '';
let acts = '';
const root = mkdtempSync(path.join(tmpdir(), 'reawait-cli-run-'));
let n = 0;
const fresh = () => {
  const d = path.join(root, `r${++n}`);
  return { dir: path.join(d, 'state'), runs: path.join(d, 'runs.txt') };
};

beforeAll(async () => {
  await ensureDist();
  wf = writeWorkflowModule('run-workflows', WORKFLOWS);
  acts = writeModule('run-activities', ACTIVITIES);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

interface Run {
  proc: ChildProcess;
  stdout(): string;
  stderr(): string;
  exited: Promise<number | null>;
  /** Resolves once stderr matches. */
  waitFor(re: RegExp): Promise<void>;
}

function run(args: string[], env: Record<string, string> = {}, command = 'run'): Run {
  const proc = spawn(process.execPath, [CLI, command, ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  return {
    proc,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitFor: (re) =>
      new Promise<void>((resolve, reject) => {
        const check = () => re.test(err) && (proc.stderr!.off('data', check), resolve());
        proc.stderr!.on('data', check);
        void exited.then(() => reject(new Error(`reawait run exited before stderr matched ${re}:\n${err}`)));
        check();
      }),
  };
}

const lines = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n') : []);
const count = (file: string, line: string) => lines(file).filter((l) => l === line).length;

describe('reawait run', () => {
  it('not on a terminal: one plain progress line per change on stderr, the result as JSON on stdout, exit 0', async () => {
    const { dir, runs } = fresh();
    // calls slow enough that the progress poll sees the execution waiting
    const r = run(['fanOut', '--workflows', wf, '--activities', acts, '--args', '[3]', '--id', 'plain', '--dir', dir], { RUNS_FILE: runs, FAST: '0', SLOW_MS: '400' });
    expect(await r.exited).toBe(0);
    expect(JSON.parse(r.stdout())).toEqual({ parts: [0, 10, 20], total: 30 });
    const err = r.stderr();
    expect(err).toContain(`reawait run: started fanOut as plain (state in ${dir})`);
    expect(err).toMatch(/^ {2}waiting at procs\/run-workflows\.ts:\d+, \d\/3 calls, for work( ×[23])?$/m); // and what it waits for
    expect(err).toMatch(/^ {2}completed, 4\/4 calls$/m); // the whole run: calls done of calls started
    expect(err).not.toContain('\r'); // no bar redraws off a terminal
    // running it again with the same id prints the same result without running anything
    const again = run(['fanOut', '--workflows', wf, '--activities', acts, '--args', '[3]', '--id', 'plain', '--dir', dir], { RUNS_FILE: runs });
    expect(await again.exited).toBe(0);
    expect(JSON.parse(again.stdout())).toEqual({ parts: [0, 10, 20], total: 30 });
    expect(lines(runs).filter((l) => l.startsWith('start'))).toHaveLength(3);
  });

  it('the other commands read the folder with --dir once the run has ended', async () => {
    const { dir, runs } = fresh();
    expect(await run(['fanOut', '--workflows', wf, '--activities', acts, '--args', '[1]', '--id', 'inspect', '--dir', dir], { RUNS_FILE: runs }).exited).toBe(0);
    const status = run(['inspect', '--dir', dir], {}, 'status');
    expect(await status.exited).toBe(0);
    expect(JSON.parse(status.stdout())).toMatchObject({ id: 'inspect', status: 'completed', workflow: 'fanOut', result: { parts: [0], total: 0 } });
    const list = run(['--dir', dir], {}, 'list');
    expect(await list.exited).toBe(0);
    expect(list.stdout()).toMatch(/^inspect\tfanOut\tcompleted\t/m);
    // a mistyped folder is an error, not a new empty backend
    const typo = run(['--dir', `${dir}-typo`], {}, 'list');
    expect(await typo.exited).toBe(2);
    expect(typo.stderr()).toContain(`--dir ${dir}-typo: no such folder`);
    expect(existsSync(`${dir}-typo`)).toBe(false);
  });

  it('while reawait run works, status, list and signal from other processes read and write the same database', async () => {
    const { dir, runs } = fresh();
    const r = run(['approval', '--workflows', wf, '--activities', acts, '--args', '[2]', '--id', 'ask', '--dir', dir], { RUNS_FILE: runs });
    onTestFinished(() => void (r.proc.exitCode === null && r.proc.kill('SIGKILL'))); // it waits for a signal: never leave it behind
    // the progress line says what it waits for, with when the wait times out (from the saved state)
    await r.waitFor(/waiting at procs\/run-workflows\.ts:\d+, 1\/2 calls, for signal 'approve' \(times out \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\)$/m);
    await expect.poll(async () => {
      const s = run(['ask', '--dir', dir], {}, 'status');
      return (await s.exited) === 0 ? (JSON.parse(s.stdout()) as { status: string; history: { type: string }[] }).history.some((e) => e.type === 'call completed') : false;
    }, { timeout: 10_000, interval: 100 }).toBe(true);
    const list = run(['--dir', dir], {}, 'list');
    expect(await list.exited).toBe(0);
    expect(list.stdout()).toMatch(/^ask\tapproval\twaiting\t/m);
    const missing = run(['nobody', 'approve', '--dir', dir], {}, 'signal');
    expect(await missing.exited).toBe(1);
    expect(missing.stderr()).toContain(`no execution with id 'nobody'`);
    const sig = run(['ask', 'approve', '--data', '"yes"', '--dir', dir], {}, 'signal');
    expect(await sig.exited, sig.stderr()).toBe(0);
    expect(await r.exited).toBe(0);
    expect(JSON.parse(r.stdout())).toEqual({ first: 20, answer: 'yes' });
  });

  it('a failed workflow exits 1 with its error on stderr', async () => {
    const { dir, runs } = fresh();
    const r = run(['fails', '--workflows', wf, '--activities', acts, '--args', '["no good"]', '--dir', dir], { RUNS_FILE: runs });
    expect(await r.exited).toBe(1);
    expect(r.stdout()).toBe('');
    expect(r.stderr()).toMatch(/reawait run: fails failed: RangeError: no good/);
  });

  it('a workflow that throws a non-Error shows it as thrown: undefined stays undefined, an object stays an object', async () => {
    const { dir, runs } = fresh();
    const r1 = run(['throwsValue', '--workflows', wf, '--activities', acts, '--args', '["undefined"]', '--dir', dir], { RUNS_FILE: runs });
    expect(await r1.exited).toBe(1);
    expect(r1.stderr()).toMatch(/reawait run: throwsValue failed: undefined$/m);
    const r2 = run(['throwsValue', '--workflows', wf, '--activities', acts, '--args', '["E42"]', '--dir', dir], { RUNS_FILE: runs });
    expect(await r2.exited).toBe(1);
    expect(r2.stderr()).toMatch(/reawait run: throwsValue failed: \{ code: 'E42' \}$/m);
  });

  it('an unknown workflow or module is a clear usage error (exit 2)', async () => {
    const { dir } = fresh();
    const r1 = run(['nope', '--workflows', wf, '--activities', acts, '--dir', dir]);
    expect(await r1.exited).toBe(2);
    expect(r1.stderr()).toContain(`reawait: unknown workflow 'nope'; the workflows in ${wf} are: approval, fails, fanOut`);
    const r2 = run(['fanOut', '--workflows', 'no/such/module.js', '--activities', acts, '--dir', dir]);
    expect(await r2.exited).toBe(2);
    expect(r2.stderr()).toContain(`reawait: cannot load workflow module 'no/such/module.js'`);
    expect(r2.stderr()).toContain('usage: npx reawait run <workflow> --workflows <module…> [options]');
  });

  it('a second run of the same --id on the same folder shares the work: both print the result, each call runs once', async () => {
    const { dir, runs } = fresh();
    const args = ['fanOut', '--workflows', wf, '--activities', acts, '--args', '[2]', '--id', 'shared', '--dir', dir];
    const first = run(args, { RUNS_FILE: runs, FAST: '0', SLOW_MS: '1500' });
    await first.waitFor(/0\/2 calls/);
    const second = run(args, { RUNS_FILE: runs, FAST: '0', SLOW_MS: '1500' });
    expect([await first.exited, await second.exited]).toEqual([0, 0]);
    expect(second.stderr()).toContain('reawait run: resuming fanOut as shared');
    for (const r of [first, second]) expect(JSON.parse(r.stdout())).toEqual({ parts: [0, 10], total: 10 });
    for (const op of [1, 2]) expect(count(runs, `start shared:${op}`)).toBe(1);
  });

  it('Ctrl+C stops gracefully and prints how to resume; the resume completes', async () => {
    const { dir, runs } = fresh();
    const args = ['fanOut', '--workflows', wf, '--activities', acts, '--args', '[4]', '--id', 'ctrl-c', '--dir', dir];
    const r = run(args, { RUNS_FILE: runs, FAST: '2', SLOW_MS: '400' });
    await r.waitFor(/2\/4 calls/);
    r.proc.kill('SIGINT');
    expect(await r.exited).toBe(130);
    expect(r.stderr()).toContain('reawait run: stopped. Resume with:');
    expect(r.stderr()).toContain(`npx reawait run fanOut --workflows ${wf} --activities ${acts} --args '[4]' --dir ${dir} --id ctrl-c`);
    // graceful: the running calls finished and were recorded, so the resume runs nothing again
    const resumed = run(args, { RUNS_FILE: runs });
    expect(await resumed.exited).toBe(0);
    expect(JSON.parse(resumed.stdout())).toEqual({ parts: [0, 10, 20, 30], total: 60 });
    expect(resumed.stderr()).toContain('reawait run: resuming fanOut as ctrl-c');
    // the resumed run's progress counts the whole run (the calls done before Ctrl+C too) and keeps its final count
    expect(resumed.stderr()).toMatch(/^ {2}completed, 5\/5 calls$/m);
    // idempotency keys are <execution>:<op>; the calls are ops 1..4
    for (let op = 1; op <= 4; op++) expect(count(runs, `start ctrl-c:${op}`)).toBe(1);
  });

  it('kill -9 mid-group, then run --id again: the right result, and no completed call runs again', async () => {
    const { dir, runs } = fresh();
    const args = ['fanOut', '--workflows', wf, '--activities', acts, '--args', '[6]', '--id', 'k9', '--dir', dir];
    // calls 0-2 finish at once; 3-5 are still running when the process is killed
    const r = run(args, { RUNS_FILE: runs, FAST: '3', SLOW_MS: '30000' });
    await r.waitFor(/3\/6 calls/);
    r.proc.kill('SIGKILL');
    await r.exited;
    // what the folder says was settled at the kill (the settlement log; the calls are ops 1..6)
    const store = new SqliteStore(openDatabase({ file: path.join(dir, 'reawait.db') }));
    const settled = (await store.loadForStep('k9'))!.settlements.map((s) => s.op).sort();
    await store.close();
    expect(settled).toEqual([1, 2, 3]);

    const resumed = run(args, { RUNS_FILE: runs, FAST: '3', SLOW_MS: '10' });
    expect(await resumed.exited).toBe(0);
    expect(JSON.parse(resumed.stdout())).toEqual({ parts: [0, 10, 20, 30, 40, 50], total: 150 });
    for (const op of settled) expect([count(runs, `start k9:${op}`), count(runs, `done k9:${op}`)]).toEqual([1, 1]);
    // the calls running at the kill ran again (at least once), and each completed once
    for (const op of [4, 5, 6]) expect([count(runs, `start k9:${op}`), count(runs, `done k9:${op}`)]).toEqual([2, 1]);
  });

  it('a damaged database: run, status and list fail naming the file, and leave it as it was; run --discard-corrupt moves it aside and starts anew', async () => {
    const { dir, runs } = fresh();
    mkdirSync(dir, { recursive: true });
    const db = path.join(dir, 'reawait.db');
    writeFileSync(db, 'not a database, but somebody\'s data\n'.repeat(300));
    const before = readFileSync(db);
    const args = ['fanOut', '--workflows', wf, '--activities', acts, '--args', '[2]', '--id', 'dmg', '--dir', dir];
    const r = run(args, { RUNS_FILE: runs });
    expect(await r.exited).toBe(1);
    expect(r.stderr()).toContain(`DatabaseDamagedError: the reawait database '${db}' is damaged`);
    expect(r.stderr()).toContain('--discard-corrupt');
    for (const [command, extra] of [['status', ['dmg']], ['list', []]] as const) {
      const c = run([...extra, '--dir', dir], {}, command);
      expect(await c.exited, command).toBe(1);
      expect(c.stderr(), command).toContain(`the reawait database '${db}' is damaged`);
    }
    expect(readFileSync(db).equals(before)).toBe(true);
    expect(lines(runs)).toEqual([]); // nothing ran
    const again = run([...args, '--discard-corrupt'], { RUNS_FILE: runs });
    expect(await again.exited, again.stderr()).toBe(0);
    expect(JSON.parse(again.stdout())).toEqual({ parts: [0, 10], total: 10 });
    const aside = readdirSync(dir).filter((f) => f.startsWith('reawait.db.damaged-'));
    expect(aside).toHaveLength(1);
    expect(readFileSync(path.join(dir, aside[0]!)).equals(before)).toBe(true);
    expect(again.stderr()).toContain(`moved it to ${path.join(dir, aside[0]!)}`);
  });

  it('reawait retry <id> --dir: a call that failed is dispatched again once its activity is fixed; the call before it does not run again', async () => {
    const { dir, runs } = fresh();
    mkdirSync(dir, { recursive: true });
    const fix = path.join(path.dirname(runs), 'fixed');
    const w = await startChildWorker({ dir, workflows: wf, activities: acts, env: { RUNS_FILE: runs, FIX_FILE: fix } });
    onTestFinished(() => w.stop());
    const ask = async (id: string) => {
      const s = run([id, '--dir', dir], {}, 'status');
      return (await s.exited) === 0 ? (JSON.parse(s.stdout()) as { status: string; result?: unknown }) : undefined;
    };
    expect(await run(['fixable', '--args', '[2]', '--id', 'to-retry', '--dir', dir], {}, 'start').exited).toBe(0);
    await expect.poll(async () => (await ask('to-retry'))?.status, { timeout: 30_000, interval: 200 }).toBe('failed');
    writeFileSync(fix, '');
    const retry = run(['to-retry', '--dir', dir], {}, 'retry');
    expect(await retry.exited, retry.stderr()).toBe(0);
    await expect.poll(async () => (await ask('to-retry'))?.status, { timeout: 30_000, interval: 200 }).toBe('completed');
    expect((await ask('to-retry'))?.result).toEqual({ first: 20, second: 'fixed' });
    expect(count(runs, 'done to-retry:1')).toBe(1);
    expect(count(runs, 'fixable to-retry:2')).toBe(2); // failed once, ran again under the same key
  }, 120_000);

  it('reawait worker --dir serves what start, signal and cancel --dir write from other processes; list pages with --cursor', async () => {
    const { dir, runs } = fresh();
    mkdirSync(dir, { recursive: true });
    const w = await startChildWorker({ dir, workflows: wf, activities: acts, env: { RUNS_FILE: runs } });
    onTestFinished(() => w.stop());
    expect(w.output()).toContain(`serving on ${path.join(dir, 'reawait.db')}`);
    const started = run(['approval', '--args', '[3]', '--id', 'via-start', '--dir', dir], {}, 'start');
    expect(await started.exited, started.stderr()).toBe(0);
    expect(started.stdout()).toBe('via-start\n');
    const waited = run(['fanOut', '--args', '[2]', '--wait', '--dir', dir], {}, 'start');
    expect(await waited.exited, waited.stderr()).toBe(0);
    expect(JSON.parse(waited.stdout())).toEqual({ parts: [0, 10], total: 10 });
    await expect.poll(() => count(runs, 'done via-start:1'), { timeout: 20_000 }).toBe(1);
    const sig = run(['via-start', 'approve', '--data', '"ok"', '--dir', dir], {}, 'signal');
    expect(await sig.exited, sig.stderr()).toBe(0);
    const ask = async (id: string) => {
      const s = run([id, '--dir', dir], {}, 'status');
      return (await s.exited) === 0 ? (JSON.parse(s.stdout()) as { status: string; result?: unknown }) : undefined;
    };
    await expect.poll(async () => (await ask('via-start'))?.status, { timeout: 20_000, interval: 200 }).toBe('completed');
    expect((await ask('via-start'))?.result).toEqual({ first: 30, answer: 'ok' });
    // a second waiting one, cancelled from another process
    expect(await run(['approval', '--args', '[1]', '--id', 'to-cancel', '--dir', dir], {}, 'start').exited).toBe(0);
    await expect.poll(() => count(runs, 'done to-cancel:1'), { timeout: 20_000 }).toBe(1);
    const cancel = run(['to-cancel', '--reason', 'not needed', '--dir', dir], {}, 'cancel');
    expect(await cancel.exited, cancel.stderr()).toBe(0);
    await expect.poll(async () => (await ask('to-cancel'))?.status, { timeout: 20_000, interval: 200 }).toBe('cancelled');
    // newest first, two per page
    const page1 = run(['--limit', '2', '--dir', dir], {}, 'list');
    expect(await page1.exited).toBe(0);
    expect(page1.stdout().split('\n').filter(Boolean).map((l) => l.split('\t')[0])).toEqual(['to-cancel', expect.stringMatching(/^fanOut-|^[0-9a-f-]{36}$/)]);
    const cursor = /--cursor (\S+)/.exec(page1.stderr())?.[1];
    expect(cursor).toBeDefined();
    const page2 = run(['--limit', '2', '--cursor', cursor!, '--dir', dir], {}, 'list');
    expect(await page2.exited).toBe(0);
    expect(page2.stdout().split('\n').filter(Boolean).map((l) => l.split('\t')[0])).toEqual(['via-start']);
  }, 120_000);
});
