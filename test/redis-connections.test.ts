/**
 * Issue 15 items 4, 5, 8, 11, 13: connections. TLS (`rediss://` and ioredis
 * `tls` options), ACL users and passwords reach both the store's and the
 * queue's connections; a wrong password or an unreachable Redis is a
 * RedisUnavailableError naming the address (password redacted), within a
 * bounded time, never an unhandled 'error' event; a worker started while
 * Redis is down retries, logs each attempt, serves once Redis is back, and
 * gives up after its deadline; SIGTERM ends a worker with Redis gone.
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, Worker } from '../runtime/index.js';
import { beeOptions, parseRedisUrl, redactUrl, RedisUnavailableError } from '../runtime/redis/connection.js';
import { writeModule, writeWorkflowModule } from './support/child-worker.js';
import { activities, SOURCE } from './support/durable-workflows.js';
import { CLI, ensureDist, ROOT } from './support/global-setup.js';
import { freePort, startRedis, type RedisServer } from './support/redis-server.js';
import { workflowModule } from './support/runtime-harness.js';

const SECRET = 'Sup3rSecretPw';
const certs = mkdtempSync(path.join(tmpdir(), 'reawait-tls-'));
const closers: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of closers.reverse()) await c().catch(() => {});
  rmSync(certs, { recursive: true, force: true });
});

function client(options: ConstructorParameters<typeof Client>[0]): Client {
  const c = new Client(options);
  closers.push(() => c.close());
  return c;
}
async function worker(options: ConstructorParameters<typeof Worker>[0]): Promise<Worker> {
  const w = new Worker({ stallInterval: 1000, sweepIntervalMs: 1000, ...options });
  closers.push(() => w.close(1000));
  await w.run();
  return w;
}
async function server(options: Parameters<typeof startRedis>[0] = {}): Promise<RedisServer> {
  const s = await startRedis(options);
  closers.push(() => s.stop());
  return s;
}
const port = (url: string) => Number(new URL(url).port);

describe('Redis URLs', () => {
  it('reads rediss://, ACL user names and passwords, and gives them to the queue too', () => {
    const loc = parseRedisUrl('rediss://alice:p%40ss@cache.example.com:6380/2');
    expect(loc).toEqual({ host: 'cache.example.com', port: 6380, db: 2, username: 'alice', password: 'p@ss', tls: {} });
    expect(beeOptions(loc)).toEqual({ host: 'cache.example.com', port: 6380, db: 2, user: 'alice', password: 'p@ss', tls: { servername: 'cache.example.com' } });
  });

  it('never shows a password, also in a URL that does not parse', () => {
    expect(redactUrl(`redis://:${SECRET}@10.0.0.1:6379/0`)).toBe('redis://:***@10.0.0.1:6379/0');
    expect(redactUrl(`redis://bob:${SECRET}@h:1`)).toBe('redis://bob:***@h:1');
    for (const bad of [`redis://:${SECRET}@host:notaport`, `redis://:${SECRET}@[::1`, `http://:${SECRET}@h`, `redis://:${SECRET}@h/x`]) {
      const e = (() => {
        try {
          parseRedisUrl(bad);
        } catch (x) {
          return x as Error;
        }
        throw new Error(`accepted ${bad}`);
      })();
      expect(e.message).toMatch(/invalid Redis URL/);
      expect(e.message).not.toContain(SECRET);
    }
  });
});

describe('logging in', () => {
  let s: RedisServer;
  beforeAll(async () => {
    s = await server();
    const admin = new Redis(s.url);
    await admin.call('ACL', 'SETUSER', 'alice', 'on', `>${SECRET}`, '~*', '&*', '+@all');
    // Only alice may log in from now on: a connection that drops the user name fails.
    await admin.call('ACL', 'SETUSER', 'default', 'off');
    admin.disconnect();
  });

  it('an ACL user reaches both the store and the queue', async () => {
    const mod = await workflowModule(SOURCE, 'durable');
    const url = `redis://alice:${SECRET}@127.0.0.1:${s.port}`;
    await worker({ redis: url, prefix: 'acl', workflows: mod, activities });
    const handle = await client({ redis: url, prefix: 'acl' }).start(mod.child as never, [21] as never);
    expect(await handle.result({ timeoutMs: 15_000 })).toBe(42);
  });

  it('a wrong password is a RedisUnavailableError naming the address, password redacted', async () => {
    for (const redis of [`redis://alice:wrong-${SECRET}@127.0.0.1:${s.port}`, { host: '127.0.0.1', port: s.port, username: 'alice', password: `wrong-${SECRET}` }]) {
      const c = client({ redis, connectTimeoutMs: 3000 });
      const e = (await c.start('child', [1]).catch((x: unknown) => x)) as Error;
      expect(e).toBeInstanceOf(RedisUnavailableError);
      expect(e.message).toContain(`Redis at redis://alice:***@127.0.0.1:${s.port}/0 is unavailable`);
      expect(e.message).toMatch(/WRONGPASS/);
      expect(e.message).not.toContain(SECRET);
    }
    const w = new Worker({ redis: `redis://alice:wrong@127.0.0.1:${s.port}`, workflows: [], activities: {}, startTimeoutMs: 1500, onError: () => {} });
    closers.push(() => w.close(100));
    await expect(w.run()).rejects.toThrow(RedisUnavailableError);
  });
});

describe('TLS', () => {
  let s: RedisServer;
  beforeAll(async () => {
    const sh = (args: string[]) => execFileSync('openssl', args, { cwd: certs, stdio: 'pipe' });
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
    sh(['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '1', '-subj', '/CN=reawait test CA']);
    sh(['req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost']);
    writeFileSync(path.join(certs, 'ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
    sh(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '1', '-extfile', 'ext']);
    s = await server({ tls: { cert: path.join(certs, 'server.crt'), key: path.join(certs, 'server.key'), ca: path.join(certs, 'ca.crt') } });
  });

  it('ioredis `tls` options reach the store and the queue (the TLS port speaks nothing else)', async () => {
    const mod = await workflowModule(SOURCE, 'durable');
    const redis = { host: '127.0.0.1', port: s.tlsPort!, tls: { ca: readFileSync(path.join(certs, 'ca.crt')) } };
    await worker({ redis, prefix: 'tls', workflows: mod, activities });
    const handle = await client({ redis, prefix: 'tls' }).start(mod.child as never, [5] as never);
    expect(await handle.result({ timeoutMs: 15_000 })).toBe(10);
  });

  it('rediss:// works from the CLI; a certificate it cannot verify is a clear error', async () => {
    await ensureDist();
    const env = { NODE_EXTRA_CA_CERTS: path.join(certs, 'ca.crt') };
    const ok = await reawait(['start', 'child', '--args', '[7]', '--id', 'tls-cli', '--prefix', 'tls', '--wait', '--redis', s.tlsUrl!], env);
    expect(ok.stderr).toContain('started child as tls-cli');
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toBe(14);
    const bad = await reawait(['status', 'tls-cli', '--prefix', 'tls', '--connect-timeout', '1500', '--redis', s.tlsUrl!], {});
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(`RedisUnavailableError: Redis at rediss://127.0.0.1:${s.tlsPort}/0 is unavailable`);
  });
});

function reawait(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string; ms: number }> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { cwd: ROOT, env: { ...process.env, ...env }, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr, ms: Date.now() - t0 });
    });
  });
}

describe('an unreachable Redis', () => {
  it('Client calls fail with RedisUnavailableError instead of hanging', async () => {
    const dead = await freePort();
    const c = client({ redis: `redis://:${SECRET}@127.0.0.1:${dead}`, connectTimeoutMs: 1000 });
    for (const call of [() => c.start('child', [1]), () => c.get('x'), () => c.list()]) {
      const e = (await call().catch((x: unknown) => x)) as Error;
      expect(e).toBeInstanceOf(RedisUnavailableError);
      expect(e.message).toContain(`Redis at redis://:***@127.0.0.1:${dead}/0 is unavailable`);
      expect(e.message).toMatch(/ECONNREFUSED/);
      expect(e.message).not.toContain(SECRET);
    }
  });

  it('CLI commands fail with the address, exit 1, and never print the password', async () => {
    await ensureDist();
    const dead = await freePort();
    const url = `redis://:${SECRET}@127.0.0.1:${dead}`;
    for (const args of [['status', 'x'], ['start', 'child', '--args', '[1]'], ['signal', 'x', 'go']]) {
      const r = await reawait([...args, '--redis', url, '--connect-timeout', '1000'], {});
      expect(r.code, `${args[0]}: ${r.stderr}`).toBe(1);
      expect(r.stderr).toContain(`Redis at redis://:***@127.0.0.1:${dead}/0 is unavailable`);
      expect(r.stderr + r.stdout).not.toContain(SECRET);
    }
    // The default bound (a few seconds), with the URL from REDIS_URL.
    const r = await reawait(['status', 'x'], { REDIS_URL: url });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('RedisUnavailableError');
    expect(r.stderr).not.toContain(SECRET);
  });
});

describe('a worker process and Redis going away', () => {
  let wf: string;
  let acts: string;
  beforeAll(async () => {
    await ensureDist();
    wf = writeWorkflowModule(
      'conn-wf',
      `import { proxyActivities } from 'reawait/workflow';
const acts = proxyActivities<{ double(x: number): Promise<number> }>({});
export async function twice(x: number) {
  'use workflow';
  return await acts.double(await acts.double(x));
}
`,
    );
    acts = writeModule('conn-acts', 'export async function double(x) { return x * 2; }\n');
  });

  function spawnWorker(url: string, extra: string[], env: Record<string, string> = {}): { proc: ChildProcess; out: () => string; exit: Promise<number | null> } {
    const proc = spawn(process.execPath, [CLI, 'worker', '--workflows', wf, '--activities', acts, '--prefix', 'conn', '--sweep-interval', '1000', ...extra], {
      cwd: ROOT,
      env: { ...process.env, REDIS_URL: url, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const exit = new Promise<number | null>((res) => proc.once('exit', (code) => res(code)));
    closers.push(async () => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      await exit;
    });
    return { proc, out: () => out, exit };
  }

  it('started while Redis is down, it retries (logging each attempt) and serves once Redis is up', async () => {
    const p = await freePort();
    const url = `redis://:${SECRET}@127.0.0.1:${p}`;
    const w = spawnWorker(url, ['--start-timeout', '120000', '--connect-timeout', '1000']);
    await expect.poll(() => (w.out().match(/retrying in/g) ?? []).length, { timeout: 30_000, interval: 100 }).toBeGreaterThanOrEqual(2);
    expect(w.out()).toContain(`127.0.0.1:${p}`);
    await server({ port: p, args: ['--requirepass', SECRET] });
    await expect.poll(() => w.out(), { timeout: 30_000, interval: 100 }).toContain('reawait worker: serving on');
    const handle = await client({ redis: url, prefix: 'conn' }).start('twice', [3]);
    expect(await handle.result({ timeoutMs: 20_000 })).toBe(12);
    expect(w.out()).not.toContain(SECRET);
    w.proc.kill('SIGTERM');
    expect(await w.exit).toBe(0);
  });

  it('gives up after its start deadline with a non-zero exit naming the address', async () => {
    const p = await freePort();
    const w = spawnWorker(`redis://:${SECRET}@127.0.0.1:${p}`, ['--start-timeout', '1500', '--connect-timeout', '500']);
    expect(await w.exit).toBe(1);
    expect(w.out()).toContain(`RedisUnavailableError: Redis at redis://:***@127.0.0.1:${p}/0 is unavailable`);
    expect(w.out()).not.toContain(SECRET);
  });

  it('SIGTERM ends a serving worker within its grace period after Redis is gone', async () => {
    const s = await startRedis();
    const w = spawnWorker(s.url, ['--grace', '1000']);
    await expect.poll(() => w.out(), { timeout: 30_000, interval: 100 }).toContain('reawait worker: serving on');
    await s.kill();
    await new Promise((r) => setTimeout(r, 300));
    const t0 = Date.now();
    w.proc.kill('SIGTERM');
    const code = await w.exit;
    // The grace period plus the exit guard: not the minutes of a worker stuck on a dead connection.
    expect(Date.now() - t0).toBeLessThan(15_000);
    expect(code).not.toBeNull();
    await s.stop();
  });

  it('SIGTERM ends a worker still waiting for Redis', async () => {
    const p = await freePort();
    const w = spawnWorker(`redis://127.0.0.1:${p}`, ['--start-timeout', '120000']);
    await expect.poll(() => w.out(), { timeout: 30_000, interval: 100 }).toContain('retrying in');
    w.proc.kill('SIGTERM');
    expect(await w.exit).not.toBeNull();
  });
});
