/** `new Worker({ redis, workflows, activities })`: serves resumes, activity calls and timers. */
import { openBackend, type Backend, type BackendOptions } from './backend.js';
import { DEFAULT_MAX_PAYLOAD_BYTES } from './payload.js';
import { loadActivities, loadWorkflows, type ActivitySource, type WorkflowSource } from './registry.js';
import { WorkerEngine } from './worker-engine.js';

export interface WorkerOptions extends BackendOptions {
  /** Compiled workflow functions, modules holding them, or module paths. */
  workflows: WorkflowSource[] | WorkflowSource;
  /** Objects of activity functions (a module namespace works), or module paths. */
  activities: ActivitySource[] | ActivitySource;
  /** Activity calls run at once in this worker (default 10). */
  concurrency?: number;
  /** How often the recovery sweep re-pushes work a crash dropped (default 30 s; it also runs at start). */
  sweepIntervalMs?: number;
  /** How often a running activity checks whether it is still wanted; a cancel aborts its AbortSignal (default 1000 ms). */
  liveCheckMs?: number;
  /** Called with errors the worker survives (default: printed to stderr). */
  onError?: (error: unknown, where: string) => void;
}

export class Worker {
  private running: Promise<{ backend: Backend; engine: WorkerEngine }> | undefined;

  constructor(private readonly options: WorkerOptions) {}

  /** Connect and start serving; resolves once the worker takes jobs. */
  run(): Promise<void> {
    this.running ??= this.open();
    return this.running.then(() => undefined);
  }

  private async open(): Promise<{ backend: Backend; engine: WorkerEngine }> {
    const o = this.options;
    const onError = o.onError ?? ((e: unknown, where: string) => process.stderr.write(`reawait worker: ${where}: ${e instanceof Error ? e.message : String(e)}\n`));
    const workflows = await loadWorkflows(Array.isArray(o.workflows) ? o.workflows : [o.workflows]);
    const activities = await loadActivities(o.activities);
    const backend = await openBackend(o, true, (e) => onError(e, 'queue'));
    const engine = new WorkerEngine({
      ...backend,
      workflows,
      activities,
      concurrency: o.concurrency ?? 10,
      maxPayloadBytes: o.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES,
      sweepIntervalMs: o.sweepIntervalMs ?? 30_000,
      ...(o.liveCheckMs ? { liveCheckMs: o.liveCheckMs } : {}),
      onError,
    });
    await engine.start();
    return { backend, engine };
  }

  /** Stop taking jobs and wait up to `timeoutMs` for running ones; unfinished jobs are redelivered to other workers. */
  async close(timeoutMs = 5000): Promise<void> {
    if (!this.running) return;
    const { backend, engine } = await this.running;
    await engine.stop(timeoutMs);
    await backend.store.close();
  }
}
