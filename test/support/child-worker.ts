/**
 * Workers in child processes (the built CLI), so tests can kill -9 them, and
 * workflow/activity modules compiled into the repo (test/.compiled/procs/) so
 * their `reawait/workflow` import resolves to dist by package self-reference.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { compile } from '../../compiler/index.js';
import { CLI, ROOT } from './global-setup.js';

export const PROCS_DIR = path.join(ROOT, 'test/.compiled/procs');

/** Compile a workflow source into test/.compiled/procs/<name>.js; returns the path. */
export function writeWorkflowModule(name: string, source: string): string {
  mkdirSync(PROCS_DIR, { recursive: true });
  const file = path.join(PROCS_DIR, `${name}.js`);
  writeFileSync(file, compile(source, { filename: `procs/${name}.ts` }).code);
  return file;
}

/** Write a plain ESM module (activities) into test/.compiled/procs/<name>.js. */
export function writeModule(name: string, code: string): string {
  mkdirSync(PROCS_DIR, { recursive: true });
  const file = path.join(PROCS_DIR, `${name}.js`);
  writeFileSync(file, code);
  return file;
}

export interface ChildWorker {
  proc: ChildProcess;
  output(): string;
  kill9(): Promise<void>;
  stop(): Promise<void>;
}

/** Start `reawait worker` in a child process, on Redis (`redis`, `prefix`) or an embedded database (`dir`); resolves once it serves. */
export async function startChildWorker(args: ({ redis: string; prefix: string } | { dir: string }) & {
  workflows: string | string[];
  activities: string;
  concurrency?: number;
  env?: Record<string, string>;
}): Promise<ChildWorker> {
  const backend = 'dir' in args ? ['--dir', args.dir] : ['--redis', args.redis, '--prefix', args.prefix];
  const proc = spawn(
    process.execPath,
    [CLI, 'worker', '--workflows', ...[args.workflows].flat(), '--activities', args.activities, ...backend, '--concurrency', String(args.concurrency ?? 5), '--stall-interval', '1000', '--sweep-interval', '1000'],
    { cwd: ROOT, env: { ...process.env, ...('redis' in args ? { REDIS_URL: args.redis } : {}), ...args.env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((res) => proc.once('exit', () => res()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker did not start:\n${out}`)), 15_000);
    const check = () => {
      if (out.includes('reawait worker: serving')) {
        clearTimeout(timer);
        resolve();
      }
    };
    proc.stderr!.on('data', check);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`worker exited with ${code}:\n${out}`));
    });
  });
  return {
    proc,
    output: () => out,
    async kill9() {
      proc.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      const force = setTimeout(() => proc.kill('SIGKILL'), 8000);
      await exited;
      clearTimeout(force);
    },
  };
}
