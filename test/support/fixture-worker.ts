/**
 * One fixture program on a real Worker and Client on the embedded backend
 * (`{ store: 'local', dir }`), through the public API only, so that it holds
 * whatever stores the folder: what runWorkflow proves in memory must also
 * hold where executions are committed, dispatched and resumed for real.
 * Timers are real here (a `sleep(50)` takes 50 ms), each signal is sent
 * once right after the start, and activity calls are recorded as the worker
 * makes them, to compare with the native run as a multiset.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, ExecutionEndedError, Worker, type BackendOptions } from '../../runtime/index.js';
import type { CompiledWorkflow } from '../../runtime/contract.js';
import { describeError, outcomeOf } from './fixture-compare.js';
import { entryOf } from './fixture-corpus.js';
import { Recorder } from './fixture-recorder.js';
import { compileProgram, fixtureActivities, loadProgram, runDiff, runProgramNatively, withDeadline, type FixtureProgram, type ProgramRun } from './fiber-compare.js';

export interface WorkerRun extends ProgramRun {
  /** When the execution did not end in time: its status and the line it waits at, from describe(). */
  stuck?: string;
  /** Errors the worker survived and reported (onError), as `where: message`. */
  workerErrors: string[];
}

export interface WorkerRunOptions {
  /** The embedded backend's folder; default a fresh temporary one, removed afterwards. */
  dir?: string;
  /** Another backend instead (a Redis URL and prefix, say); `dir` is then unused. */
  backend?: BackendOptions;
  /** How long the execution may take to end (default 10 s). */
  timeoutMs?: number;
  /**
   * After the end, how long no new activity call must arrive before the calls
   * are read (default 200 ms): calls the last commit dispatched (fire-and-forget)
   * may still be on their way when the result is visible.
   */
  quietMs?: number;
}

/** Wait until `count()` has not changed for `quietMs` (at most 5 s). */
async function quiet(count: () => number, quietMs: number): Promise<void> {
  const until = Date.now() + 5000;
  let last = count();
  let since = Date.now();
  while (Date.now() - since < quietMs && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 20));
    if (count() !== last) [last, since] = [count(), Date.now()];
  }
}

/** Run fixture program `p` on a Worker + Client sharing one backend (an embedded folder unless `options.backend`). */
export async function runProgramOnWorker(p: FixtureProgram, options: WorkerRunOptions = {}): Promise<WorkerRun> {
  const mod = await loadProgram(p);
  let compiled: Awaited<ReturnType<typeof compileProgram>>;
  try {
    compiled = await compileProgram(p);
  } catch (e) {
    return { outcome: { ok: false, error: describeError(e) }, calls: [], workerErrors: [] };
  }
  // A folder made here is removed here; a caller's folder or backend is the caller's.
  const ownDir = options.backend || options.dir ? undefined : mkdtempSync(path.join(tmpdir(), `reawait-worker-${p.stem}-`));
  const backend: BackendOptions = options.backend ?? { store: 'local', dir: (options.dir ?? ownDir)! };
  const recorder = new Recorder();
  const workerErrors: string[] = [];
  const worker = new Worker({
    ...backend,
    workflows: [compiled],
    activities: recorder.wrap(fixtureActivities),
    concurrency: 20,
    sweepIntervalMs: 1000,
    onError: (e, where) => workerErrors.push(`${where}: ${e instanceof Error ? e.message : String(e)}`),
  });
  const client = new Client(backend);
  let stuck: string | undefined;
  try {
    await worker.run();
    const timeoutMs = options.timeoutMs ?? 10_000;
    const handle = await client.start(entryOf(compiled, p.stem) as CompiledWorkflow, structuredClone(mod.args ?? []) as never, { id: p.stem });
    for (const [name, payload] of Object.entries(mod.signals ?? {})) {
      // A run that already ended (it failed, or never needed this signal) is judged by its outcome below.
      await handle.signal(name, payload).catch((e: unknown) => {
        if (!(e instanceof ExecutionEndedError)) throw e;
      });
    }
    const outcome = await outcomeOf(() => withDeadline(handle.result({ timeoutMs }), timeoutMs + 1000, `worker run of ${p.stem}`));
    if (!outcome.ok) {
      const d = await handle.describe();
      if (d.status !== 'completed' && d.status !== 'failed')
        stuck = `${d.status}${d.waitingAt ? ` at ${d.waitingAt.file}:${d.waitingAt.line}:${d.waitingAt.column}` : ''}${d.problem ? ` (${d.problem})` : ''}`;
    }
    await quiet(() => recorder.events.length, options.quietMs ?? 200);
    return { outcome, calls: recorder.calls(), workerErrors, ...(stuck ? { stuck } : {}) };
  } finally {
    await client.close();
    await worker.close(1000);
    if (ownDir !== undefined) rmSync(ownDir, { recursive: true, force: true });
  }
}

export interface WorkerComparison {
  native: ProgramRun;
  worker: WorkerRun;
  /** '' when the worker run agrees with the native one and the worker reported no error. */
  diff: string;
}

/** Run `p` natively and on a worker, and compare outcome and call multiset. */
export async function compareOnWorker(p: FixtureProgram, options: WorkerRunOptions = {}): Promise<WorkerComparison> {
  const native = await runProgramNatively(p);
  const worker = await runProgramOnWorker(p, options);
  const lines = [runDiff(native, worker, ['native', 'worker'])].filter(Boolean);
  if (worker.stuck) lines.push(`the execution did not end: ${worker.stuck}`);
  if (worker.workerErrors.length) lines.push('the worker reported:', ...worker.workerErrors.map((e) => `  ${e}`));
  return { native, worker, diff: lines.length ? `${p.stem} on a worker:\n${lines.join('\n')}` : '' };
}
