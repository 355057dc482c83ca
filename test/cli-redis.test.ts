/** The reawait CLI end to end against Redis: worker, start --wait, status, list, signal, cancel. */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileDir } from '../compiler/compile-dir.js';
import { Client } from '../runtime/index.js';
import { startChildWorker, writeWorkflowModule, type ChildWorker } from './support/child-worker.js';
import { CLI, ensureDist, ROOT } from './support/global-setup.js';
import { startRedis, type RedisServer } from './support/redis-server.js';

let server: RedisServer;
let worker: ChildWorker;
const PREFIX = 'cli';

const WAITER = `
import { signal } from 'reawait/workflow';
export async function waiter(greeting: string) {
  'use workflow';
  try {
    const name = await signal<string>('name');
    return greeting + ', ' + name;
  } finally {
    // runs on cancel too
  }
}
`;

beforeAll(async () => {
  await ensureDist();
  server = await startRedis();
  const out = path.join(ROOT, 'test/.compiled/examples-cli/simple-parallel');
  const { errors } = await compileDir(path.join(ROOT, 'examples/simple-parallel'), out);
  expect(errors).toEqual([]);
  const waiter = writeWorkflowModule('cli-waiter', WAITER);
  worker = await startChildWorker({ redis: server.url, prefix: PREFIX, workflows: [path.join(out, 'workflow.js'), waiter], activities: path.join(out, 'activities.js') });
});
afterAll(async () => {
  await worker?.stop();
  await server?.stop();
});

function reawait(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { cwd: ROOT, env: { ...process.env, REDIS_URL: server.url, ...env } }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('reawait CLI on Redis', () => {
  it('start --wait prints the result as JSON', async () => {
    const r = await reawait(['start', 'simpleParallel', '--args', '[[[1,2],[3,4]]]', '--id', 'cli-1', '--wait', '--prefix', PREFIX, '--redis', server.url]);
    expect(r.stderr).toContain('started simpleParallel as cli-1');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ results: [3, 7, 2, 12], total: 24 });
  });

  it('status and list read executions (--redis defaults to REDIS_URL)', async () => {
    const s = await reawait(['status', 'cli-1', '--prefix', PREFIX]);
    expect(s.code).toBe(0);
    const d = JSON.parse(s.stdout) as { status: string; workflow: string; result: unknown; history: { type: string }[] };
    expect(d).toMatchObject({ status: 'completed', workflow: 'simpleParallel', result: { total: 24 } });
    expect(d.history.map((e) => e.type)).toContain('call completed');
    const l = await reawait(['list', '--prefix', PREFIX, '--status', 'completed']);
    expect(l.code).toBe(0);
    expect(l.stdout).toMatch(/^cli-1\tsimpleParallel\tcompleted\t/m);
  });

  it('start --wait shows where it waits and calls done of total; signal delivers a payload', async () => {
    const waiting = reawait(['start', 'waiter', '--args', '["hello"]', '--id', 'cli-sig', '--wait', '--prefix', PREFIX]);
    // Signal once it waits (a signal sent earlier would be buffered and the wait never shown).
    const client = new Client({ redis: server.url, prefix: PREFIX });
    await expect.poll(async () => (await (await client.get('cli-sig'))?.describe())?.status, { timeout: 20_000, interval: 50 }).toBe('waiting');
    await new Promise((r) => setTimeout(r, 300)); // --wait polls every 100 ms: let it print the wait
    await client.close();
    const sig = await reawait(['signal', 'cli-sig', 'name', '--data', '"Ada"', '--prefix', PREFIX]);
    expect(sig.code).toBe(0);
    const w = await waiting;
    expect(w.code).toBe(0);
    expect(w.stderr).toMatch(/waiting at procs\/cli-waiter\.ts:6, 0\/1 call, for signal 'name'/); // as reawait run shows it
    expect(JSON.parse(w.stdout)).toBe('hello, Ada');
    // start without --wait prints the id; the same id is the same execution
    const again = await reawait(['start', 'waiter', '--args', '["other"]', '--id', 'cli-sig', '--prefix', PREFIX]);
    expect(again.stdout.trim()).toBe('cli-sig');
  });

  it('cancel ends a waiting execution as cancelled; start --wait then exits 1', async () => {
    const st = await reawait(['start', 'waiter', '--args', '["hi"]', '--id', 'cli-cancel', '--prefix', PREFIX]);
    expect(st.code).toBe(0);
    const c = await reawait(['cancel', 'cli-cancel', '--reason', 'no longer needed', '--prefix', PREFIX]);
    expect(c.code).toBe(0);
    const w = await reawait(['start', 'waiter', '--id', 'cli-cancel', '--wait', '--prefix', PREFIX]);
    expect(w.code).toBe(1);
    expect(w.stderr).toContain('cancelled: CancelledError: no longer needed');
  });

  it('reports usage errors (exit 2) and unknown ids (exit 1)', async () => {
    const u = await reawait(['start', '--args', '{', '--prefix', PREFIX]);
    expect(u.code).toBe(2);
    expect(u.stderr).toMatch(/missing <workflow>/);
    const n = await reawait(['status', 'nope', '--prefix', PREFIX]);
    expect(n.code).toBe(1);
    expect(n.stderr).toContain("no execution with id 'nope'");
  });
});
