/**
 * Issue 15: bad input, a table of it. Each case, through the Client or the
 * CLI, gets a clear error naming what is wrong, and the executions running
 * beside it (a canary per Client case, one long canary across the CLI
 * cases) complete with the right result, untouched.
 */
import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, Worker, type ExecutionHandle } from '../runtime/index.js';
import { CLI, ensureDist, ROOT } from './support/global-setup.js';
import { freePort } from './support/redis-server.js';
import { useRedisRuntime, workflowModule } from './support/runtime-harness.js';

const SOURCE = `
import { proxyActivities, signal } from 'reawait/workflow';
const acts = proxyActivities<Record<string, (...a: any[]) => Promise<any>>>({});

export async function canary(x: number) {
  'use workflow';
  const a = await acts.double(x);
  const go = await signal<number>('go');
  return await acts.double(a + go);
}

export async function quick(x: number) {
  'use workflow';
  return await acts.double(x);
}

export async function waits() {
  'use workflow';
  return await signal('never');
}
`;
const activities = { double: async (x: number) => x * 2 };

const h = useRedisRuntime();
let prefix: string;
let client: Client;
let ended: ExecutionHandle;
let waiting: ExecutionHandle;

beforeAll(async () => {
  const mod = await workflowModule(SOURCE, 'bad-input');
  prefix = h.prefix();
  await h.worker({ prefix, workflows: mod, activities, maxPayloadBytes: 10_000 });
  client = h.client(prefix);
  ended = await client.start('quick', [1], { id: 'ended' });
  await ended.result({ timeoutMs: 10_000 });
  waiting = await client.start('waits', [], { id: 'waiting' });
});

const closers: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of closers) await c().catch(() => {});
});

/** A case: what it does, and the error it must give (class name and words of its message). */
interface Case {
  name: string;
  run: () => Promise<unknown>;
  error: string;
  message: RegExp;
}

const CLIENT_CASES: Case[] = [
  { name: "an id starting with '~'", run: () => client.start('quick', [1], { id: '~c:ended:1' }), error: 'InvalidExecutionIdError', message: /execution id '~c:ended:1' starts with '~'/ },
  { name: 'an empty id', run: () => client.start('quick', [1], { id: '' }), error: 'InvalidExecutionIdError', message: /must not be empty/ },
  { name: 'an id of 600 characters', run: () => client.start('quick', [1], { id: 'x'.repeat(600) }), error: 'InvalidExecutionIdError', message: /600 characters long; at most 512/ },
  { name: 'args that are not an array', run: () => client.start('quick', 5 as never), error: 'TypeError', message: /arguments of workflow 'quick' must be an array/ },
  { name: 'an uncompiled function', run: () => client.start((async () => 1) as never, [] as never), error: 'TypeError', message: /was not compiled/ },
  { name: 'a function in the args', run: () => client.start('quick', [() => 1]), error: 'ValueEncodeError', message: /arguments of workflow 'quick'/ },
  { name: 'a symbol in the args', run: () => client.start('quick', [{ s: Symbol('x') }]), error: 'ValueEncodeError', message: /arguments of workflow 'quick'/ },
  { name: 'args over the payload limit', run: () => client.start('quick', ['x'.repeat(2_000_000)]), error: 'PayloadTooLargeError', message: /over the limit of/ },
  { name: 'an existing id under another workflow', run: () => client.start('waits', [], { id: 'ended' }), error: 'Error', message: /execution 'ended' already exists and runs workflow 'quick', not 'waits'/ },
  {
    name: 'a signal to an id that is gone',
    run: async () => {
      const gone = await client.start('waits', [], { id: 'soon-gone' });
      await h.redis.del(`${prefix}:{soon-gone}:x`, `${prefix}:{soon-gone}:v`, `${prefix}:{soon-gone}:h`);
      return gone.signal('x', 1);
    },
    error: 'ExecutionNotFoundError',
    message: /no execution with id 'soon-gone'/,
  },
  { name: 'a signal to an ended execution', run: () => ended.signal('go', 1), error: 'ExecutionEndedError', message: /cannot send signal 'go' to execution 'ended': it has already ended/ },
  { name: 'a cancel of an ended execution', run: () => ended.cancel(), error: 'ExecutionEndedError', message: /cannot cancel \(it is completed\) execution 'ended'/ },
  { name: 'a signal payload that is a function', run: () => waiting.signal('x', () => 1), error: 'ValueEncodeError', message: /payload of signal 'x'/ },
  { name: 'a signal payload over the limit', run: () => waiting.signal('x', { big: 'y'.repeat(2_000_000) }), error: 'PayloadTooLargeError', message: /payload of signal 'x'/ },
  { name: 'a bad list cursor', run: () => client.list({ cursor: 'abc' }), error: 'TypeError', message: /invalid cursor 'abc'/ },
  { name: 'a result wait that times out', run: () => waiting.result({ timeoutMs: 50 }), error: 'ExecutionTimeoutError', message: /execution 'waiting' did not end within 50 ms/ },
  { name: 'prune with a duration that is not one', run: () => client.prune({ olderThan: 'a while' as never }), error: 'TypeError', message: /invalid duration 'a while'/ },
  {
    name: 'a Redis URL that does not parse',
    run: async () => {
      const c = new Client({ redis: 'http://:hunter2@x' });
      closers.push(() => c.close());
      return c.list();
    },
    error: 'TypeError',
    message: /invalid Redis URL 'http:\/\/:\*\*\*@x\/?'/,
  },
  {
    name: 'an unreachable Redis',
    run: async () => {
      const c = new Client({ redis: `redis://127.0.0.1:${await freePort()}`, connectTimeoutMs: 500 });
      closers.push(() => c.close());
      return c.get('x');
    },
    error: 'RedisUnavailableError',
    message: /is unavailable: .*ECONNREFUSED/,
  },
  {
    name: 'an unknown store',
    run: async () => {
      const c = new Client({ store: 'mongo' as never });
      closers.push(() => c.close());
      return c.list();
    },
    error: 'TypeError',
    message: /unknown store 'mongo'/,
  },
  {
    name: 'a Worker retention that is not a duration',
    run: () => new Worker({ redis: h.url, prefix: h.prefix(), workflows: [], activities: {}, retention: 'a while' as never }).run(),
    error: 'TypeError',
    message: /option retention: invalid duration 'a while'/,
  },
  {
    name: 'a Worker retention of 0',
    run: () => new Worker({ redis: h.url, prefix: h.prefix(), workflows: [], activities: {}, retention: 0 }).run(),
    error: 'TypeError',
    message: /retention must be longer than 0/,
  },
];

describe('bad input through the Client', () => {
  it.each(CLIENT_CASES.map((c) => [c.name, c] as const))('%s: a clear error, and the canary beside it completes', async (_name, c) => {
    const canary = await client.start('canary', [3]);
    const e = (await c.run().then(
      () => new Error('no error'),
      (x: unknown) => x,
    )) as Error;
    expect(e.name).toBe(c.error);
    expect(e.message).toMatch(c.message);
    await expect.poll(async () => (await canary.describe()).status, { timeout: 10_000 }).toBe('waiting');
    await canary.signal('go', 4);
    expect(await canary.result({ timeoutMs: 10_000 })).toBe(20);
  });
});

function reawait(args: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { cwd: ROOT, env: { ...process.env, REDIS_URL: h.url } }, (err, _o, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stderr }));
  });
}

describe('bad input through the CLI', () => {
  const P = () => ['--prefix', prefix];
  const CASES: { args: () => string[]; code: number; message: RegExp }[] = [
    { args: () => ['start', 'quick', '--args', 'not json', ...P()], code: 2, message: /--args is not valid JSON/ },
    { args: () => ['start', 'quick', '--args', '{"a":1}', ...P()], code: 2, message: /--args must be a JSON array/ },
    { args: () => ['start', 'quick', '--id', '~c:x:1', ...P()], code: 1, message: /InvalidExecutionIdError: start: execution id '~c:x:1' starts with '~'/ },
    { args: () => ['status', 'nobody', ...P()], code: 1, message: /no execution with id 'nobody'/ },
    { args: () => ['signal', 'nobody', 'go', ...P()], code: 1, message: /no execution with id 'nobody'/ },
    { args: () => ['signal', 'waiting', 'go', '--data', '{bad', ...P()], code: 2, message: /--data is not valid JSON/ },
    { args: () => ['signal', 'ended', 'go', ...P()], code: 1, message: /ExecutionEndedError: cannot send signal 'go' to execution 'ended'/ },
    { args: () => ['cancel', 'ended', ...P()], code: 1, message: /ExecutionEndedError: cannot cancel \(it is completed\) execution 'ended'/ },
    { args: () => ['list', '--status', 'bogus', ...P()], code: 2, message: /--status must be one of ready, waiting, completed, failed, cancelled/ },
    { args: () => ['list', '--limit', '-1', ...P()], code: 2, message: /--limit/ },
    { args: () => ['list', '--nope', ...P()], code: 2, message: /--nope/ },
    { args: () => ['status', 'x', '--redis', 'http://:hunter2@h', ...P()], code: 1, message: /invalid Redis URL 'http:\/\/:\*\*\*@h\/?'/ },
    { args: () => ['prune', '--older-than', 'a while', ...P()], code: 2, message: /--older-than: invalid duration 'a while'/ },
    { args: () => ['status', 'x', '--connect-timeout', 'soon', ...P()], code: 2, message: /--connect-timeout: invalid duration 'soon'/ },
  ];

  it(`${CASES.length} kinds: each a clear error and exit code; a canary running through all of them completes`, async () => {
    await ensureDist();
    const canary = await client.start('canary', [10], { id: 'cli-canary' });
    // Three CLI processes at a time: each is a node start-up.
    for (let i = 0; i < CASES.length; i += 3) {
      const batch = CASES.slice(i, i + 3);
      const runs = await Promise.all(batch.map((c) => reawait(c.args())));
      batch.forEach((c, j) => {
        const r = runs[j]!;
        expect(r.stderr, c.args().join(' ')).toMatch(c.message);
        expect(r.stderr).not.toContain('hunter2');
        expect(r.code, `${c.args().join(' ')}: ${r.stderr}`).toBe(c.code);
      });
    }
    const d = await canary.describe();
    expect(d.status).toBe('waiting');
    expect(d.problem).toBeUndefined();
    await canary.signal('go', 5);
    expect(await canary.result({ timeoutMs: 10_000 })).toBe(50);
  }, 240_000);
});
