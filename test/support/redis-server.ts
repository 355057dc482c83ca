/**
 * A private redis-server per test file: a free non-default port, its own tmp
 * dir, no RDB snapshots; optionally AOF with fsync always (for the restart
 * test). If redis-server is not on PATH, REDIS_URL is used instead (restart
 * and kill are then unavailable).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface RedisServer {
  url: string;
  /** `rediss://127.0.0.1:<tls port>` when started with `tls`. */
  tlsUrl?: string;
  tlsPort?: number;
  port: number;
  /** Graceful stop (SHUTDOWN NOSAVE semantics via SIGTERM). */
  stop(): Promise<void>;
  /** SIGKILL: what a crash looks like. */
  kill(): Promise<void>;
  /** Start again on the same port and dir (AOF, if on, is replayed). */
  restart(): Promise<void>;
}

export interface RedisServerOptions {
  appendonly?: boolean;
  /** Listen on this port (e.g. one a worker already tries), not a fresh one. */
  port?: number;
  /** More redis-server arguments (e.g. ['--requirepass', 'pw']). */
  args?: string[];
  /** Also serve TLS on a port of its own (`tlsUrl`), with these PEM files. */
  tls?: { cert: string; key: string; ca: string };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function hasRedisServer(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

async function waitUntilUp(port: number, child: ChildProcess, password?: string): Promise<void> {
  const { Redis } = await import('ioredis');
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`redis-server on port ${port} exited with code ${child.exitCode}`);
    const r = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, ...(password ? { password } : {}) });
    r.on('error', () => {});
    try {
      await r.connect();
      await r.ping();
      r.disconnect();
      return;
    } catch {
      r.disconnect();
      if (Date.now() > deadline) throw new Error(`redis-server on port ${port} did not come up`);
      await new Promise((res) => setTimeout(res, 30));
    }
  }
}

export async function startRedis(options: RedisServerOptions = {}): Promise<RedisServer> {
  if (!hasRedisServer()) {
    const url = process.env.REDIS_URL;
    if (!url) throw new Error('redis-server is not on PATH and REDIS_URL is not set: the Redis tests need one of them');
    const port = Number(new URL(url).port || 6379);
    const unsupported = async () => {
      throw new Error('restart/kill need a private redis-server on PATH');
    };
    return { url, port, stop: async () => {}, kill: unsupported, restart: unsupported };
  }
  const port = options.port ?? (await freePort());
  if (port === 6379) throw new Error('refusing to run tests on the default Redis port');
  const dir = mkdtempSync(path.join(tmpdir(), 'reawait-redis-'));
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--daemonize', 'no', '--logfile', path.join(dir, 'redis.log')];
  if (options.appendonly) args.push('--appendonly', 'yes', '--appendfsync', 'always');
  const tlsPort = options.tls ? await freePort() : undefined;
  if (options.tls) args.push('--tls-port', String(tlsPort), '--tls-cert-file', options.tls.cert, '--tls-key-file', options.tls.key, '--tls-ca-cert-file', options.tls.ca, '--tls-auth-clients', 'no');
  args.push(...(options.args ?? []));
  const pw = options.args?.[options.args.indexOf('--requirepass') + 1];
  const password = options.args?.includes('--requirepass') ? pw : undefined;
  let child: ChildProcess;
  const launch = async () => {
    child = spawn('redis-server', args, { stdio: 'ignore' });
    await waitUntilUp(port, child, password);
  };
  const exited = (c: ChildProcess) => (c.exitCode !== null || c.signalCode !== null ? Promise.resolve() : new Promise<void>((res) => c.once('exit', () => res())));
  await launch();
  const server: RedisServer = {
    url: `redis://127.0.0.1:${port}`,
    port,
    ...(tlsPort ? { tlsUrl: `rediss://127.0.0.1:${tlsPort}`, tlsPort } : {}),
    async stop() {
      child.kill('SIGTERM');
      await exited(child);
      rmSync(dir, { recursive: true, force: true });
    },
    async kill() {
      child.kill('SIGKILL');
      await exited(child);
    },
    async restart() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited(child);
      }
      await launch();
    },
  };
  return server;
}
