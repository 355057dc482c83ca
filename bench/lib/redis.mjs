/**
 * A private redis-server for one bench row: a free non-default port, its own
 * tmp dir, no persistence (RDB and AOF off), so that what a row measures is
 * the runtime and the queue, not disk. Also INFO helpers for rows that count
 * commands and memory.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { ROOT } from './paths.mjs';

const require = createRequire(path.join(ROOT, 'package.json'));
const { Redis } = require('ioredis');

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Start redis-server; resolves to { url, port, redis (an ioredis client for INFO), stop() }. */
export async function startRedis(extraArgs = []) {
  let port = await freePort();
  if (port === 6379) port = await freePort();
  if (port === 6379) throw new Error('bench: refusing to use the default Redis port 6379');
  const dir = mkdtempSync(path.join(tmpdir(), 'reawait-bench-redis-'));
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--logfile', path.join(dir, 'redis.log'), ...extraArgs], {
    stdio: 'ignore',
  });
  const kill = () => child.exitCode === null && child.kill('SIGKILL');
  process.once('exit', kill);
  const deadline = Date.now() + 10_000;
  let redis;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`bench: redis-server on port ${port} exited with code ${child.exitCode} (log: ${dir}/redis.log)`);
    const r = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    r.on('error', () => {});
    try {
      await r.connect();
      await r.ping();
      redis = r;
      break;
    } catch {
      r.disconnect();
      if (Date.now() > deadline) throw new Error(`bench: redis-server on port ${port} did not come up`);
      await new Promise((res) => setTimeout(res, 30));
    }
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    redis,
    async stop() {
      redis.disconnect();
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await new Promise((res) => child.once('exit', res));
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** INFO <section> as { field: number | string }. */
export async function info(redis, section) {
  const out = {};
  for (const line of (await redis.info(section)).split('\r\n')) {
    const at = line.indexOf(':');
    if (at < 0 || line.startsWith('#')) continue;
    const v = line.slice(at + 1);
    out[line.slice(0, at)] = /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : v;
  }
  return out;
}

/** INFO commandstats as { command: calls }. */
export async function commandCalls(redis) {
  const out = {};
  for (const [k, v] of Object.entries(await info(redis, 'commandstats'))) {
    const m = /calls=(\d+)/.exec(String(v));
    if (m) out[k.replace(/^cmdstat_/, '')] = Number(m[1]);
  }
  return out;
}
